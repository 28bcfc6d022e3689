/* A stack of a test's own, for tests that stop PostgreSQL, kill the
 * worker or change key files, which the shared stack of make check must
 * not see. One per test program. */
#ifndef OC_TEST_OWNSTACK_H
#define OC_TEST_OWNSTACK_H

/* The stack's directory (/tmp/oc-<name>-XXXXXX; its state is var/) and
 * the "env NAME=value ..." prefix that points scripts/stack.sh at it. */
extern char ownstack_dir[64];
extern char ownstack_env[1024];

/* Creates the directory, picks free loopback ports and starts
 * scripts/stack.sh with the admin password pw and the extra settings
 * ("NAME=value ...", may be ""). One TAP test for the start; BAIL_OUT with
 * the start log when it fails. The stack is stopped and removed at exit
 * (its files are kept when a test failed). Returns the HTTPS port. */
int ownstack_start(const char *name, const char *pw, const char *extra);
/* Runs cmd with system(); its exit status, or -1. */
int ownstack_run(const char *cmd);
/* "runuser -u <owner> --" when the cluster belongs to another user (the
 * stack runs its services as opsconductor under root), else "". */
const char *ownstack_as_owner(void);

#endif
