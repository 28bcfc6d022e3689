/* SSH keys: the type and SHA-256 fingerprint of a private key in OpenSSH
 * or PEM form (checking its passphrase where OpenSSL can), and of a public
 * key blob (host keys). Shared by the assets pool and the worker. */
#ifndef OC_SSHKEY_H
#define OC_SSHKEY_H

#include <stddef.h>

/* "SHA256:" + 43 base64 characters + NUL, with room to spare. */
#define SSHKEY_FP_MAX 64
#define SSHKEY_TYPE_MAX 32

enum sshkey_result {
	SSHKEY_OK = 0,		/* parsed; info filled */
	SSHKEY_UNPARSABLE,	/* not a private key we understand */
	SSHKEY_UNSUPPORTED,	/* a key type SSH targets cannot use (DSA) */
	SSHKEY_NEED_PASSPHRASE, /* encrypted, and no passphrase given */
	SSHKEY_BAD_PASSPHRASE,	/* encrypted, and the passphrase is wrong */
};

struct sshkey_info {
	char type[SSHKEY_TYPE_MAX];	 /* "ssh-ed25519", "ssh-rsa",
					  * "ecdsa-sha2-nistp256", ... */
	char fingerprint[SSHKEY_FP_MAX]; /* "SHA256:<base64, no padding>" */
	int bits;			 /* key size (RSA modulus, curve) */
	int encrypted;			 /* 1 when a passphrase protects it */
	int openssh;			 /* 1 for "OPENSSH PRIVATE KEY" */
};

/* Inspects the private key text[0..n) (NUL not required). passphrase may
 * be NULL or "". PEM keys (PKCS#1, SEC1, PKCS#8, encrypted or not) are
 * decrypted to check the passphrase. OpenSSH keys carry their public key
 * in clear: the type and fingerprint come from it, and an encrypted one
 * only needs a passphrase to be given (its bcrypt KDF is checked when the
 * worker uses it). *why (may be NULL) gets a static message for any
 * result other than SSHKEY_OK. Nothing secret is ever logged. */
enum sshkey_result sshkey_inspect(const char *text, size_t n,
				  const char *passphrase,
				  struct sshkey_info *info, const char **why);
/* "SHA256:..." of an SSH wire-format public key blob (what ssh-keygen -l
 * prints), into out. */
void sshkey_fingerprint(const unsigned char *blob, size_t n,
			char out[SSHKEY_FP_MAX]);
/* The key type named at the start of a public key blob (its first
 * string) into out; -1 when the blob is malformed. */
int sshkey_blob_type(const unsigned char *blob, size_t n,
		     char out[SSHKEY_TYPE_MAX]);

#endif
