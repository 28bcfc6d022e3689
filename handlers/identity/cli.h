/* The command line of oc-identity besides serving: create-admin. */
#ifndef OC_CLI_H
#define OC_CLI_H

#include <stdio.h>

#define CLI_CREATED 0	   /* the admin was created */
#define CLI_POLICY 1	   /* bad username or password, or a conflict */
#define CLI_ERROR 2	   /* configuration or database failure */
#define CLI_ADMIN_EXISTS 3 /* an admin exists already: nothing done */

/* `oc-identity create-admin USERNAME`: reads the password from the first
 * line of in and creates the user with role admin when no admin exists.
 * Prints "created" on stdout, problems on stderr. Returns a CLI_ code. */
int cli_create_admin(const char *username, FILE *in);

#endif
