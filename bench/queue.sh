#!/usr/bin/env bash
# Run queue benchmark: starts a stack of its own, enqueues N runs of a
# one-step local.noop job in one INSERT ... SELECT and times until the
# worker has finished them all; then measures, on an idle worker, the
# latency from a run's commit to its first step starting (run_steps
# .started_at - runs.created_at, so the figure includes the commit) for a
# local.noop job (batched fast path) and a local.sleep 0 job (the threads).
#
# Usage: BUILD=<dir> bench/queue.sh   (after make)
# Knobs: OC_BENCH_RUNS (20000), OC_BENCH_LATENCY_RUNS (200),
#        OC_BENCH_LATENCY_SEQ=1 (print each latency run's figure, in order),
#        OC_BENCH_WORKER_THREADS (the stack's default),
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
echo "bench: enqueueing $RUNS runs of a one-step local.noop job"
read -r db0 w0 < <(cpu_ticks)
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
hz=$(getconf CLK_TCK)
read -r ok wall events < <(q -F ' ' -c "SELECT count(*) FILTER (WHERE state = 'succeeded'), extract(epoch FROM max(finished_at) - min(created_at)), (SELECT count(*) FROM core.events e WHERE e.run_id IN (SELECT id FROM automation.runs WHERE job_id = '$noop')) FROM automation.runs WHERE job_id = '$noop'")
[ "$ok" = "$RUNS" ] || oc_die "only $ok of $RUNS runs succeeded"

latency() { # job -> "p50 p99 max" in ms
	local i
	for ((i = 0; i < LAT; i++)); do
		printf "SELECT automation.run_create(NULL, '%s', '{}', NULL, NULL, NULL, NULL, 'api', NULL, NULL, NULL, NULL, NULL);\nSELECT pg_sleep(0.02);\n" "$1"
	done | q >/dev/null
	sleep 2
	if [ "${OC_BENCH_LATENCY_SEQ:-0}" = 1 ]; then
		q -c "SELECT string_agg(round(ms::numeric, 1)::text, ' ' ORDER BY created_at) FROM (SELECT r.created_at, extract(epoch FROM min(s.started_at) - r.created_at) * 1000 AS ms FROM automation.runs r JOIN automation.run_steps s ON s.run_id = r.id WHERE r.job_id = '$1' GROUP BY r.id, r.created_at) x" >&2
	fi
	q -F ' ' -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2), round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2), round(max(ms)::numeric, 2), count(*) FROM (SELECT extract(epoch FROM min(s.started_at) - r.created_at) * 1000 AS ms FROM automation.runs r JOIN automation.run_steps s ON s.run_id = r.id WHERE r.job_id = '$1' GROUP BY r.id, r.created_at) x"
}
echo "bench: latency, $LAT runs one at a time on an idle worker"
read -r f50 f99 fmax fn < <(latency "$lat")
read -r s50 s99 smax sn < <(latency "$sleep0")

echo
printf 'queue: %d local.noop runs in %.2f s (first enqueued to last finished) = %.0f runs/s; %d events\n' \
	"$RUNS" "$wall" "$(echo "$RUNS / $wall" | bc -l)" "$events"
printf 'latency commit -> first step, local.noop (fast path, %d runs): p50 %s ms, p99 %s ms, max %s ms\n' "$fn" "$f50" "$f99" "$fmax"
printf 'latency commit -> first step, local.sleep 0 (threads, %d runs): p50 %s ms, p99 %s ms, max %s ms\n' "$sn" "$s50" "$s99" "$smax"
printf 'queue CPU: database %.2f s, worker %.2f s (%.0f us per run)\n' \
	"$(echo "($db1 - $db0) / $hz" | bc -l)" "$(echo "($w1 - $w0) / $hz" | bc -l)" \
	"$(echo "($db1 - $db0 + $w1 - $w0) * 1000000 / $hz / $RUNS" | bc -l)"
printf 'worker threads: %s; synchronous_commit off: %s; load average: %s\n' "${OPSCONDUCTOR_WORKER_THREADS:-default (32)}" "${OC_BENCH_ASYNC_COMMIT:-0}" "$(cut -d' ' -f1-3 /proc/loadavg)"
