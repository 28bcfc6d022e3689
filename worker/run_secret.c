/* Opens sealed secrets in the worker: credentials of targets and the
 * secret parameters of runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "run.h"
#include "seal.h"

json_object *
run_secret_open(const char *hex, const char *aad, char *err, size_t errlen)
{
	unsigned char *blob, *plain;
	const char *why;
	size_t len, i;
	long got;
	json_object *o;

	len = strlen(hex) / 2;
	blob = malloc(len + 1);
	plain = malloc(len + 1);
	if (blob == NULL || plain == NULL)
		abort();
	for (i = 0; i < len; i++)
		sscanf(hex + 2 * i, "%2hhx", &blob[i]);
	got = seal_decrypt(plain, len, aad, strlen(aad), blob, len, &why);
	free(blob);
	if (got < 0) {
		snprintf(err, errlen, "cannot be decrypted: %s", why);
		free(plain);
		return NULL;
	}
	plain[got] = '\0';
	o = json_tokener_parse((const char *)plain);
	OPENSSL_cleanse(plain, (size_t)got);
	free(plain);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(err, errlen, "is not a readable JSON object");
		return NULL;
	}
	return o;
}
