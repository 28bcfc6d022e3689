/* Per-request memory arena: bump allocation and cleanups run on reset. */
#ifndef OC_ARENA_H
#define OC_ARENA_H

#include <stddef.h>

struct arena;

/* A new arena whose blocks are at least block_size bytes. Aborts on OOM. */
struct arena *arena_new(size_t block_size);
/* Runs the cleanups and releases every block. */
void arena_free(struct arena *a);
/* n zeroed bytes, aligned for any type; arena memory. Aborts on OOM. */
void *arena_alloc(struct arena *a, size_t n);
/* Copies of s (NUL-terminated) in arena memory. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* A formatted string in arena memory. */
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Registers fn(data) to run at the next reset or free (last in, first out).
 * Used for PGresult, json_object and other objects owned elsewhere. */
void arena_cleanup_add(struct arena *a, void (*fn)(void *), void *data);
/* Runs the cleanups and keeps only the first block for reuse. */
void arena_reset(struct arena *a);
/* Bytes handed out since the last reset. */
size_t arena_used(const struct arena *a);

#endif
