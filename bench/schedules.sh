#!/usr/bin/env bash
# Schedules benchmark: 10,000 enabled schedules due at the same instant,
# the time from that fire time until every run exists, with one worker and
# with three; then the worker's CPU time per idle minute while 10,000
# schedules are not yet due. Starts a stack of its own in a temp dir.
#
# Usage: BUILD=<dir> bench/schedules.sh   (after make)
# Knobs: OC_BENCH_SCHEDULES (10000), OC_BENCH_SCHED_IDLE_S (60).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$BENCH_DIR/../scripts/lib.sh"

BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in
/*) ;;
*) BUILD_DIR=$OC_ROOT/$BUILD_DIR ;;
esac
N=${OC_BENCH_SCHEDULES:-10000}
IDLE_S=${OC_BENCH_SCHED_IDLE_S:-60}

. "$BENCH_DIR/stack.sh"
extra=()
# The extra workers go before the stack.
bench_cleanup() {
	local p
	for p in ${extra[@]+"${extra[@]}"}; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
bench_stack schedules
db="host=$tmp/var/run port=5432 dbname=opsconductor user=opsconductor"
export PGPASSFILE=$tmp/var/keys/pgpass
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
worker_pid=$(cat "$tmp/var/run/worker.pid")

start_worker() {
	OPSCONDUCTOR_VAR=$tmp/var \
		OPSCONDUCTOR_DATABASE_URL="host=$tmp/var/run port=5432 dbname=opsconductor" \
		"$BUILD_DIR/bin/oc-worker" 2>>"$tmp/extra-workers.log" &
	extra+=("$!")
}

job=$(sql -c "INSERT INTO automation.jobs (name) VALUES ('bench-schedules') RETURNING id" | head -n1)
sql -c "INSERT INTO automation.job_versions (job_id, version, definition)
	VALUES ('$job', 1, '{\"steps\": [{\"id\": \"noop\", \"type\": \"local.noop\"}]}')"
# Yearly: after the measured fire time the next one is months away.
sql -c "INSERT INTO automation.schedules (job_id, cron, time_zone, next_fire_at)
	SELECT '$job', '0 0 1 1 *', 'UTC', now() + interval '1 day'
	FROM generate_series(1, $N); ANALYZE automation.schedules"

# All N due at one instant 3 s ahead, changed the way the API changes
# them (the version moves: a NOTIFY wakes the workers, which then sleep
# until that instant); prints the seconds from that instant until the
# last run exists.
fire_all() {
	local fire left i
	sql -c "DELETE FROM automation.runs WHERE job_id = '$job'"
	fire=$(sql -c "UPDATE automation.schedules SET next_fire_at =
		date_trunc('second', now()) + interval '3 seconds',
		version = version + 1
		WHERE job_id = '$job' RETURNING next_fire_at::text" | head -n1)
	for i in $(seq 1 600); do
		left=$(sql -c "SELECT $N - count(*) FROM automation.runs
			WHERE job_id = '$job' AND fire_time = '$fire'")
		[ "$left" != 0 ] || break
		sleep 0.2
	done
	[ "$left" = 0 ] || oc_die "only $((N - left)) of $N runs after 120 s"
	sql -c "SELECT round(extract(epoch FROM max(created_at) - '$fire'::timestamptz)::numeric, 3)
		FROM automation.runs WHERE job_id = '$job' AND fire_time = '$fire'"
}

# utime + stime of a process, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

echo "bench: $N schedules due at once, one worker"
one=$(fire_all)
start_worker
start_worker
sleep 1
echo "bench: $N schedules due at once, three workers"
three=$(fire_all)
for p in "${extra[@]}"; do
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
done
extra=()

sql -c "UPDATE automation.schedules SET next_fire_at = now() + interval '1 day'
	WHERE job_id = '$job'"
sleep 1
echo "bench: worker CPU over ${IDLE_S} s with $N schedules not yet due"
hz=$(getconf CLK_TCK)
c0=$(cpu_ticks "$worker_pid")
sleep "$IDLE_S"
c1=$(cpu_ticks "$worker_pid")
idle_ms=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v s="$IDLE_S" \
	'BEGIN { printf "%.0f", d * 1000 / hz * 60 / s }')

echo
printf '%-58s %s\n' "schedules due at once" "$N"
printf '%-58s %s s\n' "fire time -> last run created, 1 worker" "$one"
printf '%-58s %s s\n' "fire time -> last run created, 3 workers" "$three"
printf '%-58s %s ms\n' "worker CPU per idle minute ($N schedules not due)" "$idle_ms"
