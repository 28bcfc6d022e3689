#!/usr/bin/env bash
# Run queue benchmark: starts a stack of its own, enqueues N runs of a
# one-step local.noop job in one INSERT ... SELECT and times from that
# INSERT's commit until the worker has finished them all; then measures,
# on an idle worker, the latency from a run's commit to its first step
# starting (run_steps.started_at - the moment the creating client had the
# commit's answer, and - the transaction's commit timestamp) for a
# local.noop job (batched fast path) and a local.sleep 0 job (the
# threads).
#
# Usage: BUILD=<dir> bench/queue.sh   (after make)
# Knobs: OC_BENCH_RUNS (20000), OC_BENCH_LATENCY_RUNS (200),
#        OC_BENCH_LATENCY_WARM (20, runs before those, not counted),
#        OC_BENCH_LATENCY_SEQ=1 (print each latency run's figure, in order),
#        OC_BENCH_WORKER_THREADS (the stack's default),
#        OC_BENCH_QUEUE_STREAMS (0: event streams open during the queue),
#        OC_BENCH_ASYNC_COMMIT=1 (the worker's role commits with
#        synchronous_commit off: what the fsync per commit costs; not a
#        shipped setting).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$BENCH_DIR/../scripts/lib.sh"

BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in
/*) ;;
*) BUILD_DIR=$OC_ROOT/$BUILD_DIR ;;
esac
RUNS=${OC_BENCH_RUNS:-20000}
LAT=${OC_BENCH_LATENCY_RUNS:-200}

. "$BENCH_DIR/stack.sh"
bench_stack queue
db="host=$tmp/var/run port=5432 dbname=opsconductor user=opsconductor"
export PGPASSFILE=$tmp/var/keys/pgpass
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# Commit timestamps (pg_xact_commit_timestamp): the queue is timed from
# the enqueuing transaction's commit as the server recorded it (the record
# is written just before the WAL flush, so the flush is inside the
# figure), and the latencies are shown from it too. A setting of this
# benchmark's cluster only, taken by a restart of the stack.
q -c "ALTER SYSTEM SET track_commit_timestamp = on" >/dev/null
stack stop >/dev/null 2>&1
stack start >"$tmp/start.log" 2>&1 || { cat "$tmp/start.log" >&2; oc_die "the stack did not restart"; }
[ "$(q -c 'SHOW track_commit_timestamp')" = on ] || oc_die "track_commit_timestamp is not on"

job() { # name definition -> id
	q -v name="$1" -v def="$2" <<-'SQL'
		WITH j AS (INSERT INTO automation.jobs (name) VALUES (:'name')
			RETURNING id)
		INSERT INTO automation.job_versions (job_id, version, definition)
			SELECT id, 1, :'def'::jsonb FROM j RETURNING job_id;
	SQL
}
if [ "${OC_BENCH_ASYNC_COMMIT:-0}" = 1 ]; then
	# New sessions take the setting: end the worker's, it reconnects.
	q -c "ALTER ROLE oc_worker SET synchronous_commit = off" \
		-c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'oc_worker'" >/dev/null
	sleep 2
fi
noop=$(job bench-noop '{"steps": [{"id": "s", "type": "local.noop"}]}')
lat=$(job bench-lat '{"steps": [{"id": "s", "type": "local.noop"}]}')
sleep0=$(job bench-sleep0 '{"steps": [{"id": "s", "type": "local.sleep", "inputs": {"seconds": 0}}]}')

# CPU time (ticks) of the database (the postmaster, its children and the
# children it reaped) and of the worker: what the queue costs, less
# dependent on the machine's load than the wall clock.
cpu_ticks() {
	local pm w
	pm=$(head -n1 "$tmp/var/pg/postmaster.pid")
	w=$(head -n1 "$tmp/var/run/worker.pid")
	perl -e '
		sub t { my ($p, $kids) = @_; open(my $f, "<", "/proc/$p/stat") or return 0;
			my @f = split / /, (split /\) /, <$f>)[1];
			return $f[11] + $f[12] + ($kids ? $f[13] + $f[14] : 0); }
		my ($pm, $w) = @ARGV; my $db = t($pm, 1);
		open(my $c, "-|", "pgrep", "-P", $pm) or die;
		$db += t($_ + 0, 0) while <$c>;
		print $db, " ", t($w, 0), "\n";' "$pm" "$w"
}
# Event streams open during the queue (none by default): with one, the
# events process reads and sends every event of the queue's runs.
STREAMS=${OC_BENCH_QUEUE_STREAMS:-0}
streams=()
if [ "$STREAMS" -gt 0 ]; then
	token=$(bench_token)
	for ((i = 0; i < STREAMS; i++)); do
		curl -skN -H "Authorization: Bearer $token" "$url/api/v1/events" >/dev/null 2>&1 &
		streams+=("$!")
	done
	sleep 1
fi
echo "bench: enqueueing $RUNS runs of a one-step local.noop job ($STREAMS event streams open)"
read -r db0 w0 < <(cpu_ticks)
# One INSERT, committed on its own; the queue is timed from its commit
# ("enqueued in bulk, then the time until all are finished"), the
# enqueue's own time is reported beside it.
q -v job="$noop" -v n="$RUNS" <<-'SQL'
	INSERT INTO automation.runs (job_id, job_version, job_name)
	SELECT :'job', 1, 'bench-noop' FROM generate_series(1, :n);
SQL
# One session polls (a new connection every 50 ms would cost the CPU that
# is measured); it commits between looks, holding no snapshot that
# would keep the claimed runs' index entries alive. Each look reads the
# partial indexes of queued and running runs (a condition on
# state IN (...) would read every run of the job, a cost of the
# benchmark's own counted as the queue's; so would a sequential scan,
# which the planner picks while the statistics say all are queued).
q -v job="$noop" <<-'SQL'
	SET bench.job = :'job';
	SET enable_seqscan = off;
	DO $$
	BEGIN
		WHILE EXISTS (SELECT 1 FROM automation.runs
			WHERE job_id = current_setting('bench.job')::uuid
			  AND state = 'queued' AND fast)
		   OR EXISTS (SELECT 1 FROM automation.runs
			WHERE job_id = current_setting('bench.job')::uuid
			  AND state = 'queued' AND NOT fast)
		   OR EXISTS (SELECT 1 FROM automation.runs
			WHERE job_id = current_setting('bench.job')::uuid
			  AND state = 'running') LOOP
			COMMIT;
			PERFORM pg_sleep(0.05);
		END LOOP;
	END
	$$;
SQL
read -r db1 w1 < <(cpu_ticks)
for i in ${streams[@]+"${streams[@]}"}; do
	kill "$i" 2>/dev/null || true
done
hz=$(getconf CLK_TCK)
# The enqueue's commit: the runs' rows now carry the transactions that
# completed them, their "queued" event rows still carry the INSERT's.
read -r ok wall enq done events < <(q -F ' ' -c "WITH c AS (SELECT pg_xact_commit_timestamp(e.xmin) AS at FROM core.events e WHERE e.run_id IN (SELECT id FROM automation.runs WHERE job_id = '$noop') AND e.type = 'run' AND e.data->>'state' = 'queued' LIMIT 1) SELECT count(*) FILTER (WHERE state = 'succeeded'), extract(epoch FROM max(finished_at) - min(created_at)), extract(epoch FROM (SELECT at FROM c) - min(created_at)), extract(epoch FROM max(finished_at) - (SELECT at FROM c)), (SELECT count(*) FROM core.events e WHERE e.run_id IN (SELECT id FROM automation.runs WHERE job_id = '$noop')) FROM automation.runs WHERE job_id = '$noop'")
[ -n "$done" ] || oc_die "no commit timestamp for the enqueue"
[ "$ok" = "$RUNS" ] || oc_die "only $ok of $RUNS runs succeeded"

# The runs are created by bench/latency.c, one autocommitted statement
# each, 20 ms apart; it prints when it had each commit's answer. The
# first WARM runs of each job are not counted: they are the first work of
# sessions the worker opened at its start (statements prepared, plans and
# catalog caches filled on first use); their worst is printed apart.
# Prints "p50 p99 max n cts_p50 cts_p99 claim_p50 cold_max" in ms: from
# the client's answer to the first step's start (run_steps.started_at);
# the same from the transaction's commit timestamp (taken before the
# commit's WAL flush, so the flush is inside); from the answer to the
# run's claim (runs.started_at).
WARM=${OC_BENCH_LATENCY_WARM:-20}
driver=$BUILD_DIR/bench/latency
mkdir -p "$BUILD_DIR/bench"
if [ ! -x "$driver" ] || [ "$BENCH_DIR/latency.c" -nt "$driver" ]; then
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
		-I/usr/include/postgresql -o "$driver" "$BENCH_DIR/latency.c" -lpq
fi
latency() { # job -> see above
	local answers
	answers=$("$driver" "$db" "$1" $((WARM + LAT))) || oc_die "the latency driver failed"
	sleep 2
	{
		echo "CREATE TEMP TABLE ans (id uuid, at_us bigint);"
		echo "COPY ans FROM STDIN;"
		printf '%s\n' "$answers"
		echo '\.'
		echo "CREATE TEMP TABLE ms AS SELECT row_number() OVER (ORDER BY a.at_us) AS k, extract(epoch FROM min(s.started_at) - to_timestamp(a.at_us / 1e6)) * 1000 AS ms, extract(epoch FROM min(s.started_at) - c.at) * 1000 AS cts, extract(epoch FROM r.started_at - to_timestamp(a.at_us / 1e6)) * 1000 AS claim FROM ans a JOIN automation.runs r ON r.id = a.id JOIN automation.run_steps s ON s.run_id = r.id CROSS JOIN LATERAL (SELECT pg_xact_commit_timestamp(e.xmin) AS at FROM core.events e WHERE e.run_id = r.id AND e.type = 'run' AND e.data->>'state' = 'queued' LIMIT 1) c GROUP BY a.id, a.at_us, r.started_at, c.at;"
		if [ "${OC_BENCH_LATENCY_SEQ:-0}" = 1 ]; then
			echo "SELECT 'seq', string_agg(round(ms::numeric, 2)::text, ' ' ORDER BY k) FROM ms;"
		fi
		echo "SELECT 'lat', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2), round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2), round(max(ms)::numeric, 2), count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY cts)::numeric, 2), round(percentile_cont(0.99) WITHIN GROUP (ORDER BY cts)::numeric, 2), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY claim)::numeric, 2), (SELECT round(max(ms)::numeric, 2) FROM ms WHERE k <= $WARM) FROM ms WHERE k > $WARM;"
	} | q -F ' ' | while read -r tag rest; do
		case $tag in
		seq) echo "$rest" >&2 ;;
		lat) echo "$rest" ;;
		esac
	done
}
# Idle means idle: the queue's 20,000 runs leave autovacuum, analyze and
# a checkpoint's flush due, which would otherwise run during the
# latency runs below.
q -c "VACUUM ANALYZE automation.runs, automation.run_targets, automation.run_steps, core.events" -c "CHECKPOINT" >/dev/null
sleep 1
echo "bench: latency, $LAT runs one at a time on an idle worker"
read -r f50 f99 fmax fn ft50 ft99 fc50 fcold < <(latency "$lat")
read -r s50 s99 smax sn st50 st99 sc50 scold < <(latency "$sleep0")

echo
printf 'queue: %d local.noop runs, from the enqueue'"'"'s commit to the last finished %.2f s = %.0f runs/s; %d events\n' \
	"$RUNS" "$done" "$(echo "$RUNS / $done" | bc -l)" "$events"
printf 'queue: enqueue (one INSERT ... SELECT, committed) %.2f s; first enqueued to last finished %.2f s = %.0f runs/s\n' \
	"$enq" "$wall" "$(echo "$RUNS / $wall" | bc -l)"
for v in "local.noop (fast path)|$fn|$f50|$f99|$fmax|$ft50|$ft99|$fc50|$fcold" \
	"local.sleep 0 (threads)|$sn|$s50|$s99|$smax|$st50|$st99|$sc50|$scold"; do
	IFS='|' read -r name n p50 p99 max t50 t99 c50 cold <<<"$v"
	printf 'latency commit -> first step, %s, %d runs: p50 %s ms, p99 %s ms, max %s ms (from the commit'"'"'s answer); from the commit timestamp p50 %s, p99 %s ms; answer -> claimed p50 %s ms; the %d warm-up runs before: max %s ms\n' \
		"$name" "$n" "$p50" "$p99" "$max" "$t50" "$t99" "$c50" "$WARM" "$cold"
done
printf 'queue CPU: database %.2f s, worker %.2f s (%.0f us per run)\n' \
	"$(echo "($db1 - $db0) / $hz" | bc -l)" "$(echo "($w1 - $w0) / $hz" | bc -l)" \
	"$(echo "($db1 - $db0 + $w1 - $w0) * 1000000 / $hz / $RUNS" | bc -l)"
printf 'worker threads: %s; event streams open during the queue: %s; synchronous_commit off: %s; load average: %s\n' "${OPSCONDUCTOR_WORKER_THREADS:-default (32)}" "$STREAMS" "${OC_BENCH_ASYNC_COMMIT:-0}" "$(cut -d' ' -f1-3 /proc/loadavg)"
