/* Job templates: {{ params.NAME }}, {{ target.FIELD }},
 * {{ steps.ID.FIELD }}, optionally followed by "| raw". Scanned by the API
 * to validate references, rendered by the worker with each value quoted for
 * the shell the input is placed in. */
#ifndef OC_TMPL_H
#define OC_TMPL_H

#include <stddef.h>

struct buf;

/* What a reference starts with. */
enum tmpl_root {
	TMPL_PARAMS, /* params.NAME: a job parameter */
	TMPL_TARGET, /* target.host, target.name, target.port, target.os */
	TMPL_STEPS,  /* steps.ID.stdout, .stderr, .exit_code: an earlier step */
};

/* One {{ ... }} found in a text. */
struct tmpl_ref {
	enum tmpl_root root;
	char name[128]; /* the parameter name, target field, or step id */
	char field[32]; /* steps only: "stdout", "stderr", "exit_code" */
	int raw;	/* "| raw" was written: insert the value unquoted */
	size_t start;	/* byte offset of "{{" in the text */
	size_t end;	/* byte offset just past "}}" */
};

/* How values are quoted where they are inserted. */
enum tmpl_quote {
	TMPL_QUOTE_NONE,       /* inserted as is (URLs, headers, file paths) */
	TMPL_QUOTE_SHELL,      /* POSIX sh: '...' with '\'' for a quote */
	TMPL_QUOTE_POWERSHELL, /* PowerShell: '...' with '' for a quote */
	TMPL_QUOTE_CMD,	       /* cmd.exe: "..."; values holding ", %, !,
				* ^ or a line break cannot be quoted safely
				* and fail the render */
};

/* Called for each reference in order; a non-zero return stops the scan
 * and is returned by tmpl_scan. */
typedef int (*tmpl_ref_fn)(void *arg, const struct tmpl_ref *ref);

/* Finds every reference in text. Returns 0, fn's non-zero value, or -1
 * with a message for a person in err (unclosed "{{", unknown root such as
 * {{ foo.x }}, a bad name, an unknown field, an unknown filter). */
int tmpl_scan(const char *text, tmpl_ref_fn fn, void *arg, char *err,
	      size_t errlen);

/* Supplies the value of a reference: 0 with *value set (borrowed until
 * tmpl_render returns), or -1 when it has no value (then the render fails
 * naming the reference). */
typedef int (*tmpl_lookup_fn)(void *arg, const struct tmpl_ref *ref,
			      const char **value);

/* Appends text to out with every reference replaced by its value, quoted
 * for q unless the reference says "| raw". 0, or -1 with err filled (a
 * syntax error, an undefined reference, a value that cannot be quoted for
 * q, or out's cap reached). */
int tmpl_render(const char *text, enum tmpl_quote q, tmpl_lookup_fn lookup,
		void *arg, struct buf *out, char *err, size_t errlen);

/* Appends s quoted for q (TMPL_QUOTE_NONE appends it as is). 0 or -1 (a
 * value cmd.exe cannot take, or the cap). */
int tmpl_quote_append(struct buf *out, enum tmpl_quote q, const char *s);

#endif
