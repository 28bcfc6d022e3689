/* Pagination of identity lists: limit, offset or an opaque cursor, and
 * the {items, total, next} answer. */
#ifndef OC_LIST_H
#define OC_LIST_H

#include <json-c/json.h>

struct req;

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 200
#define LIST_OFFSET_MAX 1000000000LL

/* The query fields every list accepts; put them in its field table. */
#define LIST_QUERY_FIELDS                                                      \
	{"limit", FIELD_INT, 0, 1, LIST_LIMIT_MAX, NULL, NULL},                \
	    {"offset", FIELD_INT, 0, 0, LIST_OFFSET_MAX, NULL, NULL},          \
	{                                                                      \
		"cursor", FIELD_STRING, 0, 1, 64, NULL, NULL                   \
	}

/* Reads limit and offset (or the offset a cursor stands for). A bad
 * cursor, or a cursor with an offset, is a 422. 0 or -1. */
int list_params_or_problem(struct req *r, long long *limit, long long *offset);
/* Replies 200 {items, total, next}; next is the cursor of the following
 * page or null. Takes ownership of items. */
int list_reply(struct req *r, json_object *items, long long total,
	       long long limit, long long offset);
/* The number in a count(*) result. */
long long list_total(const char *count);

#endif
