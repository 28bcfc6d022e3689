/* The second factor: TOTP secrets sealed at rest, code and recovery code
 * checks with replay protection, and new recovery codes. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "arena.h"
#include "buf.h"
#include "crypto.h"
#include "db.h"
#include "enc.h"
#include "factor.h"
#include "keys.h"
#include "log.h"
#include "req.h"
#include "sql.h"

#define FACTOR_SEALED_LEN (TOTP_SECRET_LEN + 28)
#define FACTOR_CODE_CHARS 12

/* 32 symbols without look-alikes (no l, o, 0, 1): 5 bits each. */
static const char factor_alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";

static int factor_recovery_hash(char out[65], const char *user_id,
				const char *code);

void
factor_seal(char out[FACTOR_SEALED_HEX], const char *user_id,
	    const unsigned char secret[TOTP_SECRET_LEN])
{
	unsigned char sealed[FACTOR_SEALED_LEN];

	crypto_seal(sealed, keys_identity(), user_id, strlen(user_id), secret,
		    TOTP_SECRET_LEN);
	enc_hex(out, sealed, sizeof(sealed));
}

int
factor_open(unsigned char secret[TOTP_SECRET_LEN], const char *user_id,
	    const char *hex)
{
	unsigned char sealed[FACTOR_SEALED_LEN], plain[FACTOR_SEALED_LEN];
	long n;

	if (hex == NULL || strlen(hex) != 2 * FACTOR_SEALED_LEN ||
	    enc_hex_decode(sealed, sizeof(sealed), hex, strlen(hex)) !=
		FACTOR_SEALED_LEN)
		return -1;
	n = crypto_open(plain, keys_identity(), user_id, strlen(user_id),
			sealed, sizeof(sealed));
	if (n != TOTP_SECRET_LEN) {
		log_msg(LOG_ERROR, NULL,
			"the TOTP secret of user %s does not open (wrong "
			"identity key or tampered row)",
			user_id);
		OPENSSL_cleanse(plain, sizeof(plain));
		return -1;
	}
	memcpy(secret, plain, TOTP_SECRET_LEN);
	OPENSSL_cleanse(plain, sizeof(plain));
	return 0;
}

/* SHA-256 hex of "<user id>:<code without dashes, lowercase>"; -1 when
 * code cannot be a recovery code. */
static int
factor_recovery_hash(char out[65], const char *user_id, const char *code)
{
	char norm[FACTOR_CODE_CHARS + 1], salted[64];
	size_t n = 0;
	int c;

	for (; *code != '\0'; code++) {
		c = tolower((unsigned char)*code);
		if (c == '-' || c == ' ')
			continue;
		if (n == FACTOR_CODE_CHARS ||
		    strchr(factor_alphabet, c) == NULL)
			return -1;
		norm[n++] = (char)c;
	}
	if (n != FACTOR_CODE_CHARS)
		return -1;
	norm[n] = '\0';
	snprintf(salted, sizeof(salted), "%s:%s", user_id, norm);
	crypto_sha256_hex(out, salted);
	OPENSSL_cleanse(salted, sizeof(salted));
	return 0;
}

int
factor_check(struct req *r, const char *user_id, const char *sealed_hex,
	     const char *last_step, const char *code, const char *recovery)
{
	unsigned char secret[TOTP_SECRET_LEN];
	char hash[65], step_s[24];
	long long step;
	PGresult *res;

	if (code != NULL) {
		if (factor_open(secret, user_id, sealed_hex) < 0)
			return 0;
		step = totp_verify(secret, sizeof(secret), code, time(NULL),
				   last_step != NULL ? atoll(last_step) : -1);
		OPENSSL_cleanse(secret, sizeof(secret));
		if (step < 0)
			return 0;
		snprintf(step_s, sizeof(step_s), "%lld", step);
		res = db_query_or_problem(r, &sql_totp_use_step,
					  DB_PARAMS(user_id, step_s));
		if (res == NULL)
			return -1;
		return PQntuples(res) == 1;
	}
	if (recovery == NULL ||
	    factor_recovery_hash(hash, user_id, recovery) < 0)
		return 0;
	res =
	    db_query_or_problem(r, &sql_recovery_use, DB_PARAMS(user_id, hash));
	if (res == NULL)
		return -1;
	return PQntuples(res) == 1;
}

json_object *
factor_recovery_new(struct req *r, const char *user_id)
{
	unsigned char raw[FACTOR_CODE_CHARS];
	char code[FACTOR_CODE_CHARS + 3], hash[65];
	json_object *codes = json_object_new_array();
	struct buf arr;
	size_t i, j, o;
	const char *lit;

	buf_init(&arr, 4096);
	buf_puts(&arr, "{");
	for (i = 0; i < FACTOR_RECOVERY_CODES; i++) {
		crypto_random(raw, sizeof(raw));
		for (j = 0, o = 0; j < FACTOR_CODE_CHARS; j++) {
			if (j > 0 && j % 4 == 0)
				code[o++] = '-';
			code[o++] = factor_alphabet[raw[j] & 31];
		}
		code[o] = '\0';
		factor_recovery_hash(hash, user_id, code);
		buf_printf(&arr, "%s%s", i > 0 ? "," : "", hash);
		json_object_array_add(codes, json_object_new_string(code));
	}
	buf_puts(&arr, "}");
	lit = arena_strdup(r->arena, arr.data);
	buf_cleanup(&arr);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (db_query_or_problem(r, &sql_recovery_delete, DB_PARAMS(user_id)) ==
		NULL ||
	    db_query_or_problem(r, &sql_recovery_insert,
				DB_PARAMS(user_id, lit)) == NULL) {
		json_object_put(codes);
		return NULL;
	}
	return codes;
}
