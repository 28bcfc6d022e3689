/* Unit tests for key rotation support in seal.c: a version added to the
 * key directory after loading is used for new blobs and opened without a
 * reload, key files appear whole (no temporary left behind), and retired
 * versions lose their files but not the keys already loaded. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seal.h"
#include "tests/lib/tap.h"

static char dir[64];

static void rm_dir(void);
static int tmp_files(void);
static long open_blob(const unsigned char *blob, size_t n, char *out,
		      size_t cap);

static void
rm_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

/* Files in dir whose name ends in ".tmp". */
static int
tmp_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t len;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0)
			n++;
	}
	closedir(d);
	return n;
}

static long
open_blob(const unsigned char *blob, size_t n, char *out, size_t cap)
{
	const char *why;
	long got = seal_decrypt((unsigned char *)out, cap - 1, "credential:9",
				12, blob, n, &why);

	if (got < 0)
		diag("seal_decrypt: %s", why);
	else
		out[got] = '\0';
	return got;
}

int
main(void)
{
	static const char secret[] = "rotate me";
	unsigned char *b1, *b2, *b3;
	char out[256], path[128];
	size_t n1, n2, n3;
	struct stat st;

	snprintf(dir, sizeof(dir), "/tmp/oc-seal-rot-XXXXXX");
	if (mkdtemp(dir) == NULL)
		BAIL_OUT("mkdtemp failed");
	atexit(rm_dir);

	ok(seal_generate(dir, 1) == 0, "v1 generated");
	ok(seal_load_public(dir) == 0 && seal_load_private(dir) == 0,
	   "v1 loaded (public and private)");
	b1 = seal_encrypt("credential:9", 12, secret, strlen(secret), &n1);
	cmp_ok(seal_blob_version(b1, n1), "==", 1, "sealed under v1");

	/* Another process (the rotation) adds v2. */
	ok(seal_generate(dir, 2) == 0, "v2 generated");
	cmp_ok(tmp_files(), "==", 0, "no temporary file is left");
	snprintf(path, sizeof(path), "%s/v2.key", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "v2.key is 0600");
	b2 = seal_encrypt("credential:9", 12, secret, strlen(secret), &n2);
	cmp_ok(seal_blob_version(b2, n2), "==", 2,
	       "the next blob uses v2 without a reload");
	cmp_ok(seal_current_version(), "==", 2, "v2 is current");
	ok(!seal_has_key(2, 1), "the v2 private key is not loaded yet");
	ok(open_blob(b2, n2, out, sizeof(out)) == (long)strlen(secret) &&
	       strcmp(out, secret) == 0,
	   "a v2 blob opens: the private key is loaded on demand");
	ok(seal_has_key(2, 1), "and is loaded now");
	ok(open_blob(b1, n1, out, sizeof(out)) == (long)strlen(secret),
	   "v1 blobs still open");

	ok(seal_generate(dir, 2) < 0, "an existing version is not replaced");
	cmp_ok(tmp_files(), "==", 0, "no temporary file after a refusal");

	/* Retire v1: files gone, the loaded key stays for this process. */
	ok(seal_retire(dir, 1) == 0, "v1 retired");
	snprintf(path, sizeof(path), "%s/v1.key", dir);
	ok(access(path, F_OK) != 0, "v1.key removed");
	snprintf(path, sizeof(path), "%s/v1.pub", dir);
	ok(access(path, F_OK) != 0, "v1.pub removed");
	ok(seal_retire(dir, 1) == 0, "retiring again is harmless");
	ok(open_blob(b1, n1, out, sizeof(out)) == (long)strlen(secret),
	   "a process that loaded v1 still opens v1 blobs");
	seal_cleanup();
	ok(seal_load_private(dir) == 0 && !seal_has_key(1, 1),
	   "a fresh process has no v1 key");
	{
		const char *why;

		cmp_ok(seal_decrypt((unsigned char *)out, sizeof(out),
				    "credential:9", 12, b1, n1, &why),
		       "<", 0, "and cannot open a v1 blob");
	}
	b3 = seal_encrypt("credential:9", 12, secret, strlen(secret), &n3);
	ok(b3 == NULL, "a private-only process seals nothing");
	free(b1);
	free(b2);
	free(b3);
	seal_cleanup();
	return done_testing();
}
