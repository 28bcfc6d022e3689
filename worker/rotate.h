/* Secret key rotation: a new key pair, every sealed secret re-sealed under
 * it in batches while the stack serves, and old key versions retired once
 * no row uses them. Runs as `oc-worker rotate-secrets`: it needs the
 * private keys, which only the worker side holds. */
#ifndef OC_ROTATE_H
#define OC_ROTATE_H

/* Configured (cfg_load) and logging; argv holds the words after
 * "rotate-secrets":
 *   (none) | --batch N   new version, then re-seal everything under it
 *   --continue           re-seal under the current version, no new key
 *   --retire             remove the key files of older versions; refused
 *                        while any row still uses one of them
 *   --status             rows per key version
 * Prints a report on stdout. Exit status: 0 done, 1 rows remain under old
 * versions (or the retire was refused), 2 usage or setup error. */
int rotate_main(int argc, char **argv);

#endif
