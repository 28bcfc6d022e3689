/* User administration: create, read, update, delete, duplicates, list
 * filters and paging (offset and cursor), ETag/If-Match, last-admin rules,
 * and disabling a user ending their sessions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define NLIST 5
/* Serializes the files that make admins, see the last-admin part. */
#define ADMIN_LOCK "SELECT pg_advisory_lock(73010)"
#define ADMIN_UNLOCK "SELECT pg_advisory_unlock(73010)"

static int collect(struct tc_res *r, char seen[][80], int *n);

/* Adds the usernames of a page to seen; 0 when one was seen before. */
static int
collect(struct tc_res *r, char seen[][80], int *n)
{
	json_object *items = tc_json(r->json, "items");
	const char *name;
	size_t i;
	int j, fresh = 1;

	if (items == NULL || !json_object_is_type(items, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(items); i++) {
		name = tc_jstr(json_object_array_get_idx(items, i), "username");
		for (j = 0; j < *n; j++)
			if (name != NULL && strcmp(seen[j], name) == 0)
				fresh = 0;
		if (name != NULL && *n < 64)
			snprintf(seen[(*n)++], 80, "%s", name);
	}
	return fresh;
}

int
main(void)
{
	const char *admin, *admin_id, *name, *id, *etag, *prefix, *next, *pw;
	char seen[64][80];
	struct tc_user *list[NLIST], *v, *a2, *a3;
	struct tc_res *r;
	int i, n, pages, disjoint;

	tc_init(14);
	admin = tc_admin_token();
	admin_id = tc_str(tc_req("GET", "/api/v1/me", admin, NULL), "id");

	/* Create. */
	name = tc_name("usr");
	pw = tc_password();
	r = tc_req("POST", "/api/v1/users", admin,
		   tc_printf("{\"username\":%s,\"password\":%s,\"role\":"
			     "\"viewer\",\"display_name\":\"Zoë Test\","
			     "\"email\":\"zoe@example.test\"}",
			     tc_quote(tc_printf("USR%s", name + 3)),
			     tc_quote(pw)));
	tc_status_is(r, 201, "create a user");
	id = tc_str(r, "id");
	like(id, "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
	     "id is a uuid");
	is(tc_str(r, "username"), name, "username stored lowercased");
	is(tc_str(r, "display_name"), "Zoë Test", "display_name");
	is(tc_str(r, "email"), "zoe@example.test", "email");
	is(tc_str(r, "role"), "viewer", "role");
	is(tc_str(r, "disabled"), "false", "disabled false");
	is(tc_str(r, "totp_enabled"), "false", "totp_enabled false");
	ok(tc_json(r->json, "preferences") != NULL, "preferences present");
	ok(tc_json(r->json, "created_at") != NULL &&
		   tc_json(r->json, "updated_at") != NULL,
	   "timestamps present");
	cmp_ok(tc_int(r, "version", 0), ">=", 1, "version");
	ok(tc_json(r->json, "password") == NULL &&
		   tc_json(r->json, "password_hash") == NULL &&
		   tc_json(r->json, "totp_secret") == NULL &&
		   strstr(r->body, pw) == NULL,
	   "no password or hash in the answer");
	like(tc_header(r, "Location"), tc_printf("/api/v1/users/%s$", id),
	     "Location of the new user");
	like(tc_db_value("SELECT password_hash FROM identity.users "
			 "WHERE id = $1",
			 id, NULL),
	     "^\\$argon2id\\$", "the password is stored as argon2id");
	tc_status_is(tc_login_res(name, pw, NULL), 200,
		     "the new user can log in");

	/* Duplicates. */
	r = tc_req("POST", "/api/v1/users", admin,
		   tc_printf("{\"username\":%s,\"password\":%s,\"role\":"
			     "\"viewer\"}",
			     tc_quote(name), tc_quote(tc_password())));
	tc_problem_is(r, 409, "conflict", "duplicate username");
	r = tc_req("POST", "/api/v1/users", admin,
		   tc_printf("{\"username\":%s,\"password\":%s,\"role\":"
			     "\"viewer\"}",
			     tc_quote(tc_printf("USR%s", name + 3)),
			     tc_quote(tc_password())));
	tc_problem_is(r, 409, "conflict", "duplicate username in other case");
	r = tc_req("POST", "/api/v1/users", admin,
		   tc_printf("{\"username\":%s,\"password\":\"short\","
			     "\"role\":\"viewer\"}",
			     tc_quote(tc_name("usr"))));
	if (tc_problem_is(r, 422, "validation", "weak password refused"))
		ok(tc_has_field_error(r, "password"), "... on field password");

	/* Read, ETag, update. */
	r = tc_get(admin, "/api/v1/users/%s", id);
	tc_status_is(r, 200, "get the user");
	etag = tc_header(r, "ETag");
	is(etag, tc_printf("\"%lld\"", tc_int(r, "version", 0)),
	   "ETag is the quoted version");
	tc_problem_is(tc_get(admin, "/api/v1/users/%s",
			     "00000000-0000-4000-8000-000000000000"),
		      404, "not-found", "unknown id");
	tc_problem_is(tc_get(admin, "/api/v1/users/not-a-uuid"), 404,
		      "not-found", "malformed id");
	tc_problem_is(tc_get(admin, "/api/v1/users/%s%%27%%20OR%%201=1",
			     id),
		      404, "not-found", "SQL in the id");
	r = tc_req_opt("PATCH", tc_printf("/api/v1/users/%s", id), admin,
		       "{\"display_name\":\"Zoë Renamed\"}",
		       &(struct tc_opt){.headers = (const char *const[]){
						tc_printf("If-Match: %s", etag),
						NULL}});
	tc_status_is(r, 200, "update with the current If-Match");
	is(tc_str(r, "display_name"), "Zoë Renamed", "display_name changed");
	isnt(tc_header(r, "ETag"), etag, "the ETag changed");
	r = tc_req_opt("PATCH", tc_printf("/api/v1/users/%s", id), admin,
		       "{\"display_name\":\"Lost update\"}",
		       &(struct tc_opt){.headers = (const char *const[]){
						tc_printf("If-Match: %s", etag),
						NULL}});
	tc_problem_is(r, 412, "precondition-failed", "a stale If-Match");
	is(tc_str(tc_get(admin, "/api/v1/users/%s", id), "display_name"),
	   "Zoë Renamed", "the stale update changed nothing");
	r = tc_req("PATCH", tc_printf("/api/v1/users/%s", id), admin,
		   "{\"role\":\"operator\",\"email\":null}");
	tc_status_is(r, 200, "update without If-Match");
	is(tc_str(r, "role"), "operator", "role changed");
	r = tc_req("PATCH", tc_printf("/api/v1/users/%s", id), admin,
		   "{\"role\":\"root\"}");
	if (tc_problem_is(r, 422, "validation", "unknown role"))
		ok(tc_has_field_error(r, "role"), "... on field role");
	r = tc_req("PATCH", "/api/v1/users/00000000-0000-4000-8000-000000000000",
		   admin, "{\"display_name\":\"x\"}");
	tc_problem_is(r, 404, "not-found", "update of an unknown id");
	cmp_ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
			   "entity_id = $1 AND action LIKE 'user.%'",
			   id, NULL),
	       ">=", 3, "create and updates are audited");
	ok(tc_db_count("SELECT count(*) FROM core.audit_events WHERE "
		       "entity_id = $1 AND (before::text LIKE '%argon2%' OR "
		       "after::text LIKE '%argon2%' OR after::text LIKE "
		       "'%' || $2 || '%')",
		       id, pw, NULL) == 0,
	   "the audit holds no password or hash");

	/* List: filters and paging over users of our own. */
	prefix = tc_name("lst");
	for (i = 0; i < NLIST; i++) {
		list[i] = tc_create_user(admin, prefix,
					 i < 2 ? "operator" : "viewer");
		if (list[i] == NULL)
			BAIL_OUT("cannot create list users");
	}
	tc_req("PATCH", tc_printf("/api/v1/users/%s", list[4]->id), admin,
	       "{\"disabled\":true}");
	r = tc_get(admin, "/api/v1/users?q=%s", prefix);
	tc_status_is(r, 200, "list with q");
	cmp_ok(tc_int(r, "total", -1), "==", NLIST, "q finds all five");
	{
		const char *first = list[0]->username;

		for (i = 1; i < NLIST; i++)
			if (strcmp(list[i]->username, first) < 0)
				first = list[i]->username;
		is(tc_str(r, "items.0.username"), first,
		   "ordered by username");
	}
	ok(tc_json(r->json, "items.0.password_hash") == NULL,
	   "no hashes in lists");
	r = tc_get(admin, "/api/v1/users?q=%s&role=operator", prefix);
	cmp_ok(tc_int(r, "total", -1), "==", 2, "role=operator");
	r = tc_get(admin, "/api/v1/users?q=%s&disabled=true", prefix);
	cmp_ok(tc_int(r, "total", -1), "==", 1, "disabled=true");
	is(tc_str(r, "items.0.username"), list[4]->username,
	   "... the disabled one");
	r = tc_get(admin, "/api/v1/users?q=%s&disabled=false&role=viewer",
		   prefix);
	cmp_ok(tc_int(r, "total", -1), "==", 2, "disabled=false&role=viewer");
	r = tc_get(admin, "/api/v1/users?q=%s", tc_name("none"));
	cmp_ok(tc_int(r, "total", -1), "==", 0, "q without matches");
	ok(tc_json(r->json, "items") != NULL &&
		   json_object_array_length(tc_json(r->json, "items")) == 0,
	   "... empty items");
	r = tc_get(admin, "/api/v1/users?q=%%25");
	tc_status_is(r, 200, "q=%% is a literal, not a wildcard error");

	n = 0;
	disjoint = 1;
	for (i = 0; i < NLIST; i += 2) {
		r = tc_get(admin, "/api/v1/users?q=%s&limit=2&offset=%d",
			   prefix, i);
		tc_status_is(r, 200, "offset page %d", i);
		cmp_ok(tc_int(r, "total", -1), "==", NLIST,
		       "total on every page");
		disjoint &= collect(r, seen, &n);
	}
	ok(disjoint && n == NLIST, "offset pages are disjoint and complete");

	n = 0;
	disjoint = 1;
	pages = 0;
	r = tc_get(admin, "/api/v1/users?q=%s&limit=2", prefix);
	for (;;) {
		pages++;
		if (r->status != 200 || pages > 10)
			break;
		disjoint &= collect(r, seen, &n);
		next = tc_str(r, "next");
		if (next == NULL || strcmp(next, "null") == 0)
			break;
		r = tc_get(admin, "/api/v1/users?q=%s&limit=2&cursor=%s",
			   prefix, next);
	}
	ok(disjoint && n == NLIST && pages == 3,
	   "cursor pages are disjoint and complete (%d users, %d pages)", n,
	   pages);
	ok(tc_json(r->json, "next") == NULL, "the last page has next null");

	r = tc_get(admin, "/api/v1/users?limit=0");
	tc_problem_is(r, 422, "validation", "limit=0");
	tc_problem_is(tc_get(admin, "/api/v1/users?limit=201"), 422,
		      "validation", "limit=201");
	tc_problem_is(tc_get(admin, "/api/v1/users?offset=-1"), 422,
		      "validation", "offset=-1");
	tc_problem_is(tc_get(admin, "/api/v1/users?role=root"), 422,
		      "validation", "role=root");
	tc_problem_is(tc_get(admin, "/api/v1/users?disabled=maybe"), 422,
		      "validation", "disabled=maybe");
	tc_problem_is(tc_get(admin, "/api/v1/users?cursor=garbage"), 422,
		      "validation", "a forged cursor");
	tc_problem_is(tc_get(admin, "/api/v1/users?sort=name"), 400,
		      "bad-request", "unknown parameter");

	/* Delete. */
	r = tc_req("DELETE", tc_printf("/api/v1/users/%s", list[3]->id), admin,
		   NULL);
	tc_status_is(r, 204, "delete");
	tc_problem_is(tc_get(admin, "/api/v1/users/%s", list[3]->id), 404,
		      "not-found", "deleted user is gone");
	tc_problem_is(tc_req("DELETE",
			     tc_printf("/api/v1/users/%s", list[3]->id), admin,
			     NULL),
		      404, "not-found", "deleting twice");
	tc_problem_is(tc_login_res(list[3]->username, list[3]->password, NULL),
		      401, "login-failed", "a deleted user cannot log in");

	/* Disabling ends sessions. */
	v = tc_new_user("usrdis", "viewer");
	if (v == NULL || v->token == NULL)
		BAIL_OUT("cannot create a user");
	tc_status_is(tc_req("GET", "/api/v1/me", v->token, NULL), 200,
		     "the user's session works");
	tc_status_is(tc_req("PATCH", tc_printf("/api/v1/users/%s", v->id),
			    admin, "{\"disabled\":true}"),
		     200, "disable the user");
	tc_problem_is(tc_req("GET", "/api/v1/me", v->token, NULL), 401,
		      "unauthorized", "disabling ended the session");
	cmp_ok(tc_db_count("SELECT count(*) FROM identity.sessions WHERE "
			   "user_id = $1 AND revoked_at IS NULL",
			   v->id, NULL),
	       "==", 0, "every session of the user is revoked");
	tc_status_is(tc_req("PATCH", tc_printf("/api/v1/users/%s", v->id),
			    admin, "{\"disabled\":false}"),
		     200, "enable again");
	tc_problem_is(tc_req("GET", "/api/v1/me", v->token, NULL), 401,
		      "unauthorized", "old sessions stay revoked");
	tc_status_is(tc_login_res(v->username, v->password, NULL), 200,
		     "a fresh login works");
	r = tc_req("PATCH", tc_printf("/api/v1/users/%s", v->id), admin,
		   tc_printf("{\"password\":%s}", tc_quote(tc_password())));
	tc_status_is(r, 200, "admin password reset");
	tc_problem_is(tc_login_res(v->username, v->password, NULL), 401,
		      "login-failed", "the old password stops working");

	/* Last-admin rules. Only this file and apikeys.c make admins, under
	 * the same advisory lock, so the bootstrap admin is alone here. */
	tc_db_value(ADMIN_LOCK, NULL);
	tc_problem_is(tc_req("DELETE",
			     tc_printf("/api/v1/users/%s", admin_id), admin,
			     NULL),
		      409, "conflict", "an admin cannot delete themself");
	a2 = tc_create_user(admin, "adm", "admin");
	a3 = tc_create_user(admin, "admdis", "admin");
	if (a2 == NULL || a3 == NULL)
		BAIL_OUT("cannot create admins");
	tc_status_is(tc_req("PATCH", tc_printf("/api/v1/users/%s", a2->id),
			    admin, "{\"role\":\"operator\"}"),
		     200, "demoting an admin while others remain");
	tc_status_is(tc_req("PATCH", tc_printf("/api/v1/users/%s", a3->id),
			    admin, "{\"disabled\":true}"),
		     200, "a second admin, disabled");
	/* Test admins of earlier runs would spoil "only one admin". */
	tc_db_exec("UPDATE identity.users SET disabled = true WHERE role = "
		   "'admin' AND username <> $1 AND username ~ "
		   "'-[0-9]+-[0-9]+$'",
		   tc_env("OC_TEST_ADMIN_USER"), NULL);
	cmp_ok(tc_db_count("SELECT count(*) FROM identity.users WHERE role = "
			   "'admin' AND NOT disabled",
			   NULL),
	       "==", 1, "the bootstrap admin is the only enabled admin");
	r = tc_req("PATCH", tc_printf("/api/v1/users/%s", admin_id), admin,
		   "{\"role\":\"operator\"}");
	tc_problem_is(r, 409, "conflict", "the last admin cannot be demoted");
	r = tc_req("PATCH", tc_printf("/api/v1/users/%s", admin_id), admin,
		   "{\"disabled\":true}");
	tc_problem_is(r, 409, "conflict", "the last admin cannot be disabled");
	/* Whatever happened, leave the stack usable. */
	tc_db_exec("UPDATE identity.users SET role = 'admin', disabled = false "
		   "WHERE username = $1",
		   tc_env("OC_TEST_ADMIN_USER"), NULL);
	tc_status_is(tc_req("GET", "/api/v1/users?limit=1", admin, NULL), 200,
		     "the bootstrap admin is still an admin");
	tc_status_is(tc_req("DELETE", tc_printf("/api/v1/users/%s", a3->id),
			    admin, NULL),
		     204, "delete the disabled admin");
	tc_status_is(tc_req("DELETE", tc_printf("/api/v1/users/%s", a2->id),
			    admin, NULL),
		     204, "delete the demoted admin");
	tc_db_value(ADMIN_UNLOCK, NULL);

	tc_done();
	return done_testing();
}
