/* WS-Management transport of the WinRM client: one libcurl connection per
 * session, SOAP envelopes, answer size caps, time limits, and the mapping
 * of transport failures and SOAP faults to winrm_status codes. */
#ifndef OC_WSMAN_H
#define OC_WSMAN_H

#include <stddef.h>

#include <curl/curl.h>

#include "buf.h"
#include "winrm.h"

#define WSMAN_RESP_MAX (1024 * 1024) /* bytes of one answer */
#define WSMAN_ENVELOPE_MAX 153600    /* MaxEnvelopeSize we ask for */

#define NS_SOAP "http://www.w3.org/2003/05/soap-envelope"
#define NS_ADDR "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define NS_WSMAN "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define NS_MSWSMAN "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
#define NS_SHELL "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
#define NS_IDENT "http://schemas.dmtf.org/wbem/wsman/identity/1/" \
		 "wsmanidentity.xsd"

/* The session behind winrm.h's opaque type. */
struct winrm_session {
	struct winrm_target t;
	int anonymous;           /* Identify without credentials */
	CURL *curl;
	struct curl_slist *headers;
	char url[300];
	char user[512];          /* DOMAIN\user */
	struct buf resp;         /* the last answer, NUL-terminated */
	int toobig;
	char server[WINRM_FIELD_MAX];
	char curlerr[CURL_ERROR_SIZE];
	volatile int *cancel;
	long long deadline_ms;
	int abortable;           /* the request may be abandoned */
	int stopped;             /* why it was: WINRM_ERR_CANCELED/TIMEOUT */
};

/* CLOCK_MONOTONIC in milliseconds. */
long long wsman_now_ms(void);
void wsman_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A session (heap) or NULL with err filled when t cannot be used. */
struct winrm_session *wsman_open(const struct winrm_target *t,
				 int anonymous, char *err, size_t errlen);
/* The per-request time limit of the target. */
long wsman_request_ms(const struct winrm_session *s);
/* POSTs body; the answer is in s->resp. 0 for HTTP 200 with a SOAP
 * envelope that is not a fault; otherwise a winrm_status with err filled.
 * *timed_out (may be NULL) is set for a w:TimedOut fault. */
int wsman_post(struct winrm_session *s, const char *body, size_t n,
	       long timeout_ms, int *timed_out, char *err, size_t errlen);
/* Wraps body (trusted XML, values already escaped) in an envelope for the
 * cmd shell resource with action, the ShellId selector (when not NULL),
 * an OptionSet (XML or NULL) and OperationTimeout op_ms, and posts it. */
int wsman_call(struct winrm_session *s, const char *action,
	       const char *shell_id, const char *options, const char *body,
	       long op_ms, int *timed_out, char *err, size_t errlen);

#endif
