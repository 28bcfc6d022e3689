/* TOTP enrolment, verification (which enables it) and disabling. */
#ifndef OC_TOTP_ROUTES_H
#define OC_TOTP_ROUTES_H

#include "valid.h"

struct req;

extern const struct field totp_routes_verify_fields[];
extern const struct field totp_routes_disable_fields[];

int totp_routes_enrol(struct req *r);
int totp_routes_verify(struct req *r);
int totp_routes_disable(struct req *r);

#endif
