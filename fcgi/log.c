/* Structured logging: one JSON object per line on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cfg.h"
#include "log.h"

static const char *log_component = "opsconductor";
static const char *const log_levels[] = {"debug", "info", "warn", "error"};

void
log_init(const char *component)
{
	log_component = component;
}

void
log_timestamp(char out[32])
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 13, ".%03uZ", (unsigned)(tv.tv_usec / 1000) % 1000);
}

void
log_line(const char *json)
{
	size_t n = strlen(json);
	char line[8192];

	/* One write() per line so lines from several processes never mix. */
	if (n + 1 < sizeof(line)) {
		memcpy(line, json, n);
		line[n] = '\n';
		if (write(STDERR_FILENO, line, n + 1) < 0)
			return;
	} else {
		fprintf(stderr, "%s\n", json);
	}
}

void
log_msg(enum log_level lvl, const char *req_id, const char *fmt, ...)
{
	char msg[2048], ts[32];
	json_object *o;
	va_list ap;

	if ((int)lvl < cfg.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_timestamp(ts);
	o = json_object_new_object();
	json_object_object_add(o, "ts", json_object_new_string(ts));
	json_object_object_add(o, "level",
			       json_object_new_string(log_levels[lvl]));
	json_object_object_add(o, "component",
			       json_object_new_string(log_component));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	if (req_id != NULL)
		json_object_object_add(o, "req_id",
				       json_object_new_string(req_id));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	log_line(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}
