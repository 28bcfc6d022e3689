#!/usr/bin/env bash
# Fan-out benchmark: a job with one ssh.command `uname -a` step over 50
# OpenSSH targets on loopback (the test fixture tests/fixtures/sshd/sshd.sh,
# several servers), max_parallel 50, run by the worker; against 50
# parallel OpenSSH `ssh` clients running the same command with the same
# key exchange, host key type and ed25519 public-key login, in the same
# benchmark run. Then a 5-step job on the same targets (one SSH session
# per target, reused by every step), against OpenSSH running the same 5
# commands per target over one connection each (ControlMaster). Starts a
# stack of its own.
#
# Prints per run: the run's started_at..last target finished (PostgreSQL),
# created_at..finished_at, and the client-observed time from POST
# /api/v1/jobs/{id}/runs until the run is seen finished; and the CPU time
# the run cost (a figure the load of other work on the machine does not
# change much): the worker, the sshd servers (their sessions and the
# commands they ran) and PostgreSQL; for the ssh clients, the clients
# and the sshd servers.
#
# Usage (root): BUILD=<dir> bench/fanout.sh   (after make)
# Knobs: OC_BENCH_FANOUT_TARGETS (50), OC_BENCH_FANOUT_SERVERS (10),
#        OC_BENCH_FANOUT_RUNS (3), OC_BENCH_FANOUT_THREADS (64, the
#        worker's OPSCONDUCTOR_WORKER_THREADS).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$BENCH_DIR/../scripts/lib.sh"

BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in
/*) ;;
*) BUILD_DIR=$OC_ROOT/$BUILD_DIR ;;
esac
TARGETS=${OC_BENCH_FANOUT_TARGETS:-50}
SERVERS=${OC_BENCH_FANOUT_SERVERS:-10}
RUNS=${OC_BENCH_FANOUT_RUNS:-3}
THREADS=${OC_BENCH_FANOUT_THREADS:-64}
fixture=$OC_ROOT/tests/fixtures/sshd/sshd.sh
CMD="uname -a"

if [ "$(id -u)" != 0 ]; then
	echo "bench: fan-out skipped (the sshd fixture needs root)"
	exit 0
fi
dirs=()
ports=()
free_port() {
	perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
		LocalAddr => "127.0.0.1", LocalPort => 0, Proto => "tcp")
		->sockport, "\n"'
}
# The sshd fixtures go before the stack.
bench_cleanup() {
	local d
	for d in ${dirs[@]+"${dirs[@]}"}; do
		"$fixture" stop "$d" >/dev/null 2>&1 || true
	done
}
. "$BENCH_DIR/stack.sh"
OC_BENCH_WORKER_THREADS=$THREADS
bench_stack fanout
db="host=$tmp/var/run port=5432 dbname=opsconductor user=opsconductor"
export PGPASSFILE=$tmp/var/keys/pgpass
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

token=$(bench_token)
api() {
	local method=$1 path=$2 body=${3:-}
	curl -sk -X "$method" -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/json' ${body:+--data-binary "$body"} \
		"$url$path"
}
json_field() {
	perl -MJSON::PP -e 'local $/; my $j = eval { decode_json(<STDIN>) } || {};
		print $j->{$ARGV[0]} // ""' "$1"
}

# The servers share one set of keys (copied before start: the fixture
# only makes what is missing), so one credential fits them all.
echo "bench: starting $SERVERS OpenSSH servers (tests/fixtures/sshd)"
for ((i = 1; i <= SERVERS; i++)); do
	d=$tmp/sshd$i
	p=$(free_port)
	mkdir -p "$d"
	if [ "$i" -gt 1 ]; then
		cp -p "$tmp"/sshd1/ssh_host_* "$tmp"/sshd1/id_* \
			"$tmp"/sshd1/passphrase "$d"/
	fi
	"$fixture" start "$d" "$p" >"$tmp/sshd$i.start.log" 2>&1 ||
		{ cat "$tmp/sshd$i.start.log" >&2; oc_die "sshd fixture $i did not start"; }
	dirs+=("$d")
	ports+=("$p")
done

echo "bench: registering $TARGETS targets across them"
body=$(OC_K=$(cat "${dirs[0]}/id_ed25519") perl -MJSON::PP -e '
	print encode_json({name => "bench-fanout-key", type => "ssh_key",
		username => "oc-test-key", private_key => $ENV{OC_K}})')
cred=$(api POST /api/v1/credentials "$body" | json_field id)
[ -n "$cred" ] || oc_die "could not create the credential"
ids=()
for ((t = 0; t < TARGETS; t++)); do
	i=$((t % SERVERS))
	body=$(printf '{"name":"bench-fan-%03d","host":"127.0.0.1","os":"linux","protocol":"ssh","port":%d,"credential_id":"%s"}' \
		"$t" "${ports[$i]}" "$cred")
	id=$(api POST /api/v1/targets "$body" | json_field id)
	[ -n "$id" ] || oc_die "could not create target $t"
	ids+=("$id")
done
id_json=$(printf '"%s",' "${ids[@]}")
id_json="[${id_json%,}]"

# The first tests also open the worker threads' database connections;
# on this 2-core machine a storm of 50 connects can time out, so targets
# still without a host key are tested again.
echo "bench: connection tests (host keys recorded; not timed)"
for ((round = 1; round <= 3; round++)); do
	todo=$(sql -c "SELECT coalesce(string_agg('\"' || id || '\"', ','), '') FROM assets.targets WHERE name LIKE 'bench-fan-%' AND ssh_host_key IS NULL")
	[ -n "$todo" ] || break
	api POST /api/v1/targets/test "{\"target_ids\":[$todo]}" >/dev/null
	for ((i = 0; i < 1200; i++)); do
		left=$(sql -c "SELECT count(*) FROM core.tasks WHERE kind = 'target.test' AND state IN ('queued', 'running')")
		[ "$left" = 0 ] && break
		sleep 0.1
	done
done
known=$(sql -c "SELECT count(*) FROM assets.targets WHERE name LIKE 'bench-fan-%' AND ssh_host_key IS NOT NULL")
[ "$known" = "$TARGETS" ] || oc_die "only $known of $TARGETS host keys recorded"

# What libssh2 negotiated with these servers, forced on OpenSSH too.
hostkey_alg() {
	case $(sql -c "SELECT ssh_host_key_type FROM assets.targets WHERE id = '${ids[0]}'") in
	*ed25519*) echo ssh-ed25519 ;;
	*rsa*) echo rsa-sha2-512,rsa-sha2-256 ;;
	*) echo ssh-ed25519 ;;
	esac
}
KEX=curve25519-sha256,curve25519-sha256@libssh.org

# A job of n steps, each `uname -a`, chained on success.
make_job() {
	local n=$1 steps="" k
	for ((k = 1; k <= n; k++)); do
		[ -n "$steps" ] && steps+=","
		steps+="{\"id\":\"s$k\",\"type\":\"ssh.command\",\"inputs\":{\"command\":\"$CMD\"}"
		[ "$k" -lt "$n" ] && steps+=",\"on_success\":[\"s$((k + 1))\"]"
		steps+="}"
	done
	api POST /api/v1/jobs "{\"name\":\"bench-fanout-$n-steps\",\"max_parallel\":$TARGETS,\"targets\":{\"targets\":$id_json},\"steps\":[$steps]}" |
		json_field id
}

# One run: prints "run_ms created_ms client_ms succeeded_targets steps".
api_run() {
	local job=$1 run t0 t1
	t0=$(date +%s%N)
	run=$(api POST "/api/v1/jobs/$job/runs" '{}' | json_field id)
	[ -n "$run" ] || oc_die "could not start a run"
	# Polled every 50 ms: a tighter poll's own CPU would slow the run it
	# times on 2 saturated cores (the run's figures are its rows'
	# timestamps; only the client's figure depends on the poll).
	sql -c "DO \$\$ BEGIN LOOP EXIT WHEN (SELECT state FROM automation.runs WHERE id = '$run') NOT IN ('queued', 'running'); PERFORM pg_sleep(0.05); END LOOP; END \$\$"
	t1=$(date +%s%N)
	sql -F ' ' -c "SELECT round(extract(epoch FROM (SELECT max(finished_at) FROM automation.run_targets WHERE run_id = r.id) - r.started_at) * 1000), round(extract(epoch FROM r.finished_at - r.created_at) * 1000), $(((t1 - t0) / 1000000)), r.targets_succeeded, (SELECT count(*) FROM automation.run_steps WHERE run_id = r.id AND state = 'succeeded') FROM automation.runs r WHERE r.id = '$run'"
}

# OpenSSH's options for target t (server t % SERVERS), in ssh_o; the
# host key algorithm from ssh_alg (set once, before the clock starts).
ssh_opts() {
	local i=$(($1 % SERVERS))
	ssh_o=(-q -p "${ports[$i]}" -i "${dirs[$i]}/id_ed25519"
		-o BatchMode=yes -o IdentitiesOnly=yes
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
		-o HostKeyAlgorithms="$ssh_alg" -o KexAlgorithms="$KEX"
		-o ConnectTimeout=15)
}

# Waits for the clients started since t0 (pids) and prints "ms succeeded
# client_cpu_ms" (the clients were the calling subshell's children).
ssh_done() {
	local t0=$1 self=$2 t t1 ok=0
	shift 2
	for t in "$@"; do
		wait "$t" && ok=$((ok + 1))
	done
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $ok $(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$self/stat")"
}

# TARGETS parallel OpenSSH clients: prints "ms succeeded client_cpu_ms".
ssh_run() {
	local t0 t pids=() ssh_o ssh_alg
	ssh_alg=$(hostkey_alg)
	t0=$(date +%s%N)
	for ((t = 0; t < TARGETS; t++)); do
		ssh_opts "$t"
		ssh "${ssh_o[@]}" oc-test-key@127.0.0.1 "$CMD" >/dev/null 2>&1 &
		pids+=("$!")
	done
	ssh_done "$t0" "$BASHPID" "${pids[@]}"
}

# The same with n commands per target over one OpenSSH connection
# (ControlMaster: the first command opens it, the others are multiplexed
# sessions on it), targets in parallel, each target's commands in turn:
# what reusing one SSH connection for n steps costs OpenSSH.
ssh_run_n() {
	local n=$1 t0 t pids=() ssh_o ssh_alg mux
	ssh_alg=$(hostkey_alg)
	mux=$(mktemp -d /tmp/oc-fan-mux.XXXXXX)
	t0=$(date +%s%N)
	for ((t = 0; t < TARGETS; t++)); do
		ssh_opts "$t"
		ssh_o+=(-o ControlPath="$mux/$t")
		(
			ssh "${ssh_o[@]}" -o ControlMaster=yes -o ControlPersist=yes \
				oc-test-key@127.0.0.1 "$CMD" >/dev/null 2>&1 || exit 1
			for ((k = 2; k <= n; k++)); do
				ssh "${ssh_o[@]}" -o ControlMaster=no \
					oc-test-key@127.0.0.1 "$CMD" >/dev/null 2>&1 || exit 1
			done
			ssh "${ssh_o[@]}" -O exit oc-test-key@127.0.0.1 >/dev/null 2>&1 || true
		) &
		pids+=("$!")
	done
	ssh_done "$t0" "$BASHPID" "${pids[@]}"
	rm -rf "$mux"
}

# CPU time in ms used by the processes given and their reaped children.
cpu_ms() {
	local p
	for p in "$@"; do
		cat "/proc/$p/stat" 2>/dev/null || true
	done | awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, "");
		t += $12 + $13 + $14 + $15 } END { printf "%d", t * 1000 / hz }'
}
# The processes cpu_ms counts for each part.
sshd_pids() {
	local d
	for d in "${dirs[@]}"; do cat "$d/sshd.pid"; done
}
pg_pids() {
	local pm
	pm=$(head -1 "$tmp/var/pg/postmaster.pid")
	echo "$pm"
	pgrep -P "$pm" || true
}
# "worker sshd postgres" CPU ms so far (connections closed are counted
# once their sshd processes were reaped: a short pause first).
cpu_now() {
	sleep 0.3
	echo "$(cpu_ms "$(cat "$tmp/var/run/worker.pid")") $(cpu_ms $(sshd_pids)) $(cpu_ms $(pg_pids))"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { printf "min %d ms, median %d ms, max %d ms", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

job1=$(make_job 1)
job5=$(make_job 5)
[ -n "$job1" ] && [ -n "$job5" ] || oc_die "could not create the jobs"
run1=()
cre1=()
cli1=()
run5=()
cli5=()
sshm=()
ssh5=()
cpus5=()
cpu1=()
cpus=()
cpu5=()
# CPU ms of the part between two cpu_now samples: "worker sshd postgres".
cpu_delta() {
	local a=($1) b=($2)
	echo "$((b[0] - a[0])) $((b[1] - a[1])) $((b[2] - a[2]))"
}
echo "bench: warm-up run (not timed)"
api_run "$job1" >/dev/null
api_run "$job5" >/dev/null
for ((r = 1; r <= RUNS; r++)); do
	c0=$(cpu_now)
	read -r rms cms kms okt steps < <(api_run "$job1")
	c1=$(cpu_now)
	read -r wc sc pc <<<"$(cpu_delta "$c0" "$c1")"
	echo "bench:   1-step run $r: start..last result $rms ms, created..finished $cms ms, client $kms ms, $okt/$TARGETS targets, $steps steps; CPU ms: worker $wc, sshd $sc, postgres $pc"
	[ "$okt" = "$TARGETS" ] || oc_die "only $okt of $TARGETS targets succeeded"
	run1+=("$rms")
	cre1+=("$cms")
	cli1+=("$kms")
	cpu1+=("$wc $sc $pc")
	c0=$(cpu_now)
	read -r ms okc ccpu < <(ssh_run)
	c1=$(cpu_now)
	read -r wc sc pc <<<"$(cpu_delta "$c0" "$c1")"
	echo "bench:   ssh    run $r: $ms ms, $okc/$TARGETS succeeded; CPU ms: ssh clients $ccpu, sshd $sc"
	sshm+=("$ms")
	cpus+=("$ccpu $sc")
	c0=$(cpu_now)
	read -r rms cms kms okt steps < <(api_run "$job5")
	c1=$(cpu_now)
	read -r wc sc pc <<<"$(cpu_delta "$c0" "$c1")"
	echo "bench:   5-step run $r: start..last result $rms ms, created..finished $cms ms, client $kms ms, $okt/$TARGETS targets, $steps steps; CPU ms: worker $wc, sshd $sc, postgres $pc"
	[ "$steps" = "$((TARGETS * 5))" ] || oc_die "only $steps of $((TARGETS * 5)) steps succeeded"
	run5+=("$rms")
	cli5+=("$kms")
	cpu5+=("$wc $sc $pc")
	c0=$(cpu_now)
	read -r ms okc ccpu < <(ssh_run_n 5)
	c1=$(cpu_now)
	read -r wc sc pc <<<"$(cpu_delta "$c0" "$c1")"
	echo "bench:   ssh x5 run $r: $ms ms, $okc/$TARGETS succeeded; CPU ms: ssh clients $ccpu, sshd $sc"
	ssh5+=("$ms")
	cpus5+=("$ccpu $sc")
done
# Where a step's time goes in the last 5-step run: the step itself
# (started..finished) and the gap before the next step of the target.
split=$(sql -F ' ' -c "WITH s AS (SELECT s.run_target_id, s.started_at, s.finished_at, lag(s.finished_at) OVER (PARTITION BY s.run_target_id ORDER BY s.id) AS prev FROM automation.run_steps s JOIN automation.runs r ON r.id = s.run_id WHERE r.id = (SELECT id FROM automation.runs WHERE job_id = '$job5' ORDER BY created_at DESC LIMIT 1)) SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) * 1000), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - prev)) * 1000) FROM s")
sessions=$(grep -hc 'Accepted publickey for oc-test-key' "$tmp"/sshd*/sshd.log | awk '{ s += $1 } END { print s }')
echo
echo "fan-out: '$CMD' on $TARGETS targets, $SERVERS OpenSSH servers on loopback (ed25519 key login, host key $(hostkey_alg), kex $KEX), worker threads $THREADS, max_parallel $TARGETS"
printf '  %-44s %s\n' "1-step run, started..last target result:" "$(printf '%s\n' "${run1[@]}" | median)"
printf '  %-44s %s\n' "1-step run, created..finished:" "$(printf '%s\n' "${cre1[@]}" | median)"
printf '  %-44s %s\n' "1-step run, client POST..seen finished:" "$(printf '%s\n' "${cli1[@]}" | median)"
printf '  %-44s %s\n' "$TARGETS parallel OpenSSH ssh clients:" "$(printf '%s\n' "${sshm[@]}" | median)"
printf '  %-44s %s\n' "5-step run, started..last target result:" "$(printf '%s\n' "${run5[@]}" | median)"
printf '  %-44s %s\n' "5-step run, client POST..seen finished:" "$(printf '%s\n' "${cli5[@]}" | median)"
printf '  %-44s %s\n' "OpenSSH, 5 commands per connection:" "$(printf '%s\n' "${ssh5[@]}" | median)"
echo "  5-step run, per step: median $(echo "$split" | cut -d' ' -f1) ms started..finished, median $(echo "$split" | cut -d' ' -f2) ms from one step's end to the next's start"
# Median per column of "a b c" lines.
cpu_median() {
	local k
	for k in 1 2 3; do
		printf '%s\n' "$@" | awk -v k=$k '{ print $k }' | sort -n |
			awk '{ v[NR] = $1 } END { printf "%s ", v[int((NR + 1) / 2)] }'
	done
}
read -r w1 s1 p1 <<<"$(cpu_median "${cpu1[@]}")"
read -r c2 s2 <<<"$(cpu_median "${cpus[@]}")"
read -r w5 s5 p5 <<<"$(cpu_median "${cpu5[@]}")"
read -r c5 s55 <<<"$(cpu_median "${cpus5[@]}")"
echo "  CPU per run (median ms): 1-step: worker $w1, sshd $s1, postgres $p1; ssh: clients $c2, sshd $s2; 5-step: worker $w5, sshd $s5, postgres $p5; ssh x5: clients $c5, sshd $s55"
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  SSH logins seen by the servers (connection tests, warm-up, $RUNS x (1-step + ssh + 5-step + ssh x5) x $TARGETS): $sessions"
