/* Unit tests for passwords (handlers/identity/password.c): argon2id hash
 * and verify, the encoded parameters, the dummy verify for unknown users,
 * and each rule of the password policy with its own message. */
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "handlers/identity/password.h"
#include "tests/lib/tap.h"

struct policy_case {
	const char *pw;
	const char *username;
	const char *want[PASSWORD_POLICY_MAX]; /* messages, NULL-ended */
};

#define TOO_SHORT "must be at least 12 characters long"
#define TOO_LONG "must be at most 256 characters long"
#define HAS_USER "must not contain the username"
#define COMMON "is too common; choose a less predictable password"
#define DISTINCT "must contain at least 5 different characters"

static char long_pw[300];

static struct policy_case cases[] = {
    {"correct horse battery staple", "alice", {NULL}},
    {"ÄÖÜäöüßabcde", "alice", {NULL}}, /* 12 code points */
    {"short-pw1", "alice", {TOO_SHORT, NULL}},
    {"ééééééééééé", NULL, {TOO_SHORT, DISTINCT, NULL}}, /* 22 bytes */
    {long_pw, "alice", {TOO_LONG, NULL}},
    {"my-ALICE-is-long", "alice", {HAS_USER, NULL}},
    {"Password1234", "bob", {COMMON, NULL}},
    {"qwertyuiopas", "bob", {COMMON, NULL}},
    {"123456789012", "bob", {COMMON, NULL}},
    {"aaaabbbbccccdddd", "bob", {DISTINCT, NULL}},
    {"abab", "ab", {TOO_SHORT, HAS_USER, DISTINCT, NULL}},
    {"", "bob", {TOO_SHORT, DISTINCT, NULL}},
};

int
main(void)
{
	const char *msgs[PASSWORD_POLICY_MAX];
	char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
	size_t i;
	int n, k, nwant;

	cfg.argon2_memory_kib = 1024;
	cfg.argon2_iterations = 1;

	cmp_ok(password_hash("correct horse battery staple", h1), "==", 0,
	       "hash succeeds");
	like(h1,
	     "^\\$argon2id\\$v=19\\$m=1024,t=1,p=1\\$[A-Za-z0-9+/]{22}\\$"
	     "[A-Za-z0-9+/]{43}$",
	     "encoded argon2id with m, t, p=1, a 16-byte salt and a 32-byte "
	     "hash");
	ok(password_verify(h1, "correct horse battery staple"),
	   "the right password verifies");
	ok(!password_verify(h1, "correct horse battery stapl"),
	   "a wrong password does not");
	ok(!password_verify(h1, ""), "an empty password does not");
	cmp_ok(password_hash("correct horse battery staple", h2), "==", 0,
	       "second hash");
	isnt(h1, h2, "each hash has its own salt");
	ok(password_verify(h2, "correct horse battery staple"),
	   "the second hash verifies too");
	ok(!password_verify(NULL, "correct horse battery staple"),
	   "an unknown user (dummy hash) never verifies");
	ok(!password_verify("$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
			    "x"),
	   "a hash of another kind is refused");
	ok(!password_verify("not a hash", "x"), "garbage is refused");

	cfg.argon2_memory_kib = 2048;
	cfg.argon2_iterations = 2;
	cmp_ok(password_hash("correct horse battery staple", h2), "==", 0,
	       "hash with other parameters");
	like(h2, "^\\$argon2id\\$v=19\\$m=2048,t=2,p=1\\$",
	     "the configured parameters are used");
	ok(password_verify(h1, "correct horse battery staple"),
	   "older hashes still verify after a parameter change");
	cfg.argon2_memory_kib = 0;
	cmp_ok(password_hash("x", h2), "==", -1,
	       "hashing without parameters fails");

	memset(long_pw, 'x', 257);
	memcpy(long_pw, "abcdefghij", 10);
	long_pw[257] = '\0';
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = password_policy(cases[i].pw, cases[i].username, msgs);
		for (nwant = 0; cases[i].want[nwant] != NULL; nwant++)
			;
		if (!cmp_ok(n, "==", nwant, "case %zu: %d failing rules", i,
			    nwant))
			continue;
		for (k = 0; k < n; k++)
			is(msgs[k], cases[i].want[k], "case %zu: rule %d", i,
			   k + 1);
	}
	n = password_policy("bad\xff\xfe password here", NULL, msgs);
	cmp_ok(n, "==", 1, "invalid UTF-8 is one failure");
	return done_testing();
}
