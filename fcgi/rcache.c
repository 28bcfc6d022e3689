/* Whole answers to cacheable GETs, per pool process, dropped when
 * fcgi/inval.c says the pool's data moved, and on age. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "cfg.h"
#include "rcache.h"
#include "req.h"

#define RCACHE_SLOTS 64 /* direct-mapped by role, path and query */

struct rcache_entry {
	char *mem; /* one block: key, body, type, headers */
	const char *key;
	const char *body;
	size_t len;
	const char *type; /* Content-Type as sent */
	const char *hdrs; /* "name\0value\0" pairs */
	size_t hdrs_len;
	size_t bytes; /* size of mem */
	time_t until; /* CLOCK_MONOTONIC seconds */
};

static struct rcache_entry *rcache_tab;
static enum inval_chan rcache_chan;
static uint64_t rcache_gen;  /* generation of the entries */
static size_t rcache_budget; /* bytes */
static size_t rcache_bytes;  /* held now */

static time_t
rcache_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
rcache_drop(struct rcache_entry *e)
{
	rcache_bytes -= e->bytes;
	free(e->mem);
	memset(e, 0, sizeof(*e));
}

static void
rcache_flush(void)
{
	int i;

	for (i = 0; i < RCACHE_SLOTS; i++)
		if (rcache_tab[i].mem != NULL)
			rcache_drop(&rcache_tab[i]);
}

/* 0 when the entries are up to date with every invalidation that has
 * reached this process, -1 when they cannot be trusted now. */
static int
rcache_sync(void)
{
	int moved = inval_moved(rcache_chan, &rcache_gen);

	if (moved > 0)
		rcache_flush();
	return moved < 0 ? -1 : 0;
}

/* The role, path and raw query of r (arena), and its slot. */
static const char *
rcache_key(struct req *r, struct rcache_entry **slot)
{
	const char *key =
	    arena_printf(r->arena, "%d\n%s?%s", (int)r->who.role, r->path,
			 r->query_string ? r->query_string : "");
	const char *k;
	uint32_t h = 2166136261u;

	for (k = key; *k != '\0'; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	*slot = &rcache_tab[h % RCACHE_SLOTS];
	return key;
}

void
rcache_enable(enum inval_chan chan)
{
	static struct rcache_entry tab[RCACHE_SLOTS];

	if (cfg.read_cache_kib <= 0)
		return;
	rcache_tab = tab;
	rcache_chan = chan;
	rcache_budget = (size_t)cfg.read_cache_kib * 1024;
}

int
rcache_get(struct req *r)
{
	struct rcache_entry *e;
	const char *key, *h, *v;

	if (rcache_tab == NULL || strcmp(r->method, "GET") != 0 ||
	    rcache_sync() < 0)
		return 0;
	key = rcache_key(r, &e);
	if (e->mem == NULL || strcmp(e->key, key) != 0)
		return 0;
	if (rcache_mono() >= e->until) {
		rcache_drop(e);
		return 0;
	}
	/* The entry cannot change before the answer is written: only
	 * rcache_get and rcache_put change entries. */
	r->text_out = e->body;
	r->text_len = e->len;
	r->text_type = e->type;
	for (h = e->hdrs; h < e->hdrs + e->hdrs_len; h = v + strlen(v) + 1) {
		v = h + strlen(h) + 1;
		req_header_add(r, h, v);
	}
	r->status = 200;
	return 1;
}

/* The body of r's answer as it will be sent, and its Content-Type. */
static const char *
rcache_body(struct req *r, size_t *len, const char **type)
{
	if (r->text_out == NULL) {
		if (r->out == NULL)
			return NULL;
		/* Written once: http_respond sends the text. */
		r->text_out = json_object_to_json_string_length(
		    r->out,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &r->text_len);
		r->text_type = "application/json; charset=utf-8";
	}
	if (r->text_len > 0) {
		*len = r->text_len;
		*type = r->text_type != NULL ? r->text_type : "text/plain";
	} else {
		*len = strlen(r->text_out);
		*type = arena_printf(r->arena, "%s; charset=utf-8",
				     r->text_type != NULL ? r->text_type
							  : "text/plain");
	}
	return r->text_out;
}

void
rcache_put(struct req *r)
{
	struct rcache_entry *e, n;
	const struct header *h;
	const char *key, *body, *type;
	size_t len, klen, tlen, hlen = 0, off;

	if (rcache_tab == NULL || r->status != 200 || r->problem != NULL ||
	    r->takeover != NULL || strcmp(r->method, "GET") != 0 ||
	    !inval_following() || rcache_sync() < 0)
		return;
	body = rcache_body(r, &len, &type);
	if (body == NULL || len == 0)
		return;
	key = rcache_key(r, &e);
	for (h = r->headers; h != NULL; h = h->next)
		hlen += strlen(h->name) + strlen(h->value) + 2;
	klen = strlen(key) + 1;
	tlen = strlen(type) + 1;
	memset(&n, 0, sizeof(n));
	n.bytes = klen + len + tlen + hlen;
	if (n.bytes > rcache_budget / 4)
		return;
	if (e->mem != NULL)
		rcache_drop(e);
	if (rcache_bytes + n.bytes > rcache_budget)
		rcache_flush();
	n.mem = malloc(n.bytes);
	if (n.mem == NULL)
		return;
	memcpy(n.mem, key, klen);
	memcpy(n.mem + klen, body, len);
	memcpy(n.mem + klen + len, type, tlen);
	off = klen + len + tlen;
	for (h = r->headers; h != NULL; h = h->next) {
		memcpy(n.mem + off, h->name, strlen(h->name) + 1);
		off += strlen(h->name) + 1;
		memcpy(n.mem + off, h->value, strlen(h->value) + 1);
		off += strlen(h->value) + 1;
	}
	n.key = n.mem;
	n.body = n.mem + klen;
	n.len = len;
	n.type = n.mem + klen + len;
	n.hdrs = n.mem + klen + len + tlen;
	n.hdrs_len = hlen;
	n.until = rcache_mono() + RCACHE_TTL_S;
	*e = n;
	rcache_bytes += n.bytes;
}
