/* Calling step executors directly in tests (see stepfx.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "crypto.h"
#include "enc.h"
#include "tests/lib/stepfx.h"
#include "tests/lib/tap.h"
#include "worker/sftp.h"
#include "worker/ssh.h"
#include "worker/winrm.h"

#define STEPFX_FILES 8

struct stepfx_file {
	char name[64];
	unsigned char *p;
	size_t n;
	char sha256[65];
};

struct stepfx_timer {
	volatile int *flag;
	int ms;
};

static struct stepfx_file stepfx_files[STEPFX_FILES];
static int stepfx_nfiles;
static pthread_t stepfx_th;
static struct stepfx_timer stepfx_tm;

static void stepfx_on_output(void *arg, int stream, const char *data,
			     size_t len);
static int stepfx_get_file(void *arg, const char *name, struct step_file *f);
static void *stepfx_timer_main(void *arg);

void
stepfx_add_file(const char *name, const void *p, size_t n, const char *sha256)
{
	struct stepfx_file *f;
	unsigned char md[32];

	if (stepfx_nfiles == STEPFX_FILES)
		BAIL_OUT("stepfx: too many files");
	f = &stepfx_files[stepfx_nfiles++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->p = malloc(n + 1);
	if (f->p == NULL)
		abort();
	memcpy(f->p, p, n);
	f->n = n;
	crypto_sha256(md, p, n);
	enc_hex(f->sha256, md, sizeof(md));
	if (sha256 != NULL)
		snprintf(f->sha256, sizeof(f->sha256), "%s", sha256);
}

static void
stepfx_on_output(void *arg, int stream, const char *data, size_t len)
{
	struct stepfx *x = arg;

	if (stream < 1 || stream > 3)
		BAIL_OUT("stepfx: output on stream %d", stream);
	buf_append(&x->streamed[stream], data, len);
	x->chunks++;
}

static int
stepfx_get_file(void *arg, const char *name, struct step_file *f)
{
	int i;

	(void)arg;
	for (i = 0; i < stepfx_nfiles; i++) {
		if (strcmp(stepfx_files[i].name, name) == 0) {
			f->content = stepfx_files[i].p;
			f->size = stepfx_files[i].n;
			memcpy(f->sha256, stepfx_files[i].sha256, 65);
			return 0;
		}
	}
	return -1;
}

void
stepfx_begin(struct stepfx *x, const char *type, const char *inputs,
	     const struct step_target *t, struct step_io *io, int timeout_ms,
	     size_t capture_max)
{
	int i;

	memset(x, 0, sizeof(*x));
	x->c.type = type;
	x->c.inputs = json_tokener_parse(inputs);
	if (x->c.inputs == NULL)
		BAIL_OUT("stepfx: bad inputs %s", inputs);
	x->c.target = t;
	x->c.io = io;
	x->c.timeout_ms = timeout_ms;
	x->c.cancel = &x->cancel;
	x->c.on_output = stepfx_on_output;
	x->c.get_file = stepfx_get_file;
	x->c.arg = x;
	x->c.capture_max = capture_max > 0 ? capture_max : 65536;
	/* What step_call_init does in the engine. */
	x->c.exit_code = -1;
	buf_init(&x->c.out, x->c.capture_max);
	buf_init(&x->c.err, x->c.capture_max);
	buf_init(&x->c.file, 0);
	buf_puts(&x->c.out, "");
	buf_puts(&x->c.err, "");
	for (i = 0; i < 4; i++) {
		buf_init(&x->streamed[i], 64 << 20);
		buf_puts(&x->streamed[i], "");
	}
}

enum step_outcome
stepfx_run(struct stepfx *x, step_fn *fn)
{
	x->outcome = fn(&x->c);
	if (x->outcome != STEP_SUCCEEDED)
		diag("%s: %s: %s", x->c.type, stepfx_outcome(x->outcome),
		     x->c.error);
	return x->outcome;
}

void
stepfx_end(struct stepfx *x)
{
	int i;

	json_object_put(x->c.inputs);
	json_object_put(x->c.outputs);
	buf_cleanup(&x->c.out);
	buf_cleanup(&x->c.err);
	buf_cleanup(&x->c.file);
	for (i = 0; i < 4; i++)
		buf_cleanup(&x->streamed[i]);
	memset(x, 0, sizeof(*x));
}

void
stepfx_io_close(struct step_io *io)
{
	ssh_close(io->ssh);
	io->ssh = NULL;
	winrm_session_free(io->winrm);
	io->winrm = NULL;
}

const char *
stepfx_outcome(enum step_outcome o)
{
	switch (o) {
	case STEP_SUCCEEDED:
		return "succeeded";
	case STEP_FAILED:
		return "failed";
	case STEP_TIMED_OUT:
		return "timed_out";
	case STEP_CANCELED:
		return "canceled";
	}
	return "?";
}

static void *
stepfx_timer_main(void *arg)
{
	struct stepfx_timer *t = arg;

	usleep((useconds_t)t->ms * 1000);
	*t->flag = 1;
	return NULL;
}

void
stepfx_cancel_after(volatile int *flag, int ms)
{
	stepfx_tm.flag = flag;
	stepfx_tm.ms = ms;
	if (pthread_create(&stepfx_th, NULL, stepfx_timer_main, &stepfx_tm) !=
	    0)
		BAIL_OUT("stepfx: pthread_create");
}

void
stepfx_cancel_join(void)
{
	pthread_join(stepfx_th, NULL);
}
