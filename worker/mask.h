/* Masking of secrets in run output: every occurrence of a secret becomes
 * "********", also when a secret is split across the chunks of a stream. */
#ifndef OC_MASK_H
#define OC_MASK_H

#include <stddef.h>

struct buf;

#define MASK_TEXT "********"
#define MASK_MAX 16 /* secrets per run target */

/* The secrets to hide (copies, wiped on cleanup). */
struct mask_set {
	char *secret[MASK_MAX];
	size_t len[MASK_MAX];
	int n;
	size_t maxlen;
};

/* One stream through the mask: holds back a tail that could be the start
 * of a secret until the next chunk shows whether it is. */
struct mask_stream {
	const struct mask_set *set;
	char *held;
	size_t nheld;
};

void mask_set_init(struct mask_set *m);
/* Adds s (ignored when NULL, empty or already known; secrets shorter than
 * 3 bytes are ignored too: masking every "a" would hide all output). */
void mask_set_add(struct mask_set *m, const char *s);
void mask_set_cleanup(struct mask_set *m);

/* Appends s[0..n) to out with secrets masked (one whole text). When
 * truncated is set, a tail that is the start of a secret is masked too
 * (the text was cut inside it). 0, or -1 when out's cap is reached. */
int mask_text(const struct mask_set *m, const char *s, size_t n, int truncated,
	      struct buf *out);

void mask_stream_init(struct mask_stream *s, const struct mask_set *m);
/* Appends the masked part of data that can be decided now to out; keeps
 * a possible secret prefix at the end for the next call. */
int mask_stream_feed(struct mask_stream *s, const char *data, size_t n,
		     struct buf *out);
/* Appends what is held back (the stream ended). */
int mask_stream_flush(struct mask_stream *s, struct buf *out);
void mask_stream_cleanup(struct mask_stream *s);

#endif
