/* The step library: every step type a job may use, with the description
 * of its inputs that the API validates against, GET /api/v1/step-types
 * returns, and the UI renders as a form. */
#ifndef OC_STEPTYPE_H
#define OC_STEPTYPE_H

#include <json-c/json.h>
#include "tmpl.h"

/* The kind of value an input takes (its "type" in the JSON description). */
enum steptype_kind {
	STEPTYPE_STRING,  /* one line of text */
	STEPTYPE_TEXT,	  /* multi-line text (scripts, bodies) */
	STEPTYPE_INTEGER, /* a JSON integer within [min, max] */
	STEPTYPE_BOOLEAN, /* true or false */
	STEPTYPE_CHOICE,  /* one of choices[] */
	STEPTYPE_MAP,	  /* an object of string values (env, headers) */
	STEPTYPE_INTLIST, /* an array of integers (expected HTTP statuses) */
};

/* Where a step runs. */
enum steptype_where {
	STEPTYPE_LOCAL, /* on the worker itself (local.*, http.request) */
	STEPTYPE_SSH,	/* on a Linux target over SSH/SFTP */
	STEPTYPE_WINRM, /* on a Windows target over WinRM */
};

struct steptype_input {
	const char *name;
	enum steptype_kind kind;
	int required;
	const char *dflt;	    /* default as JSON text, or NULL */
	int secret;		    /* never echoed back (UI: password box) */
	enum tmpl_quote quote;	    /* how template values are quoted here */
	int templated;		    /* may hold {{ }} references */
	long long min, max;	    /* INTEGER bounds */
	const char *const *choices; /* CHOICE values, NULL-terminated */
	const char *description;
};

struct steptype {
	const char *name; /* "ssh.command" */
	int version;
	const char *title;
	const char *description;
	enum steptype_where where;
	const struct steptype_input *inputs; /* ninputs entries */
	int ninputs;
};

/* The step type called name, or NULL. */
const struct steptype *steptype_find(const char *name);
/* All step types, in a stable order; *n is set to their count. */
const struct steptype *steptype_all(int *n);
/* The input called name of t, or NULL. */
const struct steptype_input *steptype_input(const struct steptype *t,
					    const char *name);
/* The JSON description of t (a new object the caller puts): name,
 * version, title, description, where, inputs [{name, type, required,
 * default, secret, template, min, max, choices, description}]. */
json_object *steptype_json(const struct steptype *t);

#endif
