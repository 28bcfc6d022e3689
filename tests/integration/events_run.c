/* Live events of a real run: a multi-target SSH job executed by the
 * worker while a client follows GET /api/v1/events?run=ID through nginx;
 * it disconnects mid-run and resumes with Last-Event-ID. Together the two
 * streams hold every run, run.target and run.step event of the run and
 * every log chunk, in order, none missing and none twice, and they agree
 * with GET /api/v1/runs/{id}, the log API and core.events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/e2e.h"
#include "tests/lib/sshfx.h"
#include "tests/lib/ssec.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define MAX_EV 8192

struct ev {
	long long id;
	char type[64];
	json_object *data;
};

static struct sshfx fx;
static struct ev evs[MAX_EV];
static int nev;

static int read_stream(const char *tok, const char *run, const char *after,
		       const char *source, int stop_after_logs,
		       long long *last_id);
static int is_final(const char *st);

static int
is_final(const char *st)
{
	return st != NULL && strcmp(st, "queued") != 0 &&
	       strcmp(st, "running") != 0;
}

/* Reads the stream (?run=run, Last-Event-ID after) into evs: the events
 * of this run. Stops after stop_after_logs log chunks of the run (0: at
 * the run's final state). *last_id: the last id seen (any event). 1 when
 * it stopped as asked, 0 on a timeout or a closed stream. */
static int
read_stream(const char *tok, const char *run, const char *after,
	    const char *source, int stop_after_logs, long long *last_id)
{
	struct ssec *c;
	struct ssec_event e;
	json_object *o;
	const char *rid;
	double until = tc_now_ms() + 30000;
	int logs = 0, rc = 0;

	c = ssec_open(tc_base(), source,
		      tc_printf("/api/v1/events?run=%s", run),
		      tc_printf("Bearer %s", tok), after, 0);
	if (c == NULL || ssec_status(c) != 200) {
		diag("the stream did not open");
		if (c != NULL)
			ssec_close(c);
		return 0;
	}
	while (tc_now_ms() < until) {
		if (ssec_next(c, &e, 5000) != 1)
			break;
		if (e.comment)
			continue;
		*last_id = e.id;
		o = json_tokener_parse(e.data);
		if (o == NULL)
			continue;
		rid = tc_jstr(o, strcmp(e.type, "run") == 0 ? "id" : "run_id");
		if (rid == NULL || strcmp(rid, run) != 0 || nev == MAX_EV) {
			json_object_put(o);
			continue;
		}
		evs[nev].id = e.id;
		snprintf(evs[nev].type, sizeof(evs[nev].type), "%s", e.type);
		evs[nev].data = o;
		nev++;
		if (strcmp(e.type, "run.log") == 0 && stop_after_logs > 0 &&
		    ++logs >= stop_after_logs) {
			rc = 1;
			break;
		}
		if (stop_after_logs == 0 && strcmp(e.type, "run") == 0 &&
		    is_final(tc_jstr(o, "state"))) {
			rc = 1;
			break;
		}
	}
	ssec_close(c);
	return rc;
}

int
main(void)
{
	struct tc_user *op;
	const char *tok, *cred, *t[3], *job, *run, *ev0, *st, *want, *got;
	const char *after;
	struct tc_res *r;
	json_object *ts, *ss, *items;
	long long last = 0;
	int i, j, k, order, first_part, logs_ev, pages;
	size_t a, b;

	tc_init(115);
	if (sshfx_start(&fx) != 0) {
		skip(1, "the sshd fixture needs root");
		tc_done();
		return done_testing();
	}
	op = tc_new_user("evrun", "operator");
	if (op == NULL)
		BAIL_OUT("cannot create an operator");
	tok = op->token;
	cred =
	    e2e_credential(tok, tc_printf("{\"type\":\"ssh_key\",\"username\":"
					  "\"oc-test-key\",\"private_key\":%s}",
					  tc_quote(fx.key_ed)));
	for (i = 0; i < 3; i++) {
		t[i] = e2e_target(
		    tok, tc_name("evrun-t"),
		    tc_printf(",\"host\":\"127.0.0.1\",\"os\":\"linux\","
			      "\"protocol\":\"ssh\",\"port\":%d,"
			      "\"credential_id\":\"%s\"",
			      fx.port, cred));
		if (strcmp(e2e_conntest(tok, t[i]), "reachable") != 0)
			BAIL_OUT("target %d is not reachable", i);
	}
	job = e2e_job(
	    tok,
	    tc_printf(
		"{\"name\":%s,\"targets\":{\"targets\":[\"%s\",\"%s\",\"%s\"]},"
		"\"steps\":[{\"id\":\"a\",\"type\":\"ssh.command\",\"inputs\":"
		"{\"command\":\"for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "
		"line $i; echo err $i >&2; sleep 0.2; done\"},\"on_success\":"
		"[\"b\"]},{\"id\":\"b\",\"type\":\"ssh.command\",\"inputs\":"
		"{\"command\":\"echo b says hi; exit 2\"},\"on_failure\":"
		"[\"c\"]},{\"id\":\"c\",\"type\":\"ssh.command\",\"inputs\":"
		"{\"command\":\"echo c ran\"}}]}",
		tc_quote(tc_name("evrun-job")), t[0], t[1], t[2]));

	ev0 = e2e_last_event();
	run = e2e_run(tok, job, "{}");
	if (run == NULL)
		BAIL_OUT("cannot start the run");
	ok(read_stream(tok, run, ev0, "127.0.0.115", 8, &last),
	   "the first stream got 8 log chunks of the run");
	first_part = nev;
	st = tc_db_value("SELECT state FROM automation.runs WHERE id = $1", run,
			 NULL);
	is(st, "running", "and disconnected while the run was running");
	usleep(700 * 1000);
	ok(read_stream(tok, run, tc_printf("%lld", last), "127.0.0.116", 0,
		       &last),
	   "the resumed stream (Last-Event-ID) reached the run's end");
	cmp_ok(nev - first_part, ">", 0, "and got events of its own");

	/* In order, no duplicates, no gaps: the same as core.events. */
	order = 1;
	for (i = 1; i < nev; i++)
		if (evs[i].id <= evs[i - 1].id)
			order = 0;
	ok(order, "ids strictly increase across both streams (%d events)", nev);
	got = "";
	for (i = 0; i < nev; i++)
		got = tc_printf("%s%lld:%s,", got, evs[i].id, evs[i].type);
	want = tc_db_value(
	    "SELECT string_agg(id || ':' || type || ',', '' ORDER BY id) FROM "
	    "core.events WHERE run_id = $1 AND id > $2::bigint",
	    run, ev0, NULL);
	is(got, want ? want : "(none)",
	   "exactly the run's events in core.events, in order");

	/* Every state change: the last event of each run, target and step
	 * is its final state in GET /runs/{id}; each was seen running. */
	r = tc_get(tok, "/api/v1/runs/%s", run);
	tc_status_is(r, 200, "read the run");
	is(tc_str(r, "state"), "failed", "the run failed (step b exits 2)");
	st = NULL;
	for (i = 0; i < nev; i++)
		if (strcmp(evs[i].type, "run") == 0)
			st = tc_printf("%s%s>", st ? st : "",
				       tc_jstr(evs[i].data, "state"));
	is(st, "queued>running>failed>", "the run's states in order");
	ts = tc_json(r->json, "targets");
	cmp_ok(ts ? (long long)json_object_array_length(ts) : 0, "==", 3,
	       "three targets");
	for (a = 0; ts != NULL && a < json_object_array_length(ts); a++) {
		const char *tid = tc_jstr(ts, tc_printf("%zu.id", a));
		const char *tst = tc_jstr(ts, tc_printf("%zu.state", a));

		got = "";
		for (i = 0; i < nev; i++)
			if (strcmp(evs[i].type, "run.target") == 0 &&
			    strcmp(tc_jstr(evs[i].data, "id"), tid) == 0)
				got = tc_printf("%s%s>", got,
						tc_jstr(evs[i].data, "state"));
		is(got, tc_printf("queued>running>%s>", tst),
		   "target %zu: every state change, ending %s", a, tst);
		ss = tc_json(ts, tc_printf("%zu.steps", a));
		want = "";
		got = "";
		for (b = 0; ss != NULL && b < json_object_array_length(ss);
		     b++) {
			const char *sid = tc_jstr(ss, tc_printf("%zu.id", b));

			want = tc_printf(
			    "%s%s:running>%s:%s/%s>", want,
			    tc_jstr(ss, tc_printf("%zu.step_id", b)),
			    tc_jstr(ss, tc_printf("%zu.step_id", b)),
			    tc_jstr(ss, tc_printf("%zu.state", b)),
			    tc_jstr(ss, tc_printf("%zu.exit_code", b)));
			for (i = 0; i < nev; i++) {
				if (strcmp(evs[i].type, "run.step") != 0 ||
				    strcmp(tc_jstr(evs[i].data, "id"), sid) !=
					0)
					continue;
				if (strcmp(tc_jstr(evs[i].data, "state"),
					   "running") == 0)
					got = tc_printf(
					    "%s%s:running>", got,
					    tc_jstr(evs[i].data, "step_id"));
				else
					got = tc_printf(
					    "%s%s:%s/%s>", got,
					    tc_jstr(evs[i].data, "step_id"),
					    tc_jstr(evs[i].data, "state"),
					    tc_jstr(evs[i].data, "exit_code"));
			}
		}
		is(want,
		   "a:running>a:succeeded/0>b:running>b:failed/2>"
		   "c:running>c:succeeded/0>",
		   "target %zu: steps a, b (failed) and c in the run", a);
		is(got, want, "target %zu: every step state change in order",
		   a);
	}

	/* Every log chunk: the events' chunks are the log API's, in order. */
	want = "";
	after = "0";
	for (pages = 0; pages < 100; pages++) {
		r = tc_get(tok, "/api/v1/runs/%s/log?after=%s&limit=100", run,
			   after);
		if (r->status != 200)
			break;
		items = tc_json(r->json, "items");
		k = items ? (int)json_object_array_length(items) : 0;
		for (j = 0; j < k; j++)
			want = tc_printf(
			    "%s%s|%s|%s|%s\n", want,
			    tc_jstr(items, tc_printf("%d.offset", j)),
			    tc_jstr(items, tc_printf("%d.run_target_id", j)),
			    tc_jstr(items, tc_printf("%d.stream", j)),
			    tc_jstr(items, tc_printf("%d.data", j)));
		if (k == 0 || tc_str(r, "next") == NULL)
			break;
		after = tc_str(r, "next");
	}
	got = "";
	logs_ev = 0;
	for (i = 0; i < nev; i++) {
		if (strcmp(evs[i].type, "run.log") != 0)
			continue;
		logs_ev++;
		got = tc_printf("%s%s|%s|%s|%s\n", got,
				tc_jstr(evs[i].data, "offset"),
				tc_jstr(evs[i].data, "run_target_id"),
				tc_jstr(evs[i].data, "stream"),
				tc_jstr(evs[i].data, "data"));
	}
	cmp_ok(logs_ev, ">=", 12, "many log chunks came by the streams");
	is(got, want, "every log chunk of the log API, in order, once");
	for (a = 0; a < 3; a++) {
		const char *rt = tc_db_value(
		    "SELECT id::text FROM automation.run_targets WHERE run_id "
		    "= $1 ORDER BY target_name, id OFFSET $2::int LIMIT 1",
		    run, tc_printf("%zu", a), NULL);
		got = "";
		for (i = 0; i < nev; i++)
			if (strcmp(evs[i].type, "run.log") == 0 && rt != NULL &&
			    strcmp(tc_jstr(evs[i].data, "run_target_id"), rt) ==
				0 &&
			    strcmp(tc_jstr(evs[i].data, "stream"), "stdout") ==
				0 &&
			    strcmp(tc_jstr(evs[i].data, "step_id"), "a") == 0)
				got = tc_printf("%s%s", got,
						tc_jstr(evs[i].data, "data"));
		is(got,
		   "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline "
		   "7\nline 8\nline 9\nline 10\nline 11\nline 12\n",
		   "target %zu: step a's stdout whole from the events", a);
	}

	for (i = 0; i < nev; i++)
		json_object_put(evs[i].data);
	sshfx_stop(&fx);
	tc_done();
	return done_testing();
}
