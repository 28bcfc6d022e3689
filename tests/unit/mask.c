/* Unit tests for secret masking: whole texts, overlapping secrets, texts
 * cut inside a secret, and streams whose chunks split a secret anywhere. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "tests/lib/tap.h"
#include "worker/mask.h"

struct text_case {
	const char *in;
	int truncated;
	const char *want;
};

static const struct text_case texts[] = {
    {"", 0, ""},
    {"nothing here", 0, "nothing here"},
    {"token=hunter22!", 0, "token=********!"},
    {"hunter22hunter22", 0, "****************"},
    {"hunter2 is not it", 0, "hunter2 is not it"},
    {"pw s3cr3t-longer and s3cr3t", 0, "pw ******** and ********"},
    {"ends with hunt", 0, "ends with hunt"},
    {"ends with hunt", 1, "ends with ********"},
    {"ab", 0, "ab"},
};

static const char *chunks_in = "user=admin pass=hunter22 key=s3cr3t-longer "
			       "again hunter22 and s3cr3t.";
static const char *chunks_want = "user=admin pass=******** key=******** "
				 "again ******** and ********.";

static void mask_split_all(const struct mask_set *m);

/* Every way to cut the text into two or three chunks gives the same
 * masked stream. */
static void
mask_split_all(const struct mask_set *m)
{
	struct mask_stream st;
	struct buf out;
	size_t n = strlen(chunks_in), a, b;
	int bad = 0, cases = 0;

	for (a = 0; a <= n; a++)
		for (b = a; b <= n; b += 3) {
			buf_init(&out, 1 << 16);
			mask_stream_init(&st, m);
			mask_stream_feed(&st, chunks_in, a, &out);
			mask_stream_feed(&st, chunks_in + a, b - a, &out);
			mask_stream_feed(&st, chunks_in + b, n - b, &out);
			mask_stream_flush(&st, &out);
			cases++;
			if (out.data == NULL || strcmp(out.data, chunks_want)) {
				if (bad++ == 0)
					diag("cut at %zu,%zu: %s", a, b,
					     out.data ? out.data : "(null)");
			}
			buf_cleanup(&out);
		}
	ok(bad == 0, "%d ways to split the stream all mask alike", cases);
}

int
main(void)
{
	struct mask_set m;
	struct mask_stream st;
	struct buf out;
	size_t i;

	mask_set_init(&m);
	mask_set_add(&m, "hunter22");
	mask_set_add(&m, "s3cr3t");
	mask_set_add(&m, "s3cr3t-longer");
	mask_set_add(&m, "hunter22"); /* twice: kept once */
	mask_set_add(&m, "ab");	      /* too short to mask */
	mask_set_add(&m, NULL);
	cmp_ok(m.n, "==", 3, "three distinct secrets kept");

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		buf_init(&out, 4096);
		ok(mask_text(&m, texts[i].in, strlen(texts[i].in),
			     texts[i].truncated, &out) == 0,
		   "mask_text %zu", i);
		is(out.data ? out.data : "", texts[i].want, "text \"%s\"%s",
		   texts[i].in, texts[i].truncated ? " (cut)" : "");
		buf_cleanup(&out);
	}

	/* A secret split across chunks is held back, never emitted. */
	buf_init(&out, 4096);
	mask_stream_init(&st, &m);
	mask_stream_feed(&st, "pass=hun", 8, &out);
	is(out.data ? out.data : "", "pass=", "the start of a secret is held");
	mask_stream_feed(&st, "ter22\n", 6, &out);
	is(out.data, "pass=********\n", "and masked when the rest arrives");
	mask_stream_feed(&st, "hunted", 6, &out);
	mask_stream_flush(&st, &out);
	is(out.data, "pass=********\nhunted",
	   "a near miss is emitted once it is decided");
	buf_cleanup(&out);

	/* Byte by byte. */
	buf_init(&out, 4096);
	mask_stream_init(&st, &m);
	for (i = 0; i < strlen(chunks_in); i++)
		mask_stream_feed(&st, chunks_in + i, 1, &out);
	mask_stream_flush(&st, &out);
	is(out.data, chunks_want, "one byte at a time");
	buf_cleanup(&out);

	mask_split_all(&m);

	/* No secrets: output passes through untouched. */
	{
		struct mask_set none;

		mask_set_init(&none);
		buf_init(&out, 4096);
		mask_stream_init(&st, &none);
		mask_stream_feed(&st, "hunter22", 8, &out);
		mask_stream_flush(&st, &out);
		is(out.data, "hunter22", "nothing is masked without secrets");
		buf_cleanup(&out);
		mask_set_cleanup(&none);
	}
	mask_set_cleanup(&m);
	cmp_ok(m.n, "==", 0, "cleanup forgets the secrets");
	return done_testing();
}
