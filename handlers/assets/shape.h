/* JSON shapes of the assets objects (one place, driven by the column lists
 * of sql.h), their ETags and If-Match checks, and small shared helpers. */
#ifndef OC_ASSETS_SHAPE_H
#define OC_ASSETS_SHAPE_H

#include <libpq-fe.h>
#include <json-c/json.h>

struct req;
struct page;
struct buf;

/* How a column becomes a JSON member. */
enum shape_kind {
	SHAPE_STR,  /* text, or null */
	SHAPE_INT,  /* integer, or null */
	SHAPE_BOOL, /* t/f */
	SHAPE_JSON, /* JSON text, parsed (null when unparsable) */
};

/* One member: "name" or "parent.name" (a nested object, which becomes
 * null when its "id" member is null). */
struct shape_col {
	const char *name;
	enum shape_kind kind;
};

/* Shapes of each object, in the column order of sql.h. */
extern const struct shape_col shape_target[];
extern const struct shape_col shape_cred[];
extern const struct shape_col shape_group[];
extern const struct shape_col shape_scan[];
extern const struct shape_col shape_result[];
extern const struct shape_col shape_settings[];
extern const struct shape_col shape_task[];
/* The members a viewer sees of a credential (id, name, type). */
#define SHAPE_CRED_VIEWER 3

/* The first n columns of row as an object (new reference). n = -1: all
 * (the table ends with {NULL}). */
json_object *shape_row(const PGresult *res, int row,
		       const struct shape_col *cols, int n);
/* Every row as an array (new reference). */
json_object *shape_rows(const PGresult *res, const struct shape_col *cols,
			int n);
/* The same array as shape_rows, as JSON text appended to b. */
void shape_rows_text(struct buf *b, const PGresult *res,
		     const struct shape_col *cols, int n);
/* Replies 200 {items, total, next} with every row of res shaped as
 * shape_row would, written straight as JSON text (a page of targets is
 * tens of kilobytes: no json-c object per field). */
int shape_page_reply(struct req *r, const PGresult *res,
		     const struct shape_col *cols, int n, long long total,
		     const struct page *p);
/* Sets ETag: "<version>" from column col of row. */
void shape_etag(struct req *r, const PGresult *res, int row, int col);
/* 0 when r has no If-Match or it names the version in column col (or
 * "*"); -1 with a 412 problem otherwise. */
int shape_if_match_or_problem(struct req *r, const PGresult *res, int row,
			      int col);
/* The caller's user id and name for created_by/updated_by. */
/* "t"/"f" of a boolean. */
const char *shape_tf(int b);
/* JSON text of o (arena memory). */
const char *shape_text(struct req *r, json_object *o);
/* Replies 201/200 with the object of row 0 and its ETag. */
int shape_reply(struct req *r, int status, const PGresult *res,
		const struct shape_col *cols, int version_col);

#endif
