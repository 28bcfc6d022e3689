#!/usr/bin/env bash
# make bench: starts a stack of its own in a temp dir, seeds 10,000 users
# and 10,000 targets, runs wrk through nginx against the main read paths
# and the login, and prints req/s, latency percentiles and the pool
# processes' memory; then connection tests against OpenSSH servers
# (bench/conntest.sh), discovery against nmap (bench/scan.sh) and a job
# fanned out over 50 OpenSSH targets (bench/fanout.sh).
#
# Usage: BUILD=<dir> bench/run.sh
# Knobs: OC_BENCH_DURATION (10s), OC_BENCH_CONNECTIONS (64),
#        OC_BENCH_THREADS (2), OC_BENCH_LOGIN_CONNECTIONS (4),
#        OC_BENCH_POOL_WORKERS (the stack's default),
#        OC_BENCH_WORKER_THREADS (the worker's executor threads; the
#        stack's default), OC_BENCH_READ_CACHE_KIB (the pools' read
#        cache; 0 measures every read without it), OC_BENCH_READS_ONLY
#        (1: stop after the reads and memory), and those of
#        bench/conntest.sh and scan.sh.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$BENCH_DIR/../scripts/lib.sh"

BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in
/*) ;;
*) BUILD_DIR=$OC_ROOT/$BUILD_DIR ;;
esac
DURATION=${OC_BENCH_DURATION:-10s}
CONNS=${OC_BENCH_CONNECTIONS:-64}
THREADS=${OC_BENCH_THREADS:-2}
LOGIN_CONNS=${OC_BENCH_LOGIN_CONNECTIONS:-4}
USERS=10000

command -v wrk >/dev/null || oc_die "wrk is not installed (make deps DEPS_FOR=bench)"
[ -x /usr/bin/time ] || oc_die "/usr/bin/time is not installed (make deps DEPS_FOR=bench)"
. "$BENCH_DIR/stack.sh"
bench_stack api

db="host=$tmp/var/run port=5432 dbname=opsconductor user=opsconductor"
export PGPASSFILE=$tmp/var/keys/pgpass
echo "bench: seeding $USERS users"
# One real argon2 hash (the admin's) for every user keeps seeding fast.
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v n="$USERS" <<-'SQL'
	INSERT INTO identity.users (username, display_name, email, role, password_hash)
	SELECT 'bench' || lpad(g::text, 5, '0'), 'Bench User ' || g,
	       'bench' || g || '@example.test',
	       (ARRAY['viewer', 'operator', 'admin'])[1 + g % 3],
	       (SELECT password_hash FROM identity.users WHERE username = 'admin')
	  FROM generate_series(1, :n) AS g
	ON CONFLICT (username) DO NOTHING;
	ANALYZE identity.users;
SQL
user_id=$(psql -X -At -d "$db" -c "SELECT id FROM identity.users WHERE username = 'bench05000'")
TARGETS=10000
echo "bench: seeding $TARGETS targets"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v n="$TARGETS" <<-'SQL'
	INSERT INTO assets.targets (name, host, os, protocol, port, tags,
	                            description)
	SELECT 'bench-t' || lpad(g::text, 5, '0'),
	       '10.' || (g / 65536) || '.' || (g / 256 % 256) || '.' || (g % 256),
	       (ARRAY['linux', 'windows'])[1 + g % 2],
	       (ARRAY['ssh', 'winrm'])[1 + g % 2],
	       (ARRAY[22, 5985])[1 + g % 2],
	       ARRAY['bench', 'rack' || (g % 40)], 'seeded by bench/run.sh'
	  FROM generate_series(1, :n) AS g
	ON CONFLICT (name) DO NOTHING;
	ANALYZE assets.targets;
SQL
target_id=$(psql -X -At -d "$db" -c "SELECT id FROM assets.targets WHERE name = 'bench-t05000'")

login_body() {
	OC_U=$1 perl -MJSON::PP -e 'print encode_json({username => $ENV{OC_U},
		password => $ENV{OPSCONDUCTOR_ADMIN_PASSWORD}})'
}
token=$(bench_token)

export OC_BENCH_DIR=$BENCH_DIR OC_BENCH_TOKEN=$token
OC_BENCH_LOGIN_BODY=$(login_body bench00001)
export OC_BENCH_LOGIN_BODY

# CPU ticks (user + system) used so far by a process and its children:
# nginx, a pool, or PostgreSQL (by their pid files).
cpu_ticks() {
	local master=$1 t=0 p a b
	for p in "$master" $(pgrep -P "$master" || true); do
		if read -r a b < <(awk '{ print $14, $15 }' "/proc/$p/stat" 2>/dev/null); then
			t=$((t + a + b))
		fi
	done
	echo "$t"
}
cpu_parts() {
	local f
	printf '%s ' "$(cpu_ticks "$(head -n1 "$tmp/var/pg/postmaster.pid")")"
	printf '%s ' "$(cpu_ticks "$(cat "$tmp/var/run/nginx.pid")")"
	for f in "$tmp"/var/run/{identity,assets}.pid; do
		printf '%s ' "$(cpu_ticks "$(cat "$f")")"
	done
	echo
}

results=()
cpu=()
bench() {
	local name=$1 script=$2 conns=$3 path=$4 out line before after n
	echo "bench: $name ($conns connections, $DURATION)"
	before=$(cpu_parts)
	out=$(/usr/bin/time -f 'WRKCPU %U %S' wrk -t"$THREADS" -c"$conns" \
		-d"$DURATION" --latency -s "$BENCH_DIR/$script" "$url$path" 2>&1) || {
		printf '%s\n' "$out" >&2
		oc_die "wrk failed for $name"
	}
	after=$(cpu_parts)
	line=$(printf '%s\n' "$out" | grep '^OCBENCH ' | tail -n1)
	results+=("$name|$conns|${line#OCBENCH }")
	n=$(printf '%s\n' "$out" | awk '/requests in/ { print $1 }')
	cpu+=("$name|$(awk -v b="$before" -v a="$after" -v n="$n" \
		-v w="$(printf '%s\n' "$out" | awk '/^WRKCPU/ { print $2 + $3 }')" \
		-v hz="$(getconf CLK_TCK)" 'BEGIN {
			split(b, x, " "); split(a, y, " ")
			for (i = 1; i <= 4; i++) d[i] = (y[i] - x[i]) * 1e6 / hz / n
			wu = w * 1e6 / n
			t = d[1] + d[2] + d[3] + d[4] + wu
			printf "%.0f|%.0f|%.0f|%.0f|%.0f|%.0f", d[1], d[2],
				d[3] + d[4], wu, t, 2e6 / t }')")
}

bench "GET /api/v1/health" plain.lua "$CONNS" /api/v1/health
bench "GET /api/v1/users?limit=50" auth.lua "$CONNS" "/api/v1/users?limit=50"
bench "GET /api/v1/users/{id}" auth.lua "$CONNS" "/api/v1/users/$user_id"
bench "GET /api/v1/targets?limit=50" auth.lua "$CONNS" "/api/v1/targets?limit=50"
bench "GET /api/v1/targets/{id}" auth.lua "$CONNS" "/api/v1/targets/$target_id"
bench "POST /api/v1/auth/login" login.lua "$LOGIN_CONNS" /api/v1/auth/login

echo
printf '%-30s %5s %10s %9s %9s %9s\n' endpoint conns 'req/s' 'p50 ms' 'p99 ms' 'non-2xx'
for r in "${results[@]}"; do
	IFS='|' read -r name conns rest <<<"$r"
	read -r rps p50 p99 bad sockerr <<<"$rest"
	printf '%-30s %5s %10s %9s %9s %9s' "$name" "$conns" "$rps" "$p50" "$p99" "$bad"
	[ "${sockerr:-0}" = 0 ] || printf '  (%s socket errors)' "$sockerr"
	printf '\n'
done

echo
echo "CPU time per request (µs; PostgreSQL, nginx, the identity and assets"
echo "pools, wrk) and the rate 2 cores would allow at that cost:"
printf '%-30s %6s %6s %6s %6s %7s %9s\n' endpoint pg nginx pools wrk total 'max req/s'
for r in "${cpu[@]}"; do
	IFS='|' read -r name pg ngx pools wrk total max <<<"$r"
	printf '%-30s %6s %6s %6s %6s %7s %9s\n' "$name" "$pg" "$ngx" "$pools" "$wrk" "$total" "$max"
done

echo
echo "resident memory of the pool processes:"
printf '%-15s %-7s %8s %10s\n' pool role pid 'RSS MiB'
for pidf in "$tmp"/var/run/*.pid; do
	pool=${pidf##*/}
	pool=${pool%.pid}
	[ "$pool" != nginx ] || continue
	master=$(cat "$pidf")
	for pid in "$master" $(pgrep -P "$master" || true); do
		rss=$(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ')
		[ -n "$rss" ] || continue
		role=child
		[ "$pid" = "$master" ] && role=master
		printf '%-15s %-7s %8s %10.1f\n' "$pool" "$role" "$pid" \
			"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
	done
done

[ "${OC_BENCH_READS_ONLY:-0}" != 1 ] || exit 0

# Connection tests: the worker against parallel OpenSSH clients.
echo
OC_BENCH_URL=$url OC_BENCH_DB=$db OC_BENCH_TMP=$tmp "$BENCH_DIR/conntest.sh"

# Discovery: our scanner against nmap's connect scan on loopback.
echo
BUILD=$BUILD_DIR "$BENCH_DIR/scan.sh"

# Fan-out: ssh.command on 50 OpenSSH targets against 50 parallel ssh.
echo
BUILD=$BUILD_DIR "$BENCH_DIR/fanout.sh"

# Schedules: 10,000 due at once with one and three workers; idle CPU.
echo
BUILD=$BUILD_DIR "$BENCH_DIR/schedules.sh"

# The run queue: 20,000 local.noop runs with one worker; commit-to-first-
# step latency on an idle worker.
echo
BUILD=$BUILD_DIR "$BENCH_DIR/queue.sh"

# Live events: 200 streams while a run logs 1,000 lines.
echo
BUILD=$BUILD_DIR "$BENCH_DIR/events.sh"

# The web UI: initial JavaScript size and time to interactive.
echo
BUILD=$BUILD_DIR "$BENCH_DIR/web.sh"
