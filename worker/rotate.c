/* Secret key rotation: new key version, batched re-sealing of every stored
 * secret under it, and retirement of versions nothing uses any more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "cfg.h"
#include "db.h"
#include "enc.h"
#include "log.h"
#include "rotate.h"
#include "seal.h"

#define ROTATE_BATCH_DEFAULT 100
#define ROTATE_BATCH_MAX 10000
/* Rows changed by the API between read and write, or sealed under an old
 * key by a pool just before the new one appeared, are picked up by the
 * next pass; a row still left after this many passes is reported. */
#define ROTATE_PASSES 5

/* Every sealed column. page: rows under another version than $1 after
 * id $2 (keyset paging), up to $3, as (id, binding, blob hex, version,
 * guard); update: re-seals row $1 with blob $2 under version $3 only if
 * its guard is still $4 and its version $5, i.e. nobody changed it since
 * it was read. count: rows per key version. */
struct rotate_kind {
	const char *entity; /* audit entity_type; action "<entity>.reseal" */
	struct db_stmt page, update, count;
};

static const struct rotate_kind rotate_kinds[] = {
    {"credential",
     {"rotate_cred_page",
      "SELECT id::text, 'credential:' || id, encode(secret, 'hex'), "
      "key_version::text, version::text FROM assets.credentials WHERE "
      "key_version <> $1::int AND id > $2::uuid ORDER BY id LIMIT $3::int",
      3},
     {"rotate_cred_update",
      "UPDATE assets.credentials SET secret = decode($2, 'hex'), "
      "key_version = $3::int WHERE id = $1::uuid AND version = $4::int AND "
      "key_version = $5::int",
      5},
     {"rotate_cred_count",
      "SELECT key_version::text, count(*)::text FROM assets.credentials "
      "GROUP BY key_version",
      0}},
    /* Secret parameters of runs, bound to their secret_binding. */
    {"run",
     {"rotate_run_page",
      "SELECT id::text, secret_binding, encode(secret_params, 'hex'), "
      "coalesce(key_version, 0)::text, md5(secret_params) FROM "
      "automation.runs WHERE secret_params IS NOT NULL AND key_version IS "
      "DISTINCT FROM $1::int AND id > $2::uuid ORDER BY id LIMIT $3::int",
      3},
     {"rotate_run_update",
      "UPDATE automation.runs SET secret_params = decode($2, 'hex'), "
      "key_version = $3::int WHERE id = $1::uuid AND md5(secret_params) = "
      "$4 AND coalesce(key_version, 0) = $5::int",
      5},
     {"rotate_run_count",
      "SELECT coalesce(key_version, 0)::text, count(*)::text FROM "
      "automation.runs WHERE secret_params IS NOT NULL GROUP BY "
      "key_version",
      0}},
    /* Secret parameters of schedules, bound to "schedule:<id>". */
    {"schedule",
     {"rotate_sched_page",
      "SELECT id::text, secret_binding, encode(secret_params, 'hex'), "
      "coalesce(key_version, 0)::text, version::text FROM "
      "automation.schedules WHERE secret_params IS NOT NULL AND "
      "key_version IS DISTINCT FROM $1::int AND id > $2::uuid ORDER BY id "
      "LIMIT $3::int",
      3},
     {"rotate_sched_update",
      "UPDATE automation.schedules SET secret_params = decode($2, 'hex'), "
      "key_version = $3::int WHERE id = $1::uuid AND version = $4::int AND "
      "coalesce(key_version, 0) = $5::int",
      5},
     {"rotate_sched_count",
      "SELECT coalesce(key_version, 0)::text, count(*)::text FROM "
      "automation.schedules WHERE secret_params IS NOT NULL GROUP BY "
      "key_version",
      0}},
};
#define ROTATE_NKINDS (sizeof(rotate_kinds) / sizeof(rotate_kinds[0]))

static const struct db_stmt rotate_audit_stmt = {
    "rotate_audit",
    "INSERT INTO core.audit_events (actor_name, action, entity_type, "
    "entity_id, after) VALUES ('system', $1, $2, NULL, $3::jsonb)",
    3};

struct rotate_run {
	struct db *db;
	const struct rotate_kind *kind;
	int version; /* re-sealing under this one */
	int batch;
	long resealed; /* rows rewritten */
	long changed;  /* rows skipped: changed since read */
	long failed;   /* rows that could not be opened */
	long batches;
};

static int rotate_batch(struct rotate_run *rr, const char *after, char *last,
			size_t lastlen, int *rows);
static int rotate_reseal_row(struct rotate_run *rr, const char *id,
			     const char *aad, const char *hex, char **out_hex);
static long rotate_remaining(struct db *db, const struct rotate_kind *only,
			     int version, int verbose);
static int rotate_newest_on_disk(void);
static int rotate_kind_all(struct rotate_run *rr);
static int rotate_all(struct db *db, int version, int batch);
static int rotate_retire(struct db *db);
static int rotate_audit(struct db *db, const char *action,
			const char *entity_type, json_object *after);

/* Opens one sealed secret (bound to aad) and seals it again under the
 * current version. *out_hex is malloc'd. 0, or -1 (logged, the row is
 * left as it is). */
static int
rotate_reseal_row(struct rotate_run *rr, const char *id, const char *aad,
		  const char *hex, char **out_hex)
{
	unsigned char *blob, *plain, *sealed;
	const char *why;
	size_t len = strlen(hex) / 2, slen, i;
	long got;

	if (aad == NULL) {
		log_msg(LOG_ERROR, NULL, "%s %s has no binding", rr->kind->entity,
			id);
		return -1;
	}
	blob = malloc(len + 1);
	plain = malloc(len + 1);
	if (blob == NULL || plain == NULL)
		abort();
	for (i = 0; i < len; i++)
		sscanf(hex + 2 * i, "%2hhx", &blob[i]);
	got = seal_decrypt(plain, len, aad, strlen(aad), blob, len, &why);
	free(blob);
	if (got < 0) {
		log_msg(LOG_ERROR, NULL, "%s %s cannot be opened: %s",
			rr->kind->entity, id, why);
		free(plain);
		return -1;
	}
	sealed = seal_encrypt(aad, strlen(aad), plain, (size_t)got, &slen);
	OPENSSL_cleanse(plain, (size_t)got);
	free(plain);
	if (sealed == NULL || seal_blob_version(sealed, slen) != rr->version) {
		log_msg(LOG_ERROR, NULL,
			"%s %s: cannot seal under key version %d",
			rr->kind->entity, id, rr->version);
		free(sealed);
		return -1;
	}
	*out_hex = malloc(slen * 2 + 1);
	if (*out_hex == NULL)
		abort();
	enc_hex(*out_hex, sealed, slen);
	free(sealed);
	return 0;
}

static int
rotate_audit(struct db *db, const char *action, const char *entity_type,
	     json_object *after)
{
	PGresult *res = db_exec(db, &rotate_audit_stmt,
				DB_PARAMS(action, entity_type,
					  json_object_to_json_string_ext(
					      after, JSON_C_TO_STRING_PLAIN)),
				NULL);
	int ok = res != NULL;

	PQclear(res);
	return ok ? 0 : -1;
}

/* One batch in one transaction: up to rr->batch rows after `after`, each
 * re-sealed if unchanged, and one audit row naming the rows re-sealed.
 * last gets the last id read; *rows the number read. 0 or -1. */
static int
rotate_batch(struct rotate_run *rr, const char *after, char *last,
	     size_t lastlen, int *rows)
{
	char vbuf[16], bbuf[16], action[64], *hex;
	PGresult *page, *res;
	json_object *ids, *audit;
	int i, n, done = 0;

	snprintf(vbuf, sizeof(vbuf), "%d", rr->version);
	snprintf(bbuf, sizeof(bbuf), "%d", rr->batch);
	if (db_command(rr->db, "BEGIN") < 0)
		return -1;
	page = db_exec(rr->db, &rr->kind->page, DB_PARAMS(vbuf, after, bbuf),
		       NULL);
	if (page == NULL) {
		db_command(rr->db, "ROLLBACK");
		return -1;
	}
	n = PQntuples(page);
	*rows = n;
	ids = json_object_new_array();
	for (i = 0; i < n; i++) {
		const char *id = db_value(page, i, 0);

		snprintf(last, lastlen, "%s", id);
		if (rotate_reseal_row(rr, id, db_value(page, i, 1),
				      db_value(page, i, 2), &hex) < 0) {
			rr->failed++;
			continue;
		}
		res = db_exec(rr->db, &rr->kind->update,
			      DB_PARAMS(id, hex, vbuf, db_value(page, i, 4),
					db_value(page, i, 3)),
			      NULL);
		free(hex);
		if (res == NULL) {
			json_object_put(ids);
			PQclear(page);
			db_command(rr->db, "ROLLBACK");
			return -1;
		}
		if (strcmp(PQcmdTuples(res), "1") == 0) {
			json_object_array_add(ids, json_object_new_string(id));
			done++;
		} else {
			rr->changed++;
		}
		PQclear(res);
	}
	PQclear(page);
	if (done > 0) {
		audit = json_object_new_object();
		json_object_object_add(audit, "key_version",
				       json_object_new_int(rr->version));
		json_object_object_add(audit, "count",
				       json_object_new_int(done));
		json_object_object_add(audit, "ids", ids);
		snprintf(action, sizeof(action), "%s.reseal",
			 rr->kind->entity);
		i = rotate_audit(rr->db, action, rr->kind->entity,
				 audit);
		json_object_put(audit);
		if (i < 0) {
			db_command(rr->db, "ROLLBACK");
			return -1;
		}
	} else {
		json_object_put(ids);
	}
	if (db_command(rr->db, "COMMIT") < 0)
		return -1;
	rr->resealed += done;
	rr->batches += done > 0;
	return 0;
}

/* Rows under other versions than `version`, of one kind or (only NULL)
 * of all; prints them per version when verbose. -1 when the database
 * cannot be asked. */
static long
rotate_remaining(struct db *db, const struct rotate_kind *only, int version,
		 int verbose)
{
	PGresult *res;
	long left = 0, c;
	size_t k;
	int i;

	for (k = 0; k < ROTATE_NKINDS; k++) {
		if (only != NULL && only != &rotate_kinds[k])
			continue;
		res = db_exec(db, &rotate_kinds[k].count, NULL, NULL);
		if (res == NULL)
			return -1;
		for (i = 0; i < PQntuples(res); i++) {
			c = atol(db_value(res, i, 1));
			if (verbose)
				printf("  %s secrets under key version %s: "
				       "%ld\n",
				       rotate_kinds[k].entity,
				       db_value(res, i, 0), c);
			if (atoi(db_value(res, i, 0)) != version)
				left += c;
		}
		PQclear(res);
	}
	return left;
}

/* The highest version with a key file loaded (public or private). */
static int
rotate_newest_on_disk(void)
{
	int v;

	for (v = SEAL_MAX_VERSIONS; v > 0; v--)
		if (seal_has_key(v, 0) || seal_has_key(v, 1))
			return v;
	return 0;
}

/* Passes over one kind until nothing is left under other versions, or a
 * pass re-seals nothing more. Rows left (or -1), with rr's counts. */
static int
rotate_kind_all(struct rotate_run *rr)
{
	char after[40], last[40];
	long before_pass, left = -1;
	int pass, rows;

	for (pass = 0; pass < ROTATE_PASSES; pass++) {
		before_pass = rr->resealed;
		rr->changed = rr->failed = 0;
		snprintf(after, sizeof(after),
			 "00000000-0000-0000-0000-000000000000");
		do {
			if (rotate_batch(rr, after, last, sizeof(last),
					 &rows) < 0)
				return -1;
			memcpy(after, last, sizeof(after));
		} while (rows == rr->batch);
		/* Done, or stuck on rows that cannot be opened; otherwise
		 * rows changed or added during the pass get another. */
		left = rotate_remaining(rr->db, rr->kind, rr->version, 0);
		if (left <= 0 || rr->resealed == before_pass)
			break;
	}
	return (int)left;
}

static int
rotate_all(struct db *db, int version, int batch)
{
	struct rotate_run rr;
	long total = 0, left = 0;
	size_t k;
	int n;

	for (k = 0; k < ROTATE_NKINDS; k++) {
		memset(&rr, 0, sizeof(rr));
		rr.db = db;
		rr.kind = &rotate_kinds[k];
		rr.version = version;
		rr.batch = batch;
		n = rotate_kind_all(&rr);
		if (n < 0) {
			fprintf(stderr, "rotate-secrets: the database failed; "
					"run `rotate-secrets --continue` to "
					"resume\n");
			return 2;
		}
		printf("rotate-secrets: %s secrets: %ld re-sealed in %ld "
		       "batch(es), %d left under older versions%s\n",
		       rr.kind->entity, rr.resealed, rr.batches, n,
		       rr.failed > 0 ? " (some cannot be opened: see the log)"
				     : "");
		total += rr.resealed;
		left += n;
	}
	printf("rotate-secrets: key version %d; %ld secret(s) re-sealed, one "
	       "audit row per batch of up to %d\n",
	       version, total, batch);
	printf("rotate-secrets: %ld sealed secret(s) remain under older key "
	       "versions\n",
	       left);
	if (left != 0) {
		rotate_remaining(db, NULL, version, 1);
		return 1;
	}
	return 0;
}

/* Removes every version older than the current one, unless a row still
 * uses one: then nothing is removed. */
static int
rotate_retire(struct db *db)
{
	int cur = seal_current_version(), v, nret = 0;
	long left = rotate_remaining(db, NULL, cur, 0);
	json_object *audit, *vs;

	if (left < 0) {
		fprintf(stderr, "rotate-secrets: the database cannot be "
				"reached\n");
		return 2;
	}
	if (left > 0) {
		printf("rotate-secrets: refused: %ld sealed secret(s) still "
		       "use key versions older than %d; nothing was removed\n",
		       left, cur);
		rotate_remaining(db, NULL, cur, 1);
		return 1;
	}
	vs = json_object_new_array();
	for (v = 1; v < cur; v++) {
		if (!seal_has_key(v, 0) && !seal_has_key(v, 1))
			continue;
		if (seal_retire(cfg.secrets_dir, v) < 0) {
			fprintf(stderr,
				"rotate-secrets: cannot remove the "
				"files of key version %d\n",
				v);
			json_object_put(vs);
			return 2;
		}
		json_object_array_add(vs, json_object_new_int(v));
		nret++;
		printf("rotate-secrets: key version %d retired\n", v);
	}
	if (nret > 0) {
		audit = json_object_new_object();
		json_object_object_add(audit, "retired", vs);
		json_object_object_add(audit, "current",
				       json_object_new_int(cur));
		if (rotate_audit(db, "secret_key.retire", "secret_key", audit) <
		    0)
			log_msg(LOG_ERROR, NULL,
				"the retirement could not be audited");
		json_object_put(audit);
	} else {
		json_object_put(vs);
		printf("rotate-secrets: no older key version to retire\n");
	}
	return 0;
}

int
rotate_main(int argc, char **argv)
{
	enum { NEW, CONTINUE, RETIRE, STATUS } mode = NEW;
	int i, batch = ROTATE_BATCH_DEFAULT, version, rc;
	struct db *db;
	char *end;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
			batch = (int)strtol(argv[++i], &end, 10);
			if (*end != '\0' || batch < 1 ||
			    batch > ROTATE_BATCH_MAX)
				goto usage;
		} else if (strcmp(argv[i], "--continue") == 0) {
			mode = CONTINUE;
		} else if (strcmp(argv[i], "--retire") == 0) {
			mode = RETIRE;
		} else if (strcmp(argv[i], "--status") == 0) {
			mode = STATUS;
		} else {
			goto usage;
		}
	}
	seal_load_private(cfg.secrets_dir);
	seal_load_public(cfg.secrets_dir);
	db = db_new("oc_worker");
	if (db_ensure(db) < 0) {
		fprintf(stderr, "rotate-secrets: the database cannot be "
				"reached\n");
		db_free(db);
		return 2;
	}
	rc = 0;
	switch (mode) {
	case STATUS:
		printf("rotate-secrets: current key version %d\n",
		       seal_current_version());
		rc = rotate_remaining(db, NULL, seal_current_version(), 1) == 0
			 ? 0
			 : 1;
		break;
	case RETIRE:
		rc = rotate_retire(db);
		break;
	case NEW:
		version = rotate_newest_on_disk() + 1;
		if (version > SEAL_MAX_VERSIONS ||
		    seal_generate(cfg.secrets_dir, version) < 0 ||
		    seal_load_private(cfg.secrets_dir) < 0 ||
		    seal_load_public(cfg.secrets_dir) < 0 ||
		    seal_current_version() != version) {
			fprintf(stderr,
				"rotate-secrets: cannot create key "
				"version %d in %s\n",
				version, cfg.secrets_dir);
			rc = 2;
			break;
		}
		log_msg(LOG_INFO, NULL, "secret key version %d created",
			version);
		printf("rotate-secrets: key version %d created; new secrets "
		       "are sealed under it from now on\n",
		       version);
		rc = rotate_all(db, version, batch);
		break;
	case CONTINUE:
		version = seal_current_version();
		if (version == 0 || !seal_has_key(version, 1)) {
			fprintf(stderr,
				"rotate-secrets: no current key pair "
				"in %s\n",
				cfg.secrets_dir);
			rc = 2;
			break;
		}
		rc = rotate_all(db, version, batch);
		break;
	}
	db_free(db);
	seal_cleanup();
	return rc;
usage:
	fprintf(stderr, "usage: oc-worker rotate-secrets [--batch N | "
			"--continue [--batch N] | --retire | --status]\n");
	return 2;
}
