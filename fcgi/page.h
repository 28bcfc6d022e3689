/* Pagination of every list: limit, offset or an opaque cursor, and the
 * {items, total, next} answer. */
#ifndef OC_PAGE_H
#define OC_PAGE_H

#include <libpq-fe.h>
#include <json-c/json.h>

struct req;
struct db_stmt;

#define PAGE_LIMIT_DEFAULT 50
#define PAGE_LIMIT_MAX 200
#define PAGE_OFFSET_MAX 1000000000LL

/* The query fields every list accepts; put them in its field table. */
#define PAGE_QUERY_FIELDS                                                      \
	{"limit", FIELD_INT, 0, 1, PAGE_LIMIT_MAX, NULL, NULL},                \
	    {"offset", FIELD_INT, 0, 0, PAGE_OFFSET_MAX, NULL, NULL},          \
	{                                                                      \
		"cursor", FIELD_STRING, 0, 1, 64, NULL, NULL                   \
	}

/* A page being read: limit and offset as numbers and as SQL text. */
struct page {
	long long limit, offset;
	char lim[24], off[24];
};

/* Reads limit and offset (or the offset a cursor stands for). A bad
 * cursor, or a cursor with an offset, is a 422. 0 or -1. */
int page_params_or_problem(struct req *r, struct page *p);
/* The total for a page of rows: counted from the page itself when it is
 * the last one, else by running count with params. -1 with a problem. */
long long page_total_or_problem(struct req *r, const struct page *p,
				const PGresult *rows,
				const struct db_stmt *count,
				const char *const *params);
/* Replies 200 {items, total, next} where items is already the JSON text
 * of an array (rows written as text, never parsed again). */
int page_reply_text(struct req *r, const char *items, size_t len,
		    long long total, const struct page *p);
/* Replies 200 {items, total, next}. Takes ownership of items. */
int page_reply(struct req *r, json_object *items, long long total,
	       const struct page *p);

/* The whole list reply for rows whose first column is a JSON object
 * (built in SQL): runs list with params (its last two are p->lim and
 * p->off), counts with count, and replies {items, total, next}. A row that
 * is not JSON is a 500. Returns the status. */
int page_json_rows(struct req *r, const struct page *p,
		   const struct db_stmt *list, const struct db_stmt *count,
		   const char *const *params);

#endif
