/* Signing in and out: login, refresh token rotation, logout (here or
 * everywhere), the cookie. */
#ifndef OC_LOGIN_H
#define OC_LOGIN_H

#include "valid.h"

struct req;

#define LOGIN_COOKIE "oc_refresh"
#define LOGIN_COOKIE_PATH "/api/v1/auth"

extern const struct field login_fields[];
extern const struct field login_refresh_fields[];
extern const struct field login_logout_fields[];

int login_post(struct req *r);
int login_refresh(struct req *r);
int login_logout(struct req *r);
/* Ends every session of the caller (sign out everywhere). */
int login_logout_all(struct req *r);

#endif
