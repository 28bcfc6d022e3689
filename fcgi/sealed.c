/* Sealing secrets in a request (see sealed.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "enc.h"
#include "problem.h"
#include "req.h"
#include "seal.h"
#include "sealed.h"

int
sealed_json_or_problem(struct req *r, const char *aad, json_object *secret,
		       const char *what, struct sealed *out)
{
	size_t ptlen, len;
	const char *pt = json_object_to_json_string_length(
	    secret, JSON_C_TO_STRING_PLAIN, &ptlen);
	unsigned char *blob = seal_encrypt(aad, strlen(aad), pt, ptlen, &len);
	char *hex;

	if (blob == NULL) {
		req_header_add(r, "Retry-After", "5");
		return problem(r, PROBLEM_UNAVAILABLE,
			       "No encryption key is loaded; %s cannot be "
			       "stored.",
			       what),
		       -1;
	}
	hex = arena_alloc(r->arena, len * 2 + 1);
	enc_hex(hex, blob, len);
	free(blob);
	out->hex = hex;
	snprintf(out->version, sizeof(out->version), "%d",
		 seal_current_version());
	return 0;
}
