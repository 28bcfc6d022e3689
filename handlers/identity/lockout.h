/* Login failure accounting: backoff, lockout and address blocks. */
#ifndef OC_LOCKOUT_H
#define OC_LOCKOUT_H

struct req;

/* 0 when username and the caller's address may try to log in now; -1
 * with 423 locked or 429 rate-limited (and Retry-After) otherwise. The
 * password must not be checked when this refuses. */
int lockout_check_or_problem(struct req *r, const char *username);
/* Records a failed attempt for the account and the address in its own
 * short transaction (so it sticks although the answer is an error), and
 * audits a lock or block when one starts. 0, or -1 with a problem set. */
int lockout_fail_or_problem(struct req *r, const char *username);
/* Clears the account's failures, inside the caller's transaction. */
int lockout_clear_or_problem(struct req *r, const char *username);

#endif
