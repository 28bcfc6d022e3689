/* Unit tests for access tokens: ES256 round trip, and every forgery the
 * verifier must refuse (alg none, HMAC with the public key, other keys,
 * tampering, times, issuer, audience, missing claims, junk). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "token.h"
#include "tests/lib/mint.h"
#include "tests/lib/tap.h"

static char dir[64];

static const char *write_key(const char *name, const char *pem);
static char *claims_json(const char *iss, const char *aud, long iat,
			 long nbf, long exp, int with_sid);
static int verify(const char *jwt, time_t now);

static const char *
write_key(const char *name, const char *pem)
{
	static char path[2][128];
	static int which;
	FILE *f;
	char *p = path[which++ % 2];

	snprintf(p, 128, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f == NULL || fputs(pem, f) == EOF || fclose(f) != 0)
		BAIL_OUT("cannot write %s", p);
	return p;
}

static char *
claims_json(const char *iss, const char *aud, long iat, long nbf, long exp,
	    int with_sid)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":"
		     "\"0b9e7f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b\",%s"
		     "\"username\":\"alice\",\"role\":\"admin\","
		     "\"jti\":\"0123456789abcdef0123456789abcdef\","
		     "\"iat\":%ld,\"nbf\":%ld,\"exp\":%ld}",
		     iss, aud,
		     with_sid ? "\"sid\":\"1b9e7f3a-1c2d-4e5f-8a9b-"
				"0c1d2e3f4a5b\","
			      : "",
		     iat, nbf, exp) < 0)
		abort();
	return s;
}

static int
verify(const char *jwt, time_t now)
{
	struct token_claims c;
	const char *why = NULL;

	return jwt != NULL && token_verify(jwt, now, &c, &why) == 0;
}

int
main(void)
{
	char *priv, *pub, *priv2, *pub2, *tok, *forged, *claims, *copy;
	struct token_claims c, got;
	const char *why;
	time_t now = time(NULL);
	size_t i;

	snprintf(dir, sizeof(dir), "/tmp/oc-token-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		BAIL_OUT("mkdtemp failed");
	if (mint_ec_keypair(&priv, &pub) < 0 ||
	    mint_ec_keypair(&priv2, &pub2) < 0)
		BAIL_OUT("cannot generate P-256 keys");

	ok(token_verify("a.b.c", now, &got, &why) < 0,
	   "nothing verifies without a key");
	ok(token_sign(&c) == NULL, "nothing is signed without a key");
	ok(token_load_verify_key("/nonexistent/key.pem") < 0,
	   "a missing key file is an error");
	ok(token_load_verify_key(write_key("verify.pem", pub)) == 0,
	   "verify key loaded");
	ok(token_load_signing_key(write_key("signing.pem", priv)) == 0,
	   "signing key loaded");

	memset(&c, 0, sizeof(c));
	strcpy(c.sub, "0b9e7f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
	strcpy(c.sid, "1b9e7f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b");
	strcpy(c.username, "alice");
	strcpy(c.role, "operator");
	strcpy(c.jti, "0123456789abcdef0123456789abcdef");
	c.iat = c.nbf = now;
	c.exp = now + 900;
	tok = token_sign(&c);
	ok(tok != NULL, "token signed");
	ok(token_verify(tok, now, &got, &why) == 0, "a fresh token verifies");
	is(got.sub, c.sub, "sub round trip");
	is(got.sid, c.sid, "sid round trip");
	is(got.username, "alice", "username round trip");
	is(got.role, "operator", "role round trip");
	is(got.jti, c.jti, "jti round trip");
	ok(got.exp == c.exp && got.nbf == c.nbf && got.iat == c.iat,
	   "times round trip");
	ok(token_verify(tok, now, &got, &why) == 0,
	   "verifies again (from the cache)");
	ok(!verify(tok, now + 900 + 31), "expired beyond the leeway (cached)");
	ok(verify(tok, now + 900 + 10), "within 30 s of leeway still valid");
	ok(!verify(tok, now - 31), "before nbf beyond the leeway (cached)");

	/* Tampering. */
	copy = strdup(tok);
	{
		char *dot2 = strrchr(copy, '.');
		size_t mid = strlen(dot2) / 2;

		dot2[mid] = dot2[mid] == 'A' ? 'B' : 'A';
		ok(!verify(copy, now), "a changed signature byte is refused");
	}
	free(copy);
	copy = strdup(tok);
	{
		char *dot1 = strchr(copy, '.');

		dot1[5] = dot1[5] == 'A' ? 'B' : 'A';
		ok(!verify(copy, now), "a changed payload is refused");
	}
	free(copy);
	copy = strdup(tok);
	*strrchr(copy, '.') = '\0';
	ok(!verify(copy, now), "a token without signature is refused");
	free(copy);
	if (asprintf(&copy, "%s.", tok) < 0)
		abort();
	ok(!verify(copy, now), "a fourth segment is refused");
	free(copy);

	/* Algorithm attacks. */
	claims = claims_json("opsconductor", "opsconductor-api", now, now,
			     now + 900, 1);
	forged = mint_jwt("none", NULL, 0, claims);
	ok(forged != NULL, "minted an alg none token");
	ok(!verify(forged, now), "alg none is refused");
	free(forged);
	forged = mint_raw("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims, "");
	ok(!verify(forged, now), "alg none with an empty signature is refused");
	free(forged);
	forged = mint_raw("{\"alg\":\"None\"}", claims, "AAAA");
	ok(!verify(forged, now), "alg None is refused");
	free(forged);
	forged = mint_jwt("HS256", pub, strlen(pub), claims);
	ok(forged != NULL, "minted HS256 with the public key as secret");
	ok(!verify(forged, now), "HS256 with the public key (alg confusion) is "
				 "refused");
	free(forged);
	forged = mint_jwt("ES256", priv2, strlen(priv2), claims);
	ok(forged != NULL, "minted ES256 with another key");
	ok(!verify(forged, now), "ES256 signed by another key is refused");
	free(forged);
	forged = mint_jwt("ES256", priv, strlen(priv), claims);
	ok(verify(forged, now), "the same claims with the real key verify");
	/* Header variants around a valid signature. */
	{
		char *alt;

		alt = mint_raw("{\"alg\":\"ES256\",\"kid\":\"x\"}", claims,
			       strrchr(forged, '.') + 1);
		ok(!verify(alt, now), "an unexpected header field is refused");
		free(alt);
		alt = mint_raw("{\"alg\":\"ES384\"}", claims,
			       strrchr(forged, '.') + 1);
		ok(!verify(alt, now), "alg ES384 is refused");
		free(alt);
		alt = mint_raw("{\"alg\":[\"ES256\"]}", claims,
			       strrchr(forged, '.') + 1);
		ok(!verify(alt, now), "alg as an array is refused");
		free(alt);
		alt = mint_raw("{\"typ\":\"JWT\"}", claims,
			       strrchr(forged, '.') + 1);
		ok(!verify(alt, now), "no alg is refused");
		free(alt);
		alt = mint_raw("[]", claims, strrchr(forged, '.') + 1);
		ok(!verify(alt, now), "a header that is not an object is "
				      "refused");
		free(alt);
	}
	free(forged);
	free(claims);

	/* Claims checked with a genuine signature. */
	{
		struct {
			const char *name;
			char *claims;
		} bad[] = {
			{"wrong issuer",
			 claims_json("evil", "opsconductor-api", now, now,
				     now + 900, 1)},
			{"wrong audience",
			 claims_json("opsconductor", "other", now, now,
				     now + 900, 1)},
			{"expired",
			 claims_json("opsconductor", "opsconductor-api",
				     now - 1000, now - 1000, now - 60, 1)},
			{"not yet valid",
			 claims_json("opsconductor", "opsconductor-api", now,
				     now + 600, now + 900, 1)},
			{"no session id",
			 claims_json("opsconductor", "opsconductor-api", now,
				     now, now + 900, 0)},
			{"no exp",
			 strdup("{\"iss\":\"opsconductor\",\"aud\":"
				"\"opsconductor-api\",\"sub\":\"x\",\"sid\":"
				"\"y\",\"username\":\"u\",\"role\":\"admin\","
				"\"jti\":\"j\",\"iat\":1}")},
			{"exp as a string",
			 strdup("{\"iss\":\"opsconductor\",\"aud\":"
				"\"opsconductor-api\",\"sub\":\"x\",\"sid\":"
				"\"y\",\"username\":\"u\",\"role\":\"admin\","
				"\"jti\":\"j\",\"iat\":1,\"nbf\":1,"
				"\"exp\":\"99999999999\"}")},
			{"audience as an array",
			 strdup("{\"iss\":\"opsconductor\",\"aud\":[\"other\","
				"\"opsconductor-api\"],\"sub\":\"x\",\"sid\":"
				"\"y\",\"username\":\"u\",\"role\":\"admin\","
				"\"jti\":\"j\",\"iat\":1,\"nbf\":1,"
				"\"exp\":99999999999}")},
			{"a sub longer than a uuid",
			 strdup("{\"iss\":\"opsconductor\",\"aud\":"
				"\"opsconductor-api\",\"sub\":\"0b9e7f3a-1c2d-"
				"4e5f-8a9b-0c1d2e3f4a5bXXXX\",\"sid\":\"y\","
				"\"username\":\"u\",\"role\":\"admin\","
				"\"jti\":\"j\",\"iat\":1,\"nbf\":1,"
				"\"exp\":99999999999}")},
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			forged = mint_jwt("ES256", priv, strlen(priv),
					  bad[i].claims);
			ok(forged != NULL && !verify(forged, now),
			   "refused: %s", bad[i].name);
			free(forged);
			free(bad[i].claims);
		}
	}

	/* Junk. */
	{
		static const char *const junk[] = {
			"", ".", "..", "a.b.c", "garbage", "Bearer x",
			"eyJhbGciOiJFUzI1NiJ9..", "!!!.###.$$$",
			"eyJhbGciOiJFUzI1NiJ9.e30.AAAA",
		};
		char *huge = malloc(10001);

		for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
			ok(!verify(junk[i], now), "junk refused: '%s'",
			   junk[i]);
		memset(huge, 'A', 10000);
		huge[10000] = '\0';
		huge[100] = huge[200] = '.';
		ok(!verify(huge, now), "a 10000-byte token is refused");
		free(huge);
	}

	/* Keys can be replaced: the old key's tokens stop verifying. */
	ok(token_load_verify_key(write_key("verify2.pem", pub2)) == 0,
	   "another verify key loaded");
	c.jti[0] = 'f'; /* a token not in the cache */
	free(tok);
	tok = token_sign(&c);
	ok(!verify(tok, now), "a token of the old key does not verify with "
			      "the new one");
	free(tok);

	token_cleanup();
	ok(token_sign(&c) == NULL, "after cleanup nothing is signed");
	free(priv);
	free(pub);
	free(priv2);
	free(pub2);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return done_testing();
}
