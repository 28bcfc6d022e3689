/* Live events fanned out to many streams by the one writer: every stream
 * gets every event once and in order, whether events come one commit at a
 * time or hundreds in one commit (written in batches), while other
 * streams come and go; a stream whose client left is closed by the
 * process ("client gone" in its log), and new streams open and are live. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/ssec.h"
#include "tests/lib/tap.h"
#include "tests/lib/tc.h"

#define FAN_STREAMS 40
#define FAN_BULK 300   /* events in one commit, ~600 bytes each */
#define FAN_SINGLE 100 /* events each in its own commit */

static struct ssec *fan_open(const char *token, int n);
static int fan_read(struct ssec *c, const char *until, char *ids,
		    size_t idsz);
static int fan_gone(void);

static struct ssec *
fan_open(const char *token, int n)
{
	return ssec_open(tc_base(), tc_printf("127.0.95.%d", 1 + n),
			 "/api/v1/events", tc_printf("Bearer %s", token), NULL,
			 0);
}

/* Reads events up to one of type until; ids gets "id,id,...". 1 when
 * until came, 0 on timeout or end of the stream. */
static int
fan_read(struct ssec *c, const char *until, char *ids, size_t idsz)
{
	struct ssec_event ev;
	double deadline = tc_now_ms() + 30000;
	size_t k;

	ids[0] = '\0';
	while (tc_now_ms() < deadline) {
		if (ssec_next(c, &ev, (int)(deadline - tc_now_ms()) + 1) != 1)
			return 0;
		if (ev.comment || strncmp(ev.type, "fan.", 4) != 0)
			continue;
		k = strlen(ids);
		snprintf(ids + k, idsz - k, "%s%lld", k ? "," : "", ev.id);
		if (strcmp(ev.type, until) == 0)
			return 1;
	}
	return 0;
}

/* How many streams the events process logged as closed by their
 * client. */
static int
fan_gone(void)
{
	FILE *f = fopen(tc_printf("%s/log/events.log", tc_env("OC_TEST_VAR")),
			"r");
	char line[4096];
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, "(client gone)") != NULL;
	fclose(f);
	return n;
}

int
main(void)
{
	static char ids[FAN_STREAMS][8192];
	struct ssec *s[FAN_STREAMS], *gone[10];
	const char *admin, *start, *want;
	double deadline;
	int i, same = 0, ended = 0, opened, gone0;

	tc_init(95);
	admin = tc_admin_token();
	if (admin == NULL)
		BAIL_OUT("cannot sign in");

	start = tc_db_value("SELECT coalesce(max(id), 0) FROM core.events",
			    NULL);
	for (i = 0; i < FAN_STREAMS; i++) {
		s[i] = fan_open(admin, i);
		if (s[i] == NULL || ssec_status(s[i]) != 200)
			BAIL_OUT("stream %d did not open", i);
	}
	pass("%d streams open", FAN_STREAMS);

	/* Streams that open and leave while the others receive. */
	for (i = 0; i < 10; i++)
		gone[i] = fan_open(admin, FAN_STREAMS + i);
	tc_db_exec("SELECT core.event_emit('fan.bulk', NULL, 'viewer', "
		   "jsonb_build_object('i', i, 'pad', repeat('x', 560))) FROM "
		   "generate_series(1, $1::int) i",
		   tc_printf("%d", FAN_BULK), NULL);
	for (i = 0; i < 10; i++)
		ssec_close(gone[i]);
	for (i = 0; i < FAN_SINGLE; i++)
		tc_db_exec("SELECT core.event_emit('fan.one', NULL, 'viewer', "
			   "jsonb_build_object('i', $1::int))",
			   tc_printf("%d", i), NULL);
	tc_db_exec("SELECT core.event_emit('fan.end', NULL, 'viewer', '{}')",
		   NULL);
	want = tc_db_value("SELECT string_agg(id::text, ',' ORDER BY id) "
			   "FROM core.events WHERE id > $1::bigint AND type "
			   "LIKE 'fan.%'",
			   start, NULL);
	for (i = 0; i < FAN_STREAMS; i++) {
		ended += fan_read(s[i], "fan.end", ids[i], sizeof(ids[i]));
		same += want != NULL && strcmp(ids[i], want) == 0;
	}
	cmp_ok(ended, "==", FAN_STREAMS, "every stream got to the end");
	cmp_ok(same, "==", FAN_STREAMS,
	       "every stream got all %d events once, in commit order",
	       FAN_BULK + FAN_SINGLE + 1);
	is(ids[FAN_STREAMS - 1], want, "the last stream's ids");

	/* Clients that leave: the process closes their streams, and new
	 * streams open and are live. */
	for (i = 0; i < 10; i++)
		gone[i] = fan_open(admin, FAN_STREAMS + 20 + i);
	tc_db_exec("SELECT core.event_emit('fan.end', NULL, 'viewer', '{}')",
		   NULL);
	for (i = 0, same = 0; i < 10; i++) {
		same += gone[i] != NULL &&
			fan_read(gone[i], "fan.end", ids[i], sizeof(ids[i]));
	}
	cmp_ok(same, "==", 10, "10 more streams are live");
	gone0 = fan_gone();
	for (i = 0; i < 10; i++)
		ssec_close(gone[i]);
	deadline = tc_now_ms() + 10000;
	while (fan_gone() < gone0 + 10 && tc_now_ms() < deadline)
		usleep(100000);
	cmp_ok(fan_gone() - gone0, "==", 10,
	       "their clients leave: the process closes the 10 streams");
	opened = 0;
	for (i = 0; i < 10; i++) {
		gone[i] = fan_open(admin, FAN_STREAMS + 10 + i);
		opened += gone[i] != NULL && ssec_status(gone[i]) == 200;
	}
	cmp_ok(opened, "==", 10, "new streams open in their place");
	tc_db_exec("SELECT core.event_emit('fan.end', NULL, 'viewer', '{}')",
		   NULL);
	for (i = 0, same = 0; i < 10; i++) {
		same += gone[i] != NULL &&
			fan_read(gone[i], "fan.end", ids[i], sizeof(ids[i]));
		ssec_close(gone[i]);
	}
	cmp_ok(same, "==", 10, "and get live events");
	for (i = 0; i < FAN_STREAMS; i++)
		ssec_close(s[i]);

	tc_done();
	return done_testing();
}
