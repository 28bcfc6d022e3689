/* Forged access tokens through nginx: every one is a 401, including those
 * signed with the real key whose claims are wrong, and a role claim never
 * outranks the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/lib/mint.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

static const struct tc_user *user;

static char *claims(const char *iss, const char *aud, long nbf, long exp,
		    const char *role);
static void refused(const char *token, const char *what);

static char *
claims(const char *iss, const char *aud, long nbf, long exp,
       const char *role)
{
	static unsigned n;

	return tc_printf("{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"%s\","
			 "\"sid\":\"%s\",\"username\":\"%s\",\"role\":\"%s\","
			 "\"jti\":\"%032u\",\"iat\":%ld,\"nbf\":%ld,"
			 "\"exp\":%ld}",
			 iss, aud, user->id, user->session, user->username,
			 role, ++n, nbf, nbf, exp);
}

static void
refused(const char *token, const char *what)
{
	struct tc_res *r;

	if (token == NULL) {
		fail("could not mint: %s", what);
		return;
	}
	r = tc_req("GET", "/api/v1/me", token, NULL);
	if (tc_problem_is(r, 401, "unauthorized", "refused: %s", what))
		ok(tc_header(r, "WWW-Authenticate") != NULL &&
			   strncmp(tc_header(r, "WWW-Authenticate"), "Bearer",
				   6) == 0,
		   "WWW-Authenticate: Bearer (%s)", what);
}

int
main(void)
{
	char *priv, *pub, *other_priv, *other_pub, *tok, *bad;
	const char *var;
	struct tc_user *u;
	struct tc_res *r;
	long now = (long)time(NULL);
	size_t publen, privlen;
	char *dot;

	tc_init(12);
	var = tc_env("OC_TEST_VAR");
	pub = mint_read_file(tc_printf("%s/keys/jwt-verify.pem", var), &publen);
	priv = mint_read_file(tc_printf("%s/keys/jwt-signing.pem", var),
			      &privlen);
	if (pub == NULL || priv == NULL)
		BAIL_OUT("cannot read the stack's JWT keys under %s/keys", var);
	if (mint_ec_keypair(&other_priv, &other_pub) < 0)
		BAIL_OUT("cannot generate a P-256 key");
	u = tc_new_user("tok", "viewer");
	if (u == NULL || u->session == NULL)
		BAIL_OUT("cannot create and log in a test user");
	user = u;

	/* Control: the real key with correct claims works, so every refusal
	 * below is about the one thing that is wrong. */
	tok = mint_jwt("ES256", priv, privlen,
		       claims("opsconductor", "opsconductor-api", now,
			      now + 600, "viewer"));
	r = tc_req("GET", "/api/v1/me", tok, NULL);
	tc_status_is(r, 200, "control: a token minted with the real key works");
	free(tok);

	/* The role claim is not trusted: the database says viewer. */
	tok = mint_jwt("ES256", priv, privlen,
		       claims("opsconductor", "opsconductor-api", now,
			      now + 600, "admin"));
	tc_problem_is(tc_req("GET", "/api/v1/users", tok, NULL), 403,
		      "forbidden", "a role claim of admin does not make an admin");
	free(tok);

	tok = mint_jwt("none", NULL, 0,
		       claims("opsconductor", "opsconductor-api", now,
			      now + 600, "viewer"));
	refused(tok, "alg none");
	free(tok);
	tok = mint_raw("{\"alg\":\"none\",\"typ\":\"JWT\"}",
		       claims("opsconductor", "opsconductor-api", now,
			      now + 600, "viewer"),
		       "");
	refused(tok, "alg none, hand made");
	free(tok);
	tok = mint_jwt("HS256", pub, publen,
		       claims("opsconductor", "opsconductor-api", now,
			      now + 600, "viewer"));
	refused(tok, "HS256 with the public key PEM as secret");
	free(tok);
	tok = mint_jwt("HS256", pub, strlen(pub) - 1,
		       claims("opsconductor", "opsconductor-api", now,
			      now + 600, "viewer"));
	refused(tok, "HS256 with the PEM minus its last newline");
	free(tok);
	tok = mint_jwt("ES256", other_priv, strlen(other_priv),
		       claims("opsconductor", "opsconductor-api", now,
			      now + 600, "viewer"));
	refused(tok, "ES256 signed by another P-256 key");
	free(tok);

	/* A genuine token with one signature byte changed. */
	bad = strdup(u->token);
	dot = strrchr(bad, '.');
	dot[10] = dot[10] == 'A' ? 'B' : 'A';
	refused(bad, "a flipped signature byte");
	free(bad);
	bad = strdup(u->token);
	dot = strchr(bad, '.');
	dot[3] = dot[3] == 'A' ? 'B' : 'A';
	refused(bad, "a changed payload");
	free(bad);

	/* The real key, one wrong claim each. */
	tok = mint_jwt("ES256", priv, privlen,
		       claims("opsconductor", "opsconductor-api", now - 2000,
			      now - 120, "viewer"));
	refused(tok, "expired two minutes ago");
	free(tok);
	tok = mint_jwt("ES256", priv, privlen,
		       claims("opsconductor", "opsconductor-api", now + 300,
			      now + 900, "viewer"));
	refused(tok, "nbf five minutes ahead");
	free(tok);
	tok = mint_jwt("ES256", priv, privlen,
		       claims("evil", "opsconductor-api", now, now + 600,
			      "viewer"));
	refused(tok, "wrong issuer");
	free(tok);
	tok = mint_jwt("ES256", priv, privlen,
		       claims("opsconductor", "someone-else", now, now + 600,
			      "viewer"));
	refused(tok, "wrong audience");
	free(tok);
	tok = mint_jwt("ES256", priv, privlen,
		       tc_printf("{\"iss\":\"opsconductor\",\"aud\":"
				 "\"opsconductor-api\",\"sub\":\"%s\","
				 "\"sid\":\"00000000-0000-4000-8000-"
				 "000000000000\",\"username\":\"%s\","
				 "\"role\":\"viewer\",\"jti\":\"x\",\"iat\":%ld,"
				 "\"nbf\":%ld,\"exp\":%ld}",
				 u->id, u->username, now, now, now + 600));
	refused(tok, "a session that does not exist");
	free(tok);
	tok = mint_jwt("ES256", priv, privlen,
		       tc_printf("{\"iss\":\"opsconductor\",\"aud\":"
				 "\"opsconductor-api\",\"sub\":\"%s\","
				 "\"sid\":\"not-a-uuid\",\"username\":\"%s\","
				 "\"role\":\"viewer\",\"jti\":\"x\",\"iat\":%ld,"
				 "\"nbf\":%ld,\"exp\":%ld}",
				 u->id, u->username, now, now, now + 600));
	refused(tok, "a session id that is not a uuid");
	free(tok);

	/* Junk. */
	refused("garbage", "garbage");
	refused("a.b.c", "three dots of nothing");
	refused("e30.e30.", "empty JSON parts");
	refused(tc_printf("%s.", u->token), "a fourth segment");
	r = tc_req_opt("GET", "/api/v1/me", NULL, NULL,
		       &(struct tc_opt){.authorization = "Bearer"});
	tc_problem_is(r, 401, "unauthorized", "refused: Bearer without token");
	r = tc_req_opt("GET", "/api/v1/me", NULL, NULL,
		       &(struct tc_opt){.authorization = "Basic YTpi"});
	tc_problem_is(r, 401, "unauthorized", "refused: Basic credentials");
	r = tc_req_opt("GET", "/api/v1/me", NULL, NULL,
		       &(struct tc_opt){.authorization =
						tc_printf("Token %s", u->token)});
	tc_problem_is(r, 401, "unauthorized", "refused: another scheme");
	{
		char *huge = malloc(20001);

		memset(huge, 'A', 20000);
		huge[20000] = '\0';
		huge[5000] = huge[10000] = '.';
		r = tc_req("GET", "/api/v1/me", huge, NULL);
		ok(r->status == 401 || r->status == 400 || r->status == 431 ||
			   r->status == 494,
		   "a 20 kB token is refused, not a crash (%ld)", r->status);
		free(huge);
	}
	tc_status_is(tc_req("GET", "/api/v1/me", u->token, NULL), 200,
		     "the genuine token still works");

	free(priv);
	free(pub);
	free(other_priv);
	free(other_pub);
	tc_done();
	return done_testing();
}
