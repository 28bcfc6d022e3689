/* Unit tests for sealed secrets: round trips, tamper detection, binding to
 * a record, key versions and a public-only (web tier) process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "tests/lib/tap.h"

static char dir[64];

static void rm_dir(void);

static void
rm_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

int
main(void)
{
	static const char secret[] = "correct horse battery staple";
	unsigned char out[256], *blob, *blob2, *moved;
	const char *why;
	struct stat st;
	char path[128];
	size_t n, n2;
	long got;

	snprintf(dir, sizeof(dir), "/tmp/oc-seal-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		BAIL_OUT("mkdtemp failed");

	ok(seal_load_public(dir) < 0, "no keys: loading public keys fails");
	ok(seal_encrypt("a", 1, "x", 1, &n) == NULL,
	   "no keys: nothing is sealed");
	ok(seal_generate(dir, 1) == 0, "key pair v1 generated");
	snprintf(path, sizeof(path), "%s/v1.key", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "private key file is 0600");
	ok(seal_generate(dir, 1) < 0, "an existing version is not replaced");

	/* The web tier: public key only. */
	ok(seal_load_public(dir) == 0, "public key loaded");
	cmp_ok(seal_current_version(), "==", 1, "current version is 1");
	blob = seal_encrypt("credential:1", 12, secret, strlen(secret), &n);
	ok(blob != NULL, "sealed with the public key");
	cmp_ok((long long)n, "==", (long long)(strlen(secret) + SEAL_OVERHEAD),
	       "blob size is plaintext + overhead");
	ok(memmem(blob, n, secret, strlen(secret)) == NULL,
	   "the plaintext does not appear in the blob");
	cmp_ok(seal_blob_version(blob, n), "==", 1, "blob says version 1");
	got = seal_decrypt(out, sizeof(out), "credential:1", 12, blob, n, &why);
	cmp_ok(got, "==", -1, "a public-only process cannot decrypt");

	/* The worker: private keys. */
	ok(seal_load_private(dir) == 0, "private key loaded");
	got = seal_decrypt(out, sizeof(out), "credential:1", 12, blob, n, &why);
	ok(got == (long)strlen(secret) && memcmp(out, secret, (size_t)got) == 0,
	   "round trip");
	blob2 = seal_encrypt("credential:1", 12, secret, strlen(secret), &n2);
	ok(n2 == n && memcmp(blob, blob2, n) != 0,
	   "sealing twice gives different blobs (fresh key and nonce)");

	got = seal_decrypt(out, sizeof(out), "credential:2", 12, blob, n, &why);
	cmp_ok(got, "==", -1, "a secret moved to another row is refused");
	like(why, "tampered|another record", "reason names tampering");

	moved = malloc(n);
	memcpy(moved, blob, n);
	moved[n - 20] ^= 0x01;
	cmp_ok(seal_decrypt(out, sizeof(out), "credential:1", 12, moved, n,
			    &why),
	       "==", -1, "a flipped ciphertext bit is detected");
	memcpy(moved, blob, n);
	moved[10] ^= 0x80;
	cmp_ok(seal_decrypt(out, sizeof(out), "credential:1", 12, moved, n,
			    &why),
	       "==", -1, "a flipped ephemeral key bit is detected");
	memcpy(moved, blob, n);
	moved[7] = 9;
	cmp_ok(seal_decrypt(out, sizeof(out), "credential:1", 12, moved, n,
			    &why),
	       "==", -1, "an unknown key version fails");
	like(why, "unknown key version", "and says so");
	cmp_ok(seal_decrypt(out, sizeof(out), "credential:1", 12, blob, 10,
			    &why),
	       "==", -1, "a truncated blob fails");

	/* Rotation: v2 becomes current, v1 blobs still open. */
	ok(seal_generate(dir, 2) == 0, "key pair v2 generated");
	ok(seal_load_public(dir) == 0 && seal_current_version() == 2,
	   "v2 is current after reload");
	seal_load_private(dir);
	free(blob2);
	blob2 = seal_encrypt("credential:1", 12, secret, strlen(secret), &n2);
	cmp_ok(seal_blob_version(blob2, n2), "==", 2, "new blobs use v2");
	got = seal_decrypt(out, sizeof(out), "credential:1", 12, blob, n, &why);
	ok(got == (long)strlen(secret), "old v1 blobs still open");

	free(blob);
	free(blob2);
	free(moved);
	seal_cleanup();
	rm_dir();
	return done_testing();
}
