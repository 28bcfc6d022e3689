/* Discovery through nginx (the API side; the worker runs scans): the
 * admin's settings, scans refused outside the allowed ranges or over the
 * host limit (422 naming the field), a scan queued as a core.tasks row
 * (202), list, cancel, results with rows written as the worker would, and
 * importing chosen results as targets in one transaction. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NOID "00000000-0000-4000-8000-000000000000"

struct bad_scan {
	const char *body;
	const char *field;
	const char *what;
};

static const struct bad_scan bad[] = {
    {"{\"cidrs\":[\"10.0.0.0/24\"]}", "cidrs[0]", "outside the allowed ranges"},
    {"{\"cidrs\":[\"127.0.0.0/16\"]}", "cidrs", "more hosts than allowed"},
    {"{\"cidrs\":[\"127.0.0.1/33\"]}", "cidrs", "prefix over 32"},
    {"{\"cidrs\":[\"127.1\"]}", "cidrs", "short IPv4"},
    {"{\"cidrs\":[\"127.0.0.1/08\"]}", "cidrs", "prefix with a leading zero"},
    {"{\"cidrs\":[\"::1/129\"]}", "cidrs", "IPv6 prefix over 128"},
    {"{\"cidrs\":[\"::1%lo/128\"]}", "cidrs", "IPv6 zone"},
    {"{\"cidrs\":[\"localhost\"]}", "cidrs", "a name"},
    {"{\"cidrs\":[42]}", "cidrs", "a number"},
    {"{\"cidrs\":[]}", "cidrs", "no range"},
    {"{}", "cidrs", "cidrs missing"},
    {"{\"cidrs\":[\"127.0.0.1\"],\"ports\":[0]}", "ports", "port 0"},
    {"{\"cidrs\":[\"127.0.0.1\"],\"ports\":[65536]}", "ports", "port 65536"},
    {"{\"cidrs\":[\"127.0.0.1\"],\"ports\":[22,22]}", "ports", "port twice"},
    {"{\"cidrs\":[\"127.0.0.1\"],\"ports\":[\"22\"]}", "ports",
     "port as a string"},
    {"{\"cidrs\":[\"127.0.0.1\"],\"ports\":[]}", "ports", "no port"},
    {"{\"cidrs\":[\"127.0.0.1\"],\"timeout_ms\":49}", "timeout_ms",
     "timeout under 50"},
    {"{\"cidrs\":[\"127.0.0.1\"],\"timeout_ms\":10001}", "timeout_ms",
     "timeout over 10000"},
    {"{\"cidrs\":[\"127.0.0.1\"],\"concurrency\":0}", "concurrency",
     "concurrency 0"},
    {"{\"cidrs\":[\"127.0.0.1\"],\"concurrency\":1025}", "concurrency",
     "concurrency 1025"},
    {"{\"cidrs\":[\"127.0.0.1\"],\"speed\":1}", "speed", "unknown field"},
};

/* A scan and its task as the API makes them: $1 the state of both, $2
 * how long until the task may run (a running one is leased for an
 * hour). */
#define SCAN_FIXTURE                                                           \
	"WITH k AS (INSERT INTO core.tasks (kind, state, payload, run_after, " \
	"lease_owner, lease_expires_at) VALUES ('discovery.scan', $1, '{}', "  \
	"now() + $2::interval, CASE WHEN $1 = 'running' THEN 'test' END, "     \
	"CASE WHEN $1 = 'running' THEN now() + interval '1 hour' END) "        \
	"RETURNING id), s AS (INSERT INTO assets.scans (cidrs, ports, "        \
	"timeout_ms, concurrency, hosts_total, task_id, state) SELECT "        \
	"'{127.0.0.1/32}', '{22}', 100, 1, 1, k.id, $1 FROM k RETURNING id) "  \
	"SELECT id::text FROM s"

int
main(void)
{
	const char *admin, *tok, *net, *scan, *scan2, *task, *old_ranges;
	const char *scanapi, *scanq, *scanr;
	const char *old_max, *cred, *wcred, *sg, *dg, *pre, *ports65;
	struct tc_user *op, *v;
	struct tc_res *r;
	long long before;
	size_t i;
	int pid = (int)getpid();

	tc_init(34);
	op = tc_new_user("discop", "operator");
	v = tc_new_user("discv", "viewer");
	if (op == NULL || v == NULL || op->token == NULL || v->token == NULL)
		BAIL_OUT("cannot create users");
	tok = op->token;
	admin = tc_admin_token();
	/* A /24 of our own under 127/8 so reruns never meet old targets. */
	net = tc_printf("127.%d.%d", 20 + pid % 200, 1 + (pid / 200) % 250);
	pre = tc_name("dsc");

	/* Settings (admin). */
	r = tc_get(admin, "/api/v1/discovery/settings");
	tc_status_is(r, 200, "read the discovery settings");
	old_ranges = tc_printf("%s", json_object_to_json_string_ext(
					 tc_json(r->json, "allowed_ranges"),
					 JSON_C_TO_STRING_PLAIN));
	old_max = tc_str(r, "max_hosts");
	ok(tc_json(r->json, "allowed_ranges") != NULL && old_max != NULL,
	   "... allowed_ranges and max_hosts");
	r = tc_req("PUT", "/api/v1/discovery/settings", admin,
		   "{\"allowed_ranges\":[\"127.0.0.0/8\",\"::1\",\"bad\"],"
		   "\"max_hosts\":300}");
	ok(r->status == 422 && tc_has_field_error(r, "allowed_ranges"),
	   "a bad allowed range: 422");
	r = tc_req("PUT", "/api/v1/discovery/settings", admin,
		   "{\"allowed_ranges\":[\"127.0.0.0/8\"],\"max_hosts\":0}");
	ok(r->status == 422 && tc_has_field_error(r, "max_hosts"),
	   "max_hosts 0: 422");
	r = tc_req("PUT", "/api/v1/discovery/settings", admin,
		   "{\"allowed_ranges\":[\"127.0.0.0/8\",\"::1\","
		   "\"127.5.6.7/8\"],\"max_hosts\":300}");
	tc_status_is(r, 200, "set the discovery settings");
	is(tc_str(r, "allowed_ranges.1"), "::1/128",
	   "a single address is a /128");
	is(tc_str(r, "allowed_ranges.2"), "127.0.0.0/8",
	   "host bits are cleared");
	is(tc_str(r, "max_hosts"), "300", "max_hosts");
	tc_problem_is(
	    tc_req_opt(
		"PUT", "/api/v1/discovery/settings", admin,
		"{\"allowed_ranges\":[],\"max_hosts\":1}",
		&(struct tc_opt){
		    .headers = (const char *const[]){"If-Match: \"1\"", NULL}}),
	    412, "precondition-failed", "stale If-Match");
	tc_problem_is(tc_get(tok, "/api/v1/discovery/settings"), 403,
		      "forbidden", "operators do not read the settings");

	/* Refused scans. */
	before = tc_db_count("SELECT count(*) FROM assets.scans", NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = tc_req("POST", "/api/v1/discovery/scans", tok, bad[i].body);
		if (tc_problem_is(r, 422, "validation", "scan refused: %s",
				  bad[i].what))
			ok(tc_has_field_error(r, bad[i].field), "... names %s",
			   bad[i].field);
		else
			fail("... names %s", bad[i].field);
	}
	ports65 = "[1";
	for (i = 2; i <= 65; i++)
		ports65 = tc_printf("%s,%zu", ports65, i);
	r = tc_req(
	    "POST", "/api/v1/discovery/scans", tok,
	    tc_printf("{\"cidrs\":[\"127.0.0.1\"],\"ports\":%s]}", ports65));
	ok(r->status == 422 && tc_has_field_error(r, "ports"), "65 ports: 422");
	r = tc_req(
	    "POST", "/api/v1/discovery/scans", tok,
	    tc_printf("{\"cidrs\":[\"%s.0/24\",\"%s.0/25\"]}", net, net));
	ok(r->status == 422 && tc_has_field_error(r, "cidrs"),
	   "the host limit counts every range (254 + 126 > 300)");
	r = tc_req("POST", "/api/v1/discovery/scans", tok,
		   "{\"cidrs\":[\"::2\"]}");
	ok(r->status == 422 && tc_has_field_error(r, "cidrs[0]"),
	   "an IPv6 address outside the ranges");
	cmp_ok(tc_db_count("SELECT count(*) FROM assets.scans", NULL),
	       "==", before, "no refused scan was written");

	/* A scan is queued. */
	r = tc_req("POST", "/api/v1/discovery/scans", tok,
		   tc_printf("{\"cidrs\":[\"%s.0/24\"],\"ports\":[22,80],"
			     "\"timeout_ms\":200,\"concurrency\":16}",
			     net));
	tc_status_is(r, 202, "a scan is accepted");
	scan = scanapi = tc_str(r, "id");
	task = tc_str(r, "task_id");
	is(tc_str(r, "state"), "queued", "... queued");
	is(tc_str(r, "hosts_total"), "254", "... 254 hosts");
	is(tc_str(r, "ports.1"), "80", "... its ports");
	is(tc_str(r, "cidrs.0"), tc_printf("%s.0/24", net), "... its range");
	/* The worker may claim it at once: any state of the queue will do. */
	is(tc_db_value("SELECT kind || ' ' || (payload->>'scan_id') || ' ' || "
		       "(state IN ('queued', 'running', 'succeeded', "
		       "'failed')) FROM core.tasks WHERE id = $1",
		       task, NULL),
	   tc_printf("discovery.scan %s true", scan),
	   "a core.tasks row names the scan");
	r = tc_req("POST", "/api/v1/discovery/scans", tok,
		   tc_printf("{\"cidrs\":[\"%s.77\",\"::1\"]}", net));
	tc_status_is(r, 202, "a scan of single addresses with defaults");
	scan2 = tc_str(r, "id");
	ok(strcmp(tc_str(r, "hosts_total"), "2") == 0 &&
	       strcmp(tc_str(r, "timeout_ms"), "1000") == 0 &&
	       strcmp(tc_str(r, "concurrency"), "256") == 0 &&
	       json_object_array_length(tc_json(r->json, "ports")) == 4,
	   "... defaults: 2 hosts, 1000 ms, 256, four ports");
	r = tc_get(v->token, "/api/v1/discovery/scans/%s", scan);
	ok(r->status == 200 && strcmp(tc_str(r, "id"), scan) == 0,
	   "a viewer reads a scan");
	r = tc_get(v->token, "/api/v1/discovery/scans?limit=200");
	ok(r->status == 200 && tc_int(r, "total", 0) >= 2, "list scans");
	tc_problem_is(tc_get(tok, "/api/v1/discovery/scans/" NOID), 404,
		      "not-found", "unknown scan");

	/* Cancel, on scans made here as the API would but out of the
	 * worker's reach (queued for later, or leased for an hour). */
	scanq = tc_db_value(SCAN_FIXTURE, "queued", "1 hour", NULL);
	scanr = tc_db_value(SCAN_FIXTURE, "running", "0 s", NULL);
	if (scanq == NULL || scanr == NULL)
		BAIL_OUT("cannot make the fixture scans");
	r = tc_req("POST",
		   tc_printf("/api/v1/discovery/scans/%s/cancel", scanq), tok,
		   NULL);
	tc_status_is(r, 200, "cancel a queued scan");
	is(tc_str(r, "state"), "canceled", "... canceled");
	is(tc_db_value(
	       "SELECT state || ' ' || cancel_requested FROM "
	       "core.tasks WHERE id = (SELECT task_id FROM assets.scans "
	       "WHERE id = $1)",
	       scanq, NULL),
	   "canceled true", "... its task will never start");
	r = tc_req("POST",
		   tc_printf("/api/v1/discovery/scans/%s/cancel", scanr), tok,
		   NULL);
	tc_status_is(r, 200, "cancel a running scan");
	is(tc_str(r, "state"), "canceled", "... canceled");
	is(tc_db_value(
	       "SELECT state || ' ' || cancel_requested FROM "
	       "core.tasks WHERE id = (SELECT task_id FROM assets.scans "
	       "WHERE id = $1)",
	       scanr, NULL),
	   "running true", "... its task is asked to stop");
	tc_problem_is(
	    tc_req("POST",
		   tc_printf("/api/v1/discovery/scans/%s/cancel", scanr), tok,
		   NULL),
	    409, "conflict", "cancel twice: 409");
	tc_problem_is(tc_req("POST", "/api/v1/discovery/scans/" NOID "/cancel",
			     tok, NULL),
		      404, "not-found", "cancel an unknown scan");
	r = tc_get(v->token,
		   "/api/v1/discovery/scans?state=canceled&limit=200");
	ok(r->status == 200 && tc_int(r, "total", 0) >= 2,
	   "list scans by state");

	/* Results, written as the worker would, of a finished scan. */
	scan = tc_db_value(SCAN_FIXTURE, "succeeded", "0 s", NULL);
	tc_db_exec("INSERT INTO assets.scan_results (scan_id, address, "
		   "reverse_name, open_ports, ssh_banner, winrm_product, "
		   "classification) VALUES "
		   "($1, ($2 || '.5')::inet, NULL, '{22}', "
		   "'SSH-2.0-OpenSSH_9.2p1 Debian', NULL, 'linux'), "
		   "($1, ($2 || '.7')::inet, 'lx7.test.', '{22}', "
		   "'SSH-2.0-OpenSSH_9.2p1', NULL, 'linux'), "
		   "($1, ($2 || '.8')::inet, NULL, '{5986,3389}', NULL, "
		   "'Microsoft-HTTPAPI/2.0', 'windows'), "
		   "($1, ($2 || '.9')::inet, NULL, '{80}', NULL, NULL, "
		   "'unknown')",
		   scan, net, NULL);
	r = tc_req("POST", "/api/v1/targets", tok,
		   tc_printf("{\"name\":%s,\"host\":\"%s.5\",\"os\":\"linux\"}",
			     tc_quote(tc_printf("%s-known", pre)), net));
	tc_status_is(r, 201, "a target for .5 exists");
	r = tc_get(v->token, "/api/v1/discovery/scans/%s/results", scan);
	tc_status_is(r, 200, "results");
	is(tc_str(r, "total"), "4", "... four hosts");
	is(tc_str(r, "items.0.address"), tc_printf("%s.5", net),
	   "... ordered by address");
	is(tc_str(r, "items.0.already_target"), "true",
	   "... already_target for a known host");
	is(tc_str(r, "items.1.already_target"), "false", "... and not else");
	is(tc_str(r, "items.0.ssh_banner"), "SSH-2.0-OpenSSH_9.2p1 Debian",
	   "... ssh banner");
	is(tc_str(r, "items.2.winrm_product"), "Microsoft-HTTPAPI/2.0",
	   "... winrm product");
	is(tc_str(r, "items.2.open_ports.0"), "5986", "... open ports");
	is(tc_str(r, "items.1.reverse_name"), "lx7.test.", "... reverse name");
	r = tc_get(tok,
		   "/api/v1/discovery/scans/%s/results?"
		   "classification=windows",
		   scan);
	ok(tc_int(r, "total", 0) == 1, "results by classification");

	/* Import chosen results. */
	r = tc_req("POST", "/api/v1/credentials", tok,
		   tc_printf("{\"name\":%s,\"type\":\"ssh_password\","
			     "\"username\":\"u\",\"password\":\"p-%s\"}",
			     tc_quote(tc_printf("%s-ssh", pre)), pre));
	cred = tc_str(r, "id");
	r = tc_req("POST", "/api/v1/credentials", tok,
		   tc_printf("{\"name\":%s,\"type\":\"winrm\",\"username\":"
			     "\"u\",\"password\":\"w-%s\"}",
			     tc_quote(tc_printf("%s-win", pre)), pre));
	wcred = tc_str(r, "id");
	r = tc_req(
	    "POST", "/api/v1/groups", tok,
	    tc_printf("{\"name\":%s}", tc_quote(tc_printf("%s-g", pre))));
	sg = tc_str(r, "id");
	r = tc_req("POST", "/api/v1/groups", tok,
		   tc_printf("{\"name\":%s,\"dynamic\":true,\"filter\":"
			     "{\"os\":\"linux\"}}",
			     tc_quote(tc_printf("%s-dg", pre))));
	dg = tc_str(r, "id");
	r = tc_req("POST", "/api/v1/discovery/import", tok,
		   tc_printf("{\"scan_id\":\"%s\",\"addresses\":[\"%s.7\","
			     "\"%s.50\"]}",
			     scan, net, net));
	if (tc_problem_is(r, 422, "validation", "an address not in the scan"))
		ok(tc_has_field_error(r, "addresses[1]"),
		   "... names addresses[1]");
	else
		fail("... names addresses[1]");
	r = tc_req("POST", "/api/v1/discovery/import", tok,
		   tc_printf("{\"scan_id\":\"%s\",\"addresses\":[\"%s.7\","
			     "\"%s.5\"]}",
			     scan, net, net));
	tc_problem_is(r, 409, "conflict", "an address that is a target: 409");
	is(tc_str(r, "existing.0"), tc_printf("%s.5", net), "... named");
	r = tc_req("POST", "/api/v1/discovery/import", tok,
		   tc_printf("{\"scan_id\":\"%s\",\"addresses\":[\"%s.9\"]}",
			     scan, net));
	ok(r->status == 422 && tc_has_field_error(r, "addresses[0]"),
	   "an unclassified host needs os");
	r = tc_req("POST", "/api/v1/discovery/import", tok,
		   tc_printf("{\"scan_id\":\"%s\",\"addresses\":[\"%s.7\","
			     "\"%s.8\"],\"credential_id\":\"%s\"}",
			     scan, net, net, cred));
	ok(r->status == 422 && tc_has_field_error(r, "credential_id"),
	   "an ssh credential for a windows host: 422");
	r = tc_req("POST", "/api/v1/discovery/import", tok,
		   tc_printf("{\"scan_id\":\"%s\",\"addresses\":[\"%s.7\"],"
			     "\"group_ids\":[\"%s\"]}",
			     scan, net, dg));
	ok(r->status == 422 && tc_has_field_error(r, "group_ids[0]"),
	   "a dynamic group: 422");
	r = tc_req("POST", "/api/v1/discovery/import", tok,
		   tc_printf("{\"scan_id\":\"" NOID "\",\"addresses\":"
			     "[\"%s.7\"]}",
			     net));
	ok(r->status == 422 && tc_has_field_error(r, "scan_id"),
	   "an unknown scan: 422");
	cmp_ok(tc_db_count("SELECT count(*) FROM assets.targets WHERE host "
			   "LIKE $1",
			   tc_printf("%s.%%", net), NULL),
	       "==", 1, "nothing was imported by the refused requests");
	r = tc_req("POST", "/api/v1/discovery/import", tok,
		   tc_printf("{\"scan_id\":\"%s\",\"addresses\":[\"%s.7\"],"
			     "\"credential_id\":\"%s\",\"group_ids\":[\"%s\"],"
			     "\"name_prefix\":\"%s-\"}",
			     scan, net, cred, sg, pre));
	tc_status_is(r, 201, "import a linux host");
	is(tc_str(r, "created"), "1", "... one created");
	is(tc_str(r, "items.0.name"), tc_printf("%s-lx7.test", pre),
	   "... named from its reverse name");
	ok(strcmp(tc_str(r, "items.0.protocol"), "ssh") == 0 &&
	       strcmp(tc_str(r, "items.0.port"), "22") == 0 &&
	       strcmp(tc_str(r, "items.0.credential_id"), cred) == 0,
	   "... ssh on 22 with the credential");
	r = tc_get(tok, "/api/v1/groups/%s/members", sg);
	is(tc_str(r, "items.0.host"), tc_printf("%s.7", net),
	   "... in the group");
	r = tc_req("POST", "/api/v1/discovery/import", tok,
		   tc_printf("{\"scan_id\":\"%s\",\"addresses\":[\"%s.8\","
			     "\"%s.9\"],\"credential_id\":\"%s\",\"os\":"
			     "\"windows\"}",
			     scan, net, net, wcred));
	tc_status_is(r, 201, "import with os given");
	ok(strcmp(tc_str(r, "items.0.protocol"), "winrm") == 0 &&
	       strcmp(tc_str(r, "items.0.port"), "5986") == 0 &&
	       strcmp(tc_str(r, "items.0.winrm_https"), "true") == 0,
	   "... winrm over https when only 5986 is open");
	r = tc_get(tok, "/api/v1/discovery/scans/%s/results", scan);
	is(tc_str(r, "items.1.already_target"), "true",
	   "imported hosts are targets now");

	/* Audit, then the settings as they were. */
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "(entity_id IN ($1, $2) AND action = "
			   "'discovery.scan') OR (entity_id IN ($3, $4) AND "
			   "action = 'discovery.scan_cancel')",
			   scanapi, scan2, scanq, scanr, NULL),
	       "==", 4, "scans and cancels are audited");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'target.discover' AND after->>'scan_id' "
			   "= $1",
			   scan, NULL),
	       "==", 3, "imports are audited per target");
	r = tc_req("PUT", "/api/v1/discovery/settings", admin,
		   tc_printf("{\"allowed_ranges\":%s,\"max_hosts\":%s}",
			     old_ranges, old_max));
	tc_status_is(r, 200, "settings restored");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "action = 'discovery.settings' AND actor_name = $1",
			   tc_env("OC_TEST_ADMIN_USER"), NULL),
	       ">=", 2, "settings changes are audited");
	tc_done();
	return done_testing();
}
