/* Structured logging: one JSON object per line on stderr. */
#ifndef OC_LOG_H
#define OC_LOG_H

enum log_level {
	LOG_DEBUG, /* developer detail, off by default */
	LOG_INFO,  /* normal operation: start, stop, access lines */
	LOG_WARN,  /* a client or environment problem we recovered from */
	LOG_ERROR, /* a failure an operator must look at */
};

/* Names the component and pid written on every line. */
void log_init(const char *component);
/* A line {"ts","level","component","pid","req_id"?,"msg"}. req_id may be
 * NULL. Never pass secrets. */
void log_msg(enum log_level lvl, const char *req_id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Writes a prepared JSON object text as one line (access log). */
void log_line(const char *json);
/* Current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ" in out. */
void log_timestamp(char out[32]);

#endif
