/* One target of a run: loads the target and opens its credential, walks
 * the job's step graph, renders each step's inputs, calls the executor,
 * records run_steps rows and logs, retries with backoff, and stores the
 * target's outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "db.h"
#include "log.h"
#include "mask.h"
#include "run.h"
#include "run_batch.h"
#include "run_graph.h"
#include "run_log.h"
#include "ssh.h"
#include "step.h"
#include "steptype.h"
#include "tmpl.h"
#include "winrm.h"

#define RUN_CAPTURE_MAX ((size_t)64 * 1024)
#define RUN_RENDER_MAX ((size_t)1 << 20)

static const struct db_stmt run_target_load = {
    "run_target_load",
    "SELECT t.name, t.host, t.port, t.os, t.protocol, t.winrm_https, "
    "t.winrm_auth, t.winrm_verify_tls, coalesce(t.ssh_user, c.username), "
    "t.ssh_host_key, c.id, c.domain, encode(c.secret, 'hex'), t.enabled "
    "FROM assets.targets t LEFT JOIN assets.credentials c ON c.id = "
    "t.credential_id WHERE t.id = $1::uuid",
    1};
static const struct db_stmt run_target_state = {
    "run_target_state",
    "UPDATE automation.run_targets SET state = $2, error = $3, "
    "started_at = CASE WHEN $2 = 'running' THEN clock_timestamp() ELSE "
    "coalesce(started_at, clock_timestamp()) END, finished_at = CASE "
    "WHEN $2 = 'running' THEN NULL ELSE clock_timestamp() END "
    "WHERE id = $1::uuid",
    3};
/* A step starts only while this worker holds the run's lease under its
 * claim's token ($6): no row when the lease was taken over since the last
 * renewal, or the claim was lost (worker/run_db.c). */
static const struct db_stmt run_target_step_start = {
    "run_target_step_start",
    "WITH l AS (SELECT 1 FROM automation.runs WHERE id = $1::uuid AND "
    "lease_token = $6::uuid AND state = 'running'), t AS (UPDATE "
    "automation.run_targets SET state = 'running', started_at = "
    "clock_timestamp() WHERE id = $2::uuid AND state = 'queued' AND "
    "EXISTS (SELECT 1 FROM l)) INSERT INTO automation.run_steps (run_id, "
    "run_target_id, step_id, step_type, attempt) SELECT $1::uuid, "
    "$2::uuid, $3, $4, $5::int WHERE EXISTS (SELECT 1 FROM l) RETURNING id",
    6};
static const struct db_stmt run_target_file_load = {
    "run_target_file_load",
    "SELECT encode(content, 'hex'), sha256 FROM automation.job_files "
    "WHERE job_id = $1::uuid AND name = $2",
    2};
static const struct db_stmt run_target_file_store = {
    "run_target_file_store",
    "INSERT INTO automation.run_files (run_id, run_step_id, path, size, "
    "sha256, content) VALUES ($1::uuid, $2::bigint, $3, $4::bigint, "
    "encode(sha256(decode($5, 'hex')), 'hex'), decode($5, 'hex'))",
    5};
static const struct db_stmt run_target_step_end = {
    "run_target_step_end",
    "UPDATE automation.run_steps SET state = $2, exit_code = $3::int, "
    "exit_signal = nullif($4, ''), stdout = $5, stderr = $6, "
    "stdout_truncated = $7::boolean, stderr_truncated = $8::boolean, "
    "outputs = $9::jsonb, error = $10, finished_at = clock_timestamp() "
    "WHERE id = $1::bigint",
    10};

/* What an executed step left for {{ steps.ID.* }}. */
struct run_result {
	int ran;
	char *out, *err; /* raw captured output */
	char code[16];
};

/* Everything one target's walk needs. */
struct run_exec {
	struct db *db;
	struct run_target *rt;
	struct run *run;
	struct step_target target;
	struct step_io io;
	struct mask_set mask;
	struct run_log log;
	struct run_batch batch;	 /* the last step's end, sent with the next */
	json_object *credential; /* opened secret, owned */
	PGresult *row;		 /* the target's row, owned */
	char port[16];
	struct run_result results[RUN_GRAPH_MAX];
	unsigned char *file; /* the attachment of the current step */
	char scratch[64];    /* a number's text for a template */
	char error[512];
};

static int run_target_retry(struct run_exec *x, const struct db_stmt *st,
			    const char *const *params, PGresult **out);
static int run_target_open(struct run_exec *x);
static const char *run_target_field(json_object *o, const char *key);
static int run_target_lookup(void *arg, const struct tmpl_ref *ref,
			     const char **value);
static json_object *run_target_render(struct run_exec *x, json_object *step,
				      const struct steptype *t, char *err,
				      size_t errlen);
static enum step_outcome run_target_step(struct run_exec *x, int idx);
static enum step_outcome
run_target_attempt(struct run_exec *x, json_object *step, int idx, int attempt);
static void run_target_output(void *arg, int stream, const char *data,
			      size_t len);
static int run_target_file(void *arg, const char *name, struct step_file *f);
static void run_target_keep_file(struct run_exec *x, const char *rowid,
				 const struct step_call *c);
static int run_target_wait(struct run *r, long long ms);
static int run_target_int(json_object *o, const char *key, int dflt);

static int
run_target_int(json_object *o, const char *key, int dflt)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int(v);
}

static const char *
run_target_field(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Runs a statement, after what is queued and in the same transaction,
 * retrying while the database is away. 0 or -1 (gave up). */
static int
run_target_retry(struct run_exec *x, const struct db_stmt *st,
		 const char *const *params, PGresult **out)
{
	return run_batch_send(&x->batch, st, params, out);
}

/* Sleeps ms unless the run stops first. 0 slept, -1 stopped. */
static int
run_target_wait(struct run *r, long long ms)
{
	long long end = run_now_ms() + ms;
	struct timespec ts = {0, 50 * 1000000L};

	while (run_now_ms() < end) {
		if (r->cancel)
			return -1;
		nanosleep(&ts, NULL);
	}
	return r->cancel ? -1 : 0;
}

/* Loads the target row and opens its credential; the local
 * pseudo-target has neither. 0 or -1 with x->error. */
static int
run_target_open(struct run_exec *x)
{
	struct step_target *t = &x->target;
	const char *hex, *cid;
	char aad[64], why[256];

	memset(t, 0, sizeof(*t));
	if (x->rt->target_id[0] == '\0') {
		t->name = "local";
		t->host = "localhost";
		t->os = "linux";
		return 0;
	}
	if (run_batch_read(&x->batch, &run_target_load,
			   DB_PARAMS(x->rt->target_id), &x->row) < 0) {
		snprintf(x->error, sizeof(x->error),
			 "the target could not be loaded");
		return -1;
	}
	if (PQntuples(x->row) != 1) {
		snprintf(x->error, sizeof(x->error),
			 "the target no longer exists");
		return -1;
	}
	t->id = x->rt->target_id;
	t->name = db_value(x->row, 0, 0);
	t->host = db_value(x->row, 0, 1);
	t->port = atoi(db_value(x->row, 0, 2));
	snprintf(x->port, sizeof(x->port), "%d", t->port);
	t->os = db_value(x->row, 0, 3);
	t->protocol = db_value(x->row, 0, 4);
	t->winrm_https = db_value(x->row, 0, 5)[0] == 't';
	t->winrm_auth = db_value(x->row, 0, 6);
	t->winrm_verify_tls = db_value(x->row, 0, 7)[0] == 't';
	t->user = db_value(x->row, 0, 8);
	t->host_key = db_value(x->row, 0, 9);
	t->domain = db_value(x->row, 0, 11);
	cid = db_value(x->row, 0, 10);
	hex = db_value(x->row, 0, 12);
	if (cid != NULL && hex != NULL) {
		snprintf(aad, sizeof(aad), "credential:%s", cid);
		x->credential = run_secret_open(hex, aad, why, sizeof(why));
		if (x->credential == NULL) {
			snprintf(x->error, sizeof(x->error),
				 "the target's credential %s", why);
			return -1;
		}
		t->password = run_target_field(x->credential, "password");
		t->key = run_target_field(x->credential, "private_key");
		t->passphrase = run_target_field(x->credential, "passphrase");
		mask_set_add(&x->mask, t->password);
		mask_set_add(&x->mask, t->passphrase);
	}
	return 0;
}

/* Values of {{ params.X }}, {{ target.X }}, {{ steps.ID.X }}. */
static int
run_target_lookup(void *arg, const struct tmpl_ref *ref, const char **value)
{
	struct run_exec *x = arg;
	json_object *v = NULL, *list, *p;
	const char *name;
	size_t i, n;
	int idx;

	switch (ref->root) {
	case TMPL_PARAMS:
		if (!json_object_object_get_ex(x->run->params, ref->name, &v) &&
		    (x->run->secrets == NULL ||
		     !json_object_object_get_ex(x->run->secrets, ref->name,
						&v))) {
			/* The parameter's default, when it has one. */
			if (!json_object_object_get_ex(x->run->def,
						       "parameters", &list))
				return -1;
			n = json_object_array_length(list);
			for (i = 0; i < n && v == NULL; i++) {
				p = json_object_array_get_idx(list, i);
				name = run_target_field(p, "name");
				if (name != NULL &&
				    strcmp(name, ref->name) == 0)
					json_object_object_get_ex(p, "default",
								  &v);
			}
		}
		if (v == NULL)
			return -1;
		/* The run's objects are shared by its target threads: only
		 * read them (json-c caches the text of a non-string in the
		 * object when asked for it). */
		switch (json_object_get_type(v)) {
		case json_type_string:
			*value = json_object_get_string(v);
			return 0;
		case json_type_boolean:
			*value = json_object_get_boolean(v) ? "true" : "false";
			return 0;
		case json_type_int:
			snprintf(x->scratch, sizeof(x->scratch), "%lld",
				 (long long)json_object_get_int64(v));
			break;
		case json_type_double:
			snprintf(x->scratch, sizeof(x->scratch), "%.17g",
				 json_object_get_double(v));
			break;
		default:
			return -1;
		}
		*value = x->scratch;
		return 0;
	case TMPL_TARGET:
		if (strcmp(ref->name, "host") == 0)
			*value = x->target.host;
		else if (strcmp(ref->name, "name") == 0)
			*value = x->target.name;
		else if (strcmp(ref->name, "port") == 0)
			*value = x->port[0] ? x->port : NULL;
		else if (strcmp(ref->name, "os") == 0)
			*value = x->target.os;
		else
			return -1;
		return *value != NULL ? 0 : -1;
	case TMPL_STEPS:
		idx = run_graph_find(x->run->def, ref->name);
		if (idx < 0 || idx >= RUN_GRAPH_MAX || !x->results[idx].ran)
			return -1;
		if (strcmp(ref->field, "stdout") == 0)
			*value = x->results[idx].out;
		else if (strcmp(ref->field, "stderr") == 0)
			*value = x->results[idx].err;
		else if (strcmp(ref->field, "exit_code") == 0)
			*value = x->results[idx].code;
		else
			return -1;
		return 0;
	}
	return -1;
}

/* The inputs of step for its executor: templates rendered (quoted as the
 * step library says), defaults applied. NULL with err on a failure. */
static json_object *
run_target_render(struct run_exec *x, json_object *step,
		  const struct steptype *t, char *err, size_t errlen)
{
	json_object *in = NULL, *out, *v, *m;
	const struct steptype_input *d;
	struct buf b;
	char why[256];
	int i;

	json_object_object_get_ex(step, "inputs", &in);
	out = json_object_new_object();
	for (i = 0; i < t->ninputs; i++) {
		d = &t->inputs[i];
		if (in == NULL || !json_object_object_get_ex(in, d->name, &v) ||
		    json_object_is_type(v, json_type_null)) {
			if (d->dflt != NULL)
				json_object_object_add(
				    out, d->name, json_tokener_parse(d->dflt));
			else if (d->required) {
				snprintf(err, errlen, "input %s is required",
					 d->name);
				goto fail;
			}
			continue;
		}
		if (d->templated && json_object_is_type(v, json_type_string)) {
			buf_init(&b, RUN_RENDER_MAX);
			if (tmpl_render(json_object_get_string(v), d->quote,
					run_target_lookup, x, &b, why,
					sizeof(why)) < 0) {
				snprintf(err, errlen, "input %s: %s", d->name,
					 why);
				buf_cleanup(&b);
				goto fail;
			}
			json_object_object_add(
			    out, d->name,
			    json_object_new_string_len(b.data ? b.data : "",
						       (int)b.len));
			buf_cleanup(&b);
		} else if (d->templated &&
			   json_object_is_type(v, json_type_object)) {
			m = json_object_new_object();
			json_object_object_add(out, d->name, m);
			json_object_object_foreach(v, key, val)
			{
				if (!json_object_is_type(val,
							 json_type_string)) {
					snprintf(err, errlen,
						 "input %s.%s is not a string",
						 d->name, key);
					goto fail;
				}
				buf_init(&b, RUN_RENDER_MAX);
				if (tmpl_render(json_object_get_string(val),
						d->quote, run_target_lookup, x,
						&b, why, sizeof(why)) < 0) {
					snprintf(err, errlen, "input %s.%s: %s",
						 d->name, key, why);
					buf_cleanup(&b);
					goto fail;
				}
				json_object_object_add(
				    m, key,
				    json_object_new_string(b.data ? b.data
								  : ""));
				buf_cleanup(&b);
			}
		} else {
			/* A copy: reference counts of the shared definition
			 * are not thread-safe. */
			m = NULL;
			if (json_object_deep_copy(v, &m, NULL) < 0) {
				snprintf(err, errlen, "input %s cannot be read",
					 d->name);
				goto fail;
			}
			json_object_object_add(out, d->name, m);
		}
	}
	return out;
fail:
	json_object_put(out);
	return NULL;
}

static void
run_target_output(void *arg, int stream, const char *data, size_t len)
{
	struct run_exec *x = arg;

	run_log_write(&x->log, stream, data, len);
}

/* An attachment of the job (sftp.upload), valid until the step ends. */
static int
run_target_file(void *arg, const char *name, struct step_file *f)
{
	struct run_exec *x = arg;
	PGresult *res;
	const char *hex;
	size_t i, n;

	if (run_batch_read(&x->batch, &run_target_file_load,
			   DB_PARAMS(x->run->job_id, name), &res) < 0)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return -1;
	}
	hex = PQgetvalue(res, 0, 0);
	n = strlen(hex) / 2;
	free(x->file);
	x->file = malloc(n + 1);
	if (x->file == NULL)
		abort();
	for (i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &x->file[i]);
	f->content = x->file;
	f->size = n;
	snprintf(f->sha256, sizeof(f->sha256), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

/* Keeps a file fetched by sftp.download with the run. */
static void
run_target_keep_file(struct run_exec *x, const char *rowid,
		     const struct step_call *c)
{
	static const char digits[] = "0123456789abcdef";
	char size[32], *hex;
	size_t i;

	hex = malloc(c->file.len * 2 + 1);
	if (hex == NULL)
		abort();
	for (i = 0; i < c->file.len; i++) {
		hex[2 * i] = digits[(unsigned char)c->file.data[i] >> 4];
		hex[2 * i + 1] = digits[(unsigned char)c->file.data[i] & 15];
	}
	hex[2 * c->file.len] = '\0';
	snprintf(size, sizeof(size), "%zu", c->file.len);
	run_target_retry(x, &run_target_file_store,
			 DB_PARAMS(x->run->id, rowid,
				   c->file_path[0] ? c->file_path : "(unknown)",
				   size, hex),
			 NULL);
	free(hex);
}

/* One attempt of a step: a run_steps row from start to end. */
static enum step_outcome
run_target_attempt(struct run_exec *x, json_object *step, int idx, int attempt)
{
	const char *type = run_target_field(step, "type"),
		   *sid = run_target_field(step, "id");
	struct run *r = x->run;
	const struct steptype *t = steptype_find(type);
	struct step_call c;
	struct buf out, err, emsg;
	enum step_outcome o = STEP_FAILED;
	char att[16], code[16], ot[8], et[8], *rowid;
	const char *outputs = NULL;
	PGresult *res;
	step_fn *fn;
	long long left;
	int tmo;

	snprintf(att, sizeof(att), "%d", attempt);
	if (run_target_retry(x, &run_target_step_start,
			     DB_PARAMS(r->id, x->rt->id, sid, type ? type : "",
				       att, r->token),
			     &res) < 0)
		return STEP_FAILED;
	if (PQntuples(res) != 1) {
		/* Not this worker's run any more: nothing more of it runs
		 * here, and nothing final is written. */
		PQclear(res);
		log_msg(LOG_WARN, NULL,
			"run %s: lease lost before step %s; stopping", r->id,
			sid);
		r->lease_lost = 1;
		r->cancel = 1;
		return STEP_CANCELED;
	}
	rowid = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (rowid == NULL)
		abort();
	run_log_step(&x->log, sid);

	memset(&c, 0, sizeof(c));
	c.capture_max = RUN_CAPTURE_MAX;
	step_call_init(&c);
	c.type = type;
	c.target = &x->target;
	c.io = &x->io;
	c.cancel = &r->cancel;
	c.on_output = run_target_output;
	c.get_file = run_target_file;
	c.arg = x;
	tmo = run_target_int(step, "timeout_s",
			     run_target_int(r->def, "step_timeout_s", 600));
	c.timeout_ms = tmo * 1000;
	left = r->deadline_ms - run_now_ms();
	if (left < c.timeout_ms)
		c.timeout_ms = left > 1 ? (int)left : 1;

	fn = step_find(type);
	if (t == NULL)
		snprintf(c.error, sizeof(c.error), "unknown step type %s",
			 type ? type : "(none)");
	else if (t->where != STEPTYPE_LOCAL && x->target.id == NULL)
		snprintf(c.error, sizeof(c.error),
			 "step type %s needs a target; the run has none", type);
	else if (t->where == STEPTYPE_SSH &&
		 strcmp(x->target.protocol, "ssh") != 0)
		snprintf(c.error, sizeof(c.error),
			 "step type %s needs an SSH target; %s uses %s", type,
			 x->target.name, x->target.protocol);
	else if (t->where == STEPTYPE_WINRM &&
		 strcmp(x->target.protocol, "winrm") != 0)
		snprintf(c.error, sizeof(c.error),
			 "step type %s needs a WinRM target; %s uses %s", type,
			 x->target.name, x->target.protocol);
	else if (t->where == STEPTYPE_SSH && x->target.host_key == NULL)
		snprintf(c.error, sizeof(c.error),
			 "no recorded host key: run a connection test first");
	else if (fn == NULL)
		snprintf(c.error, sizeof(c.error),
			 "step type %s not supported by this worker", type);
	else
		c.inputs =
		    run_target_render(x, step, t, c.error, sizeof(c.error));
	if (c.inputs != NULL)
		o = fn(&c);
	if (o == STEP_CANCELED && r->timed_out)
		o = STEP_TIMED_OUT;
	else if (o == STEP_TIMED_OUT && run_now_ms() >= r->deadline_ms) {
		r->timed_out = 1;
		r->cancel = 1;
	}
	if (c.error[0] != '\0')
		run_log_system(&x->log, "step %s %s: %s", sid,
			       step_outcome_name(o), c.error);
	run_log_flush(&x->log, &x->batch);

	/* What {{ steps.ID.* }} sees: the raw output. */
	if (idx < RUN_GRAPH_MAX) {
		struct run_result *rr = &x->results[idx];

		free(rr->out);
		free(rr->err);
		rr->out = strdup(c.out.data ? c.out.data : "");
		rr->err = strdup(c.err.data ? c.err.data : "");
		if (rr->out == NULL || rr->err == NULL)
			abort();
		snprintf(rr->code, sizeof(rr->code), "%d", c.exit_code);
		rr->ran = 1;
	}

	/* Stored masked and clean. */
	buf_init(&out, RUN_CAPTURE_MAX * 2);
	buf_init(&err, RUN_CAPTURE_MAX * 2);
	buf_init(&emsg, 2048);
	{
		struct buf m;

		buf_init(&m, RUN_CAPTURE_MAX * 2);
		mask_text(&x->mask, c.out.data ? c.out.data : "", c.out.len,
			  c.out_truncated, &m);
		run_log_text(m.data ? m.data : "", m.len, &out);
		buf_reset(&m);
		mask_text(&x->mask, c.err.data ? c.err.data : "", c.err.len,
			  c.err_truncated, &m);
		run_log_text(m.data ? m.data : "", m.len, &err);
		buf_reset(&m);
		mask_text(&x->mask, c.error, strlen(c.error), 0, &m);
		run_log_text(m.data ? m.data : "", m.len, &emsg);
		buf_cleanup(&m);
	}
	snprintf(code, sizeof(code), "%d", c.exit_code);
	snprintf(ot, sizeof(ot), "%s", c.out_truncated ? "true" : "false");
	snprintf(et, sizeof(et), "%s", c.err_truncated ? "true" : "false");
	if (c.outputs != NULL)
		outputs = json_object_to_json_string_ext(
		    c.outputs, JSON_C_TO_STRING_PLAIN);
	/* Sent with the next statement of the target. */
	run_batch_add(&x->batch, &run_target_step_end,
		      DB_PARAMS(rowid, step_outcome_name(o),
				c.exit_code >= 0 ? code : NULL, c.exit_signal,
				out.data ? out.data : "",
				err.data ? err.data : "", ot, et, outputs,
				emsg.len ? emsg.data : NULL));
	if (o == STEP_SUCCEEDED && c.file.data != NULL)
		run_target_keep_file(x, rowid, &c);
	buf_cleanup(&out);
	buf_cleanup(&err);
	buf_cleanup(&emsg);
	free(x->file);
	x->file = NULL;
	json_object_put(c.inputs);
	step_call_cleanup(&c);
	free(rowid);
	return o;
}

/* A step with its retries: a failed or timed-out attempt is tried again
 * up to "retries" times, after retry_backoff_s doubled each time. */
static enum step_outcome
run_target_step(struct run_exec *x, int idx)
{
	json_object *steps, *step;
	enum step_outcome o;
	int retries, backoff, attempt;

	json_object_object_get_ex(x->run->def, "steps", &steps);
	step = json_object_array_get_idx(steps, (size_t)idx);
	retries = run_target_int(step, "retries", 0);
	backoff = run_target_int(step, "retry_backoff_s", 5);
	for (attempt = 1;; attempt++) {
		o = run_target_attempt(x, step, idx, attempt);
		if (o == STEP_SUCCEEDED || o == STEP_CANCELED ||
		    attempt > retries || x->run->cancel)
			return o;
		run_log_system(&x->log,
			       "retrying step %s in %d s (attempt %d "
			       "of %d)",
			       run_target_field(step, "id"), backoff,
			       attempt + 1, retries + 1);
		/* The attempt's end is shown before the wait. */
		run_log_flush(&x->log, &x->batch);
		run_batch_send(&x->batch, NULL, NULL, NULL);
		if (run_target_wait(x->run, (long long)backoff * 1000) < 0)
			return o;
		backoff = backoff > 1800 ? 3600 : backoff * 2;
	}
}

void
run_target_exec(struct db *db, struct run_target *rt)
{
	struct run_exec *x;
	struct run_graph_walk w;
	struct run *r = rt->run;
	enum step_outcome o;
	int s, failed = 0, stopped = 0;

	x = calloc(1, sizeof(*x));
	if (x == NULL)
		abort();
	x->db = db;
	x->rt = rt;
	x->run = r;
	mask_set_init(&x->mask);
	if (r->secrets != NULL) {
		json_object_object_foreach(r->secrets, k, v)
		{
			(void)k;
			if (json_object_is_type(v, json_type_string))
				mask_set_add(&x->mask,
					     json_object_get_string(v));
		}
	}
	/* The target turns running with its first step (one statement). */
	run_log_init(&x->log, db, r->id, rt->id, &x->mask);
	run_batch_init(&x->batch, db, r->id, &r->lease_lost);

	if (r->cancel) {
		stopped = 1;
	} else if (r->secret_error[0] != '\0') {
		snprintf(x->error, sizeof(x->error),
			 "the run's secret parameters %s", r->secret_error);
		failed = 1;
	} else if (run_target_open(x) < 0) {
		failed = 1;
	} else {
		x->io.ssh_commands = run_graph_ssh_commands(r->def);
		run_graph_walk_init(&w, r->def);
		for (s = run_graph_walk_next(&w); s >= 0;
		     s = run_graph_walk_next(&w)) {
			o = run_target_step(x, s);
			if (o == STEP_FAILED || o == STEP_TIMED_OUT)
				failed = 1;
			if (o == STEP_CANCELED || r->cancel) {
				stopped = 1;
				break;
			}
			run_graph_follow(r->def, s, o == STEP_SUCCEEDED, &w);
		}
	}
	if (x->io.ssh != NULL)
		ssh_close(x->io.ssh);
	if (x->io.winrm != NULL)
		winrm_session_free(x->io.winrm);

	if (stopped && r->timed_out) {
		rt->outcome = RUN_TIMED_OUT;
		snprintf(rt->error, sizeof(rt->error),
			 "the run's timeout was reached");
	} else if (stopped) {
		rt->outcome = RUN_CANCELED;
		snprintf(rt->error, sizeof(rt->error), "canceled");
	} else if (failed) {
		rt->outcome = RUN_FAILED;
		snprintf(rt->error, sizeof(rt->error), "%s",
			 x->error[0] ? x->error : "a step failed");
	} else {
		rt->outcome = RUN_SUCCEEDED;
		rt->error[0] = '\0';
	}
	if (x->error[0] != '\0')
		run_log_system(&x->log, "%s", x->error);
	/* The last step's end, the log and the target's outcome: one
	 * transaction. */
	run_log_flush(&x->log, &x->batch);
	if (!r->lease_lost)
		run_target_retry(x, &run_target_state,
				 DB_PARAMS(rt->id, run_state_name(rt->outcome),
					   rt->error[0] ? rt->error : NULL),
				 NULL);
	else
		run_batch_send(&x->batch, NULL, NULL, NULL);
	run_batch_cleanup(&x->batch);
	run_log_cleanup(&x->log);
	mask_set_cleanup(&x->mask);
	for (s = 0; s < RUN_GRAPH_MAX; s++) {
		free(x->results[s].out);
		free(x->results[s].err);
	}
	json_object_put(x->credential);
	if (x->row != NULL)
		PQclear(x->row);
	free(x);
}
