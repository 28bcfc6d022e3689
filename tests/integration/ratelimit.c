/* nginx's per-address limits: the login route answers 429 problem+json
 * with Retry-After once a client exceeds its rate and burst. */
#include <stdlib.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

int
main(void)
{
	struct tc_res *r;
	int i, n, limited = 0, other = 0, burst;
	/* Refused by validation at once, so the client outpaces the rate
	 * (a real password check would keep it under). */
	const char *body = "{\"user\":\"nobody\"}";

	tc_init(23);
	burst = atoi(tc_env("OC_TEST_LOGIN_BURST"));
	ok(burst > 0, "the stack's login burst is known (%d)", burst);
	/* Twice the burst as fast as one client can: far above the rate. */
	n = 2 * burst + 20;
	for (i = 0; i < n; i++) {
		r = tc_req("POST", "/api/v1/auth/login", NULL, body);
		if (r->status == 429) {
			if (limited++ == 0) {
				tc_problem_is(r, 429, "rate-limited",
					      "the first refusal is a problem");
				like(tc_header(r, "Retry-After"), "^[0-9]+$",
				     "with Retry-After");
			}
		} else if (r->status != 422) {
			other++;
		}
	}
	cmp_ok(limited, ">=", n - burst - 20,
	       "requests beyond the burst are refused (%d of %d)", limited,
	       n);
	cmp_ok(other, "==", 0, "every other answer is the validation error");
	tc_done();
	return done_testing();
}
