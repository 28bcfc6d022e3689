/* Sealing secrets in a request: the one way the web tier turns a JSON
 * object of secret values into a blob only the worker can open. */
#ifndef OC_SEALED_H
#define OC_SEALED_H

#include <json-c/json.h>

struct req;

struct sealed {
	const char *hex;  /* the blob as hex (arena memory) */
	char version[12]; /* the key version it was sealed under */
};

/* Seals secret (a JSON object) bound to aad under the newest public key.
 * 0, or -1 with a 503 problem (Retry-After) when no key is loaded; what
 * names the values in that message ("secrets", "secret parameters"). */
int sealed_json_or_problem(struct req *r, const char *aad, json_object *secret,
			   const char *what, struct sealed *out);

#endif
