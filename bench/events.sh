#!/usr/bin/env bash
# Events benchmark: a stack of its own, N server-sent event streams through
# nginx subscribed to one run while that run gets L log lines appended in
# SQL at a steady rate; prints the delay from each line's commit to each
# client receiving it (p50/p90/p99/max over streams x lines).
#
# Usage: BUILD=<dir> bench/events.sh   (after make)
# Knobs: OC_BENCH_EVENTS_STREAMS (200), OC_BENCH_EVENTS_LINES (1000),
#        OC_BENCH_EVENTS_RATE (200 lines per second), OC_BENCH_NO_PERF (set:
#        no perf stat of the server side).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$BENCH_DIR/../scripts/lib.sh"

BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in
/*) ;;
*) BUILD_DIR=$OC_ROOT/$BUILD_DIR ;;
esac
STREAMS=${OC_BENCH_EVENTS_STREAMS:-200}
LINES=${OC_BENCH_EVENTS_LINES:-1000}
RATE=${OC_BENCH_EVENTS_RATE:-200}
[ -x "$BUILD_DIR/bin/oc-events" ] || oc_die "$BUILD_DIR/bin/oc-events not built (run make first)"

# The driver is built here: the Makefile does not build bench/*.c.
driver=$BUILD_DIR/bench/events
mkdir -p "$BUILD_DIR/bench"
if [ ! -x "$driver" ] || [ "$BENCH_DIR/events.c" -nt "$driver" ] ||
	[ "$OC_ROOT/tests/lib/ssec.c" -nt "$driver" ]; then
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
		-I"$OC_ROOT" -I/usr/include/postgresql -o "$driver" \
		"$BENCH_DIR/events.c" "$OC_ROOT/tests/lib/ssec.c" \
		-lpq -lssl -lcrypto -lpthread
fi

. "$BENCH_DIR/stack.sh"
bench_stack events
db="host=$tmp/var/run port=5432 dbname=opsconductor user=opsconductor password=$(cat "$tmp/var/keys/db/opsconductor.password")"

token=$(bench_token)

run=$(psql -X -At -v ON_ERROR_STOP=1 -d "$db" <<-'SQL' | tail -n1
	WITH j AS (INSERT INTO automation.jobs (name) VALUES ('events bench')
		RETURNING id),
	v AS (INSERT INTO automation.job_versions (job_id, version, definition)
		SELECT id, 1, '{"steps": []}' FROM j RETURNING job_id)
	SELECT job_id FROM v;
SQL
)
run=$(psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c \
	"SELECT automation.run_create(NULL, '$run', '{}', NULL, NULL, NULL, NULL, 'api', NULL, 'bench', NULL, NULL, NULL)")

# CPU time and context switches of the server side while the driver runs
# (perf stat on oc-events, the nginx workers and PostgreSQL; threads
# started later are counted too), to compare builds on a loaded machine.
perf_on() {
	local name=$1
	shift
	[ "$#" -gt 0 ] || return 0
	perf stat -x, -e task-clock,context-switches -o "$tmp/perf-$name" \
		-p "$(IFS=,; echo "$*")" >/dev/null 2>&1 &
	perf_pids+=($!)
}
perf_pids=()
if command -v perf >/dev/null 2>&1 && [ -z "${OC_BENCH_NO_PERF:-}" ]; then
	perf_on events "$(cat "$tmp/var/run/events.pid")"
	perf_on nginx $(pgrep -P "$(cat "$tmp/var/run/nginx.pid")")
	pg=$(head -n1 "$tmp/var/pg/postmaster.pid")
	perf_on postgres "$pg" $(pgrep -P "$pg")
fi
echo "bench: $STREAMS streams, $LINES log lines at $RATE/s"
rc=0
out=$("$driver" "$url" "$token" "$db" "$run" "$STREAMS" "$LINES" "$RATE") || rc=$?
printf '%s\n' "$out"
if [ "${#perf_pids[@]}" -gt 0 ]; then
	kill -INT "${perf_pids[@]}" 2>/dev/null || true
	wait "${perf_pids[@]}" 2>/dev/null || true
	delivered=$(printf '%s\n' "$out" | sed -n 's/.*received=\([0-9]*\).*/\1/p')
	for f in events nginx postgres; do
		[ -s "$tmp/perf-$f" ] || continue
		perl -ne '
			BEGIN { ($n, $d) = @ARGV[0, 1]; @ARGV = ($ARGV[2]) }
			my @f = split /,/;
			$ms = $f[0] if $f[2] eq "task-clock";
			$cs = $f[0] if $f[2] eq "context-switches";
			END { printf "OCEVENTS_CPU %s cpu_ms=%.0f cs=%d " .
				"cpu_us_per_delivery=%.1f cs_per_delivery=%.3f\n",
				$n, $ms, $cs, $ms * 1000 / ($d || 1),
				$cs / ($d || 1) }' "$f" "${delivered:-0}" "$tmp/perf-$f"
	done
fi
rss=$(ps -o rss= -p "$(cat "$tmp/var/run/events.pid")" 2>/dev/null || echo '?')
echo "bench: oc-events RSS ${rss} KiB with the streams closed"
exit "$rc"
