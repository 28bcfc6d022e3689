/* Roles, ordered so that a higher role has every right of a lower one. */
#ifndef OC_ROLE_H
#define OC_ROLE_H

enum role {
	ROLE_PUBLIC = 0,   /* no authentication needed */
	ROLE_VIEWER = 1,   /* reads */
	ROLE_OPERATOR = 2, /* runs and manages automation */
	ROLE_ADMIN = 3,    /* manages users, keys and settings */
};

/* "viewer", "operator", "admin" (and "public"). */
const char *role_name(enum role r);
/* Parses a role name; returns -1 when unknown or "public". */
int role_parse(const char *s);

#endif
