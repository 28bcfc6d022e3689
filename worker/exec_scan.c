/* The discovery.scan executor: runs a scan from assets.scans and stores
 * each host found, with progress on the scan row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "cidr.h"
#include "db.h"
#include "exec.h"
#include "log.h"
#include "scan.h"
#include "task.h"

struct exec_scan_ctx {
	struct db *db;
	struct task *t;
	const char *scan_id;
	uint64_t found;
};

static const struct db_stmt exec_scan_load = {
	"exec_scan_load",
	"SELECT array_to_json(cidrs)::text, array_to_json(ports)::text, "
	"timeout_ms, concurrency FROM assets.scans WHERE id = $1::uuid",
	1};
static const struct db_stmt exec_scan_state = {
	"exec_scan_state",
	"UPDATE assets.scans SET state = $2, started_at = coalesce(started_at, "
	"now()), finished_at = CASE WHEN $2 IN ('succeeded', 'failed', "
	"'canceled') THEN now() END, error = $3, hosts_total = "
	"coalesce($4::bigint, hosts_total) WHERE id = $1::uuid",
	4};
static const struct db_stmt exec_scan_progress = {
	"exec_scan_progress",
	"UPDATE assets.scans SET hosts_done = $2::bigint, hosts_total = "
	"$3::bigint, found = $4::bigint WHERE id = $1::uuid",
	4};
static const struct db_stmt exec_scan_result = {
	"exec_scan_result",
	"INSERT INTO assets.scan_results (scan_id, address, reverse_name, "
	"open_ports, ssh_banner, winrm_product, classification) VALUES "
	"($1::uuid, $2::inet, nullif($3, ''), $4::int[], nullif($5, ''), "
	"nullif($6, ''), $7) ON CONFLICT (scan_id, address) DO UPDATE SET "
	"reverse_name = EXCLUDED.reverse_name, open_ports = "
	"EXCLUDED.open_ports, ssh_banner = EXCLUDED.ssh_banner, winrm_product "
	"= EXCLUDED.winrm_product, classification = EXCLUDED.classification",
	7};
static const struct db_stmt exec_scan_notify = {
	"exec_scan_notify",
	"SELECT core.event_emit('scan', NULL, 'viewer', jsonb_build_object("
	"'scan_id', $1::text, 'done', $2::bigint, 'total', $3::bigint, "
	"'found', $4::bigint))",
	4};

static void exec_scan_on_progress(void *arg, uint64_t done, uint64_t total);
static void exec_scan_on_result(void *arg, const struct scan_host *h);
static int exec_scan_exec(struct db *db, const struct db_stmt *st,
			  const char *const *params);

static int
exec_scan_exec(struct db *db, const struct db_stmt *st,
	       const char *const *params)
{
	PGresult *res = db_exec(db, st, params, NULL);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static void
exec_scan_on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct exec_scan_ctx *c = arg;
	char d[24], tot[24], f[24];

	snprintf(d, sizeof(d), "%lu", (unsigned long)done);
	snprintf(tot, sizeof(tot), "%lu", (unsigned long)total);
	snprintf(f, sizeof(f), "%lu", (unsigned long)c->found);
	exec_scan_exec(c->db, &exec_scan_progress,
		       DB_PARAMS(c->scan_id, d, tot, f));
	exec_scan_exec(c->db, &exec_scan_notify,
		       DB_PARAMS(c->scan_id, d, tot, f));
}

static void
exec_scan_on_result(void *arg, const struct scan_host *h)
{
	struct exec_scan_ctx *c = arg;
	struct buf ports;
	size_t i;

	buf_init(&ports, 1024);
	buf_puts(&ports, "{");
	for (i = 0; i < h->nopen; i++)
		buf_printf(&ports, "%s%u", i ? "," : "", (unsigned)h->open[i]);
	buf_puts(&ports, "}");
	if (exec_scan_exec(c->db, &exec_scan_result,
			   DB_PARAMS(c->scan_id, h->addr, h->name, ports.data,
				     h->ssh_banner, h->winrm_server,
				     scan_os_name(h->os))) == 0)
		c->found++;
	buf_cleanup(&ports);
}

void
exec_discovery_scan(struct db *db, struct task *t)
{
	struct exec_scan_ctx ctx = {db, t, NULL, 0};
	struct scan_port ports[SCAN_MAX_PORTS];
	struct cidr *cidrs = NULL;
	struct scan_opts o;
	struct scan_stats st;
	json_object *jc = NULL, *jp = NULL, *id;
	const char *why, *state;
	char total[24], err[256];
	PGresult *res;
	size_t i, nc = 0, np = 0;
	int rc;

	if (!json_object_object_get_ex(t->payload, "scan_id", &id)) {
		snprintf(t->error, sizeof(t->error), "task without scan_id");
		return;
	}
	ctx.scan_id = json_object_get_string(id);
	res = db_exec(db, &exec_scan_load, DB_PARAMS(ctx.scan_id), NULL);
	if (res == NULL || PQntuples(res) != 1) {
		snprintf(t->error, sizeof(t->error),
			 "scan %s cannot be read", ctx.scan_id);
		if (res != NULL)
			PQclear(res);
		return;
	}
	jc = json_tokener_parse(PQgetvalue(res, 0, 0));
	jp = json_tokener_parse(PQgetvalue(res, 0, 1));
	scan_opts_init(&o);
	o.timeout_ms = atoi(PQgetvalue(res, 0, 2));
	o.concurrency = atoi(PQgetvalue(res, 0, 3));
	PQclear(res);

	nc = jc != NULL ? json_object_array_length(jc) : 0;
	cidrs = calloc(nc ? nc : 1, sizeof(*cidrs));
	if (cidrs == NULL)
		abort();
	for (i = 0; i < nc; i++)
		if (cidr_parse(&cidrs[i],
			       json_object_get_string(
				       json_object_array_get_idx(jc, i)),
			       &why) < 0) {
			snprintf(t->error, sizeof(t->error),
				 "range %zu of the scan is not valid: %s", i,
				 why);
			goto out;
		}
	np = jp != NULL ? json_object_array_length(jp) : 0;
	if (np > SCAN_MAX_PORTS)
		np = SCAN_MAX_PORTS;
	for (i = 0; i < np; i++) {
		ports[i].port = (uint16_t)json_object_get_int(
			json_object_array_get_idx(jp, i));
		ports[i].role = scan_port_role(ports[i].port);
	}
	o.cidrs = cidrs;
	o.ncidrs = nc;
	if (np > 0) {
		o.ports = ports;
		o.nports = np;
	}
	o.cancel = &t->cancel;
	o.progress = exec_scan_on_progress;
	o.progress_ms = 500;
	o.result = exec_scan_on_result;
	o.arg = &ctx;
	snprintf(total, sizeof(total), "%lu",
		 (unsigned long)cidr_hosts_list(cidrs, nc));
	exec_scan_exec(db, &exec_scan_state,
		       DB_PARAMS(ctx.scan_id, "running", NULL, total));
	rc = scan_run(&o, &st, err, sizeof(err));
	if (rc < 0) {
		snprintf(t->error, sizeof(t->error), "%s", err);
		state = "failed";
	} else if (rc == 1) {
		t->outcome = TASK_CANCELED;
		state = "canceled";
	} else {
		t->outcome = TASK_SUCCEEDED;
		state = "succeeded";
	}
	t->result = json_object_new_object();
	json_object_object_add(t->result, "hosts_total",
			       json_object_new_int64((int64_t)st.total));
	json_object_object_add(t->result, "hosts_up",
			       json_object_new_int64((int64_t)st.up));
	json_object_object_add(t->result, "open_ports",
			       json_object_new_int64((int64_t)st.open));
	json_object_object_add(t->result, "elapsed_ms",
			       json_object_new_int64(st.elapsed_ms));
	exec_scan_exec(db, &exec_scan_state,
		       DB_PARAMS(ctx.scan_id, state,
				 t->error[0] ? t->error : NULL, NULL));
	log_msg(LOG_INFO, NULL,
		"scan %s %s: %lu hosts, %lu up, %lu open ports in %ld ms",
		ctx.scan_id, state, (unsigned long)st.total,
		(unsigned long)st.up, (unsigned long)st.open, st.elapsed_ms);
out:
	if (t->outcome == TASK_FAILED && ctx.scan_id != NULL)
		exec_scan_exec(db, &exec_scan_state,
			       DB_PARAMS(ctx.scan_id, "failed", t->error, NULL));
	free(cidrs);
	json_object_put(jc);
	json_object_put(jp);
}
