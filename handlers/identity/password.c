/* Passwords: argon2id hashing and verification, and the password policy. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <argon2.h>

#include "cfg.h"
#include "crypto.h"
#include "enc.h"
#include "password.h"
#include "problem.h"

#define PASSWORD_SALT 16
#define PASSWORD_LEN 32

static char password_dummy[PASSWORD_HASH_MAX];

/* Lowercase, so "Password1234" is caught too. */
static const char *const password_common[] = {
    "password1234",  "password12345", "password123456",
    "123456789012",  "1234567890123", "12345678901234",
    "qwertyuiopas",  "qwertyuiop12",  "qwertyuiop123",
    "qwerty123456",  "1qaz2wsx3edc",  "1q2w3e4r5t6y",
    "iloveyou1234",  "letmein12345",  "welcome12345",
    "administrator", "admin1234567",  "adminadmin12",
    "passw0rd1234",  "p@ssw0rd1234",  "p@ssword1234",
    "abc123456789",  "abcdefghijkl",  "abcd1234efgh",
    "football1234",  "baseball1234",  "sunshine1234",
    "princess1234",  "changeme1234",  "trustno11234",
    "opsconductor",  "opsconductor1", "opsconductor123",
    "000000000000",  "111111111111",  "123123123123",
    "987654321098",  "zaq12wsxcde3",  "asdfghjkl123",
    "superman1234",  "monkey123456",  "dragon123456",
    "master123456",  "secret123456",  NULL};

static int password_contains_ci(const char *hay, const char *needle);
static int password_distinct(const char *pw);
static int password_is_common(const char *pw);

int
password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
	unsigned char salt[PASSWORD_SALT];
	int rc;

	if (cfg.argon2_memory_kib <= 0 || cfg.argon2_iterations <= 0)
		return -1;
	crypto_random(salt, sizeof(salt));
	rc = argon2id_hash_encoded((uint32_t)cfg.argon2_iterations,
				   (uint32_t)cfg.argon2_memory_kib, 1, pw,
				   strlen(pw), salt, sizeof(salt), PASSWORD_LEN,
				   out, PASSWORD_HASH_MAX);
	return rc == ARGON2_OK ? 0 : -1;
}

int
password_init(void)
{
	char pw[44];

	if (password_dummy[0] != '\0')
		return 0;
	crypto_random_token(pw, sizeof(pw), 24);
	return password_hash(pw, password_dummy);
}

int
password_verify(const char *encoded, const char *pw)
{
	if (encoded == NULL) {
		if (password_init() == 0)
			argon2id_verify(password_dummy, pw, strlen(pw));
		return 0;
	}
	if (strncmp(encoded, "$argon2id$", 10) != 0)
		return 0;
	return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
}

/* ASCII case-insensitive substring test. */
static int
password_contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle), i;

	if (n == 0)
		return 0;
	for (; *hay != '\0'; hay++) {
		for (i = 0; i < n; i++)
			if (hay[i] == '\0' ||
			    tolower((unsigned char)hay[i]) !=
				tolower((unsigned char)needle[i]))
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

/* Distinct code points, counted up to PASSWORD_DISTINCT. */
static int
password_distinct(const char *pw)
{
	const char *seen[PASSWORD_DISTINCT];
	size_t seen_len[PASSWORD_DISTINCT], len;
	int n = 0, i;

	while (*pw != '\0' && n < PASSWORD_DISTINCT) {
		len = 1;
		while ((pw[len] & 0xc0) == 0x80)
			len++;
		for (i = 0; i < n; i++)
			if (seen_len[i] == len && memcmp(seen[i], pw, len) == 0)
				break;
		if (i == n) {
			seen[n] = pw;
			seen_len[n] = len;
			n++;
		}
		pw += len;
	}
	return n;
}

static int
password_is_common(const char *pw)
{
	char low[64];
	size_t i, n = strlen(pw);
	int k;

	if (n >= sizeof(low))
		return 0;
	for (i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)pw[i]);
	for (k = 0; password_common[k] != NULL; k++)
		if (strcmp(low, password_common[k]) == 0)
			return 1;
	return 0;
}

int
password_policy(const char *pw, const char *username,
		const char *msgs[PASSWORD_POLICY_MAX])
{
	size_t len;
	int n = 0;

	if (!enc_utf8_valid(pw, strlen(pw))) {
		msgs[n++] = "must be valid UTF-8 text";
		return n;
	}
	len = enc_utf8_len(pw);
	if (len < PASSWORD_MIN)
		msgs[n++] = "must be at least 12 characters long";
	if (len > PASSWORD_MAX)
		msgs[n++] = "must be at most 256 characters long";
	if (username != NULL && strlen(username) >= 2 &&
	    password_contains_ci(pw, username))
		msgs[n++] = "must not contain the username";
	if (password_is_common(pw))
		msgs[n++] = "is too common; choose a less predictable password";
	if (password_distinct(pw) < PASSWORD_DISTINCT)
		msgs[n++] = "must contain at least 5 different characters";
	return n;
}

int
password_policy_or_problem(struct req *r, const char *field, const char *pw,
			   const char *username)
{
	const char *msgs[PASSWORD_POLICY_MAX];
	int n = password_policy(pw, username, msgs), i;

	for (i = 0; i < n; i++)
		problem_field(r, field, "%s", msgs[i]);
	return n > 0 ? -1 : 0;
}
