/* Per-request memory arena: bump allocation and cleanups run on reset. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	max_align_t data[];
};

struct arena_cleanup {
	void (*fn)(void *);
	void *data;
	struct arena_cleanup *next;
};

struct arena {
	struct arena_block *head; /* current block; the first block is last */
	struct arena_cleanup *cleanups;
	size_t block_size;
	size_t used;
};

static void *arena_xmalloc(size_t n);
static struct arena_block *arena_block_new(size_t size);

static void *
arena_xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL) {
		fputs("arena: out of memory\n", stderr);
		abort();
	}
	return p;
}

static struct arena_block *
arena_block_new(size_t size)
{
	struct arena_block *b = arena_xmalloc(sizeof(*b) + size);

	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct arena *
arena_new(size_t block_size)
{
	struct arena *a = arena_xmalloc(sizeof(*a));

	if (block_size < 1024)
		block_size = 1024;
	a->block_size = block_size;
	a->head = arena_block_new(block_size);
	a->cleanups = NULL;
	a->used = 0;
	return a;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	arena_reset(a);
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need < n) {
		fputs("arena: allocation size overflow\n", stderr);
		abort();
	}
	if (b->size - b->used < need) {
		size_t size = need > a->block_size ? need : a->block_size;

		b = arena_block_new(size);
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	a->used += need;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_cleanup_add(struct arena *a, void (*fn)(void *), void *data)
{
	struct arena_cleanup *c = arena_alloc(a, sizeof(*c));

	c->fn = fn;
	c->data = data;
	c->next = a->cleanups;
	a->cleanups = c;
}

void
arena_reset(struct arena *a)
{
	struct arena_cleanup *c;
	struct arena_block *b;

	/* Cleanups live in the arena: run them all before freeing blocks. */
	for (c = a->cleanups; c != NULL; c = c->next)
		c->fn(c->data);
	a->cleanups = NULL;
	while (a->head->next != NULL) {
		b = a->head;
		a->head = b->next;
		free(b);
	}
	a->head->used = 0;
	a->used = 0;
}

size_t
arena_used(const struct arena *a)
{
	return a->used;
}
