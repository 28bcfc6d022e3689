#!/usr/bin/env bash
# Connection-test benchmark: N targets spread over several OpenSSH servers
# on loopback (the test fixture tests/fixtures/sshd/sshd.sh), tested by the
# worker through the API in one call, against N parallel OpenSSH `ssh`
# clients doing the same: the same host key type and key exchange, the
# same ed25519 public-key login, the same OS-detection command. Prints the
# wall time of both, several runs each.
#
# Usage (root; called by bench/run.sh against its stack):
#   OC_BENCH_URL=... OC_BENCH_TOKEN=... OC_BENCH_DB=... OC_BENCH_TMP=...
#   bench/conntest.sh
# Knobs: OC_BENCH_SSH_SERVERS (5), OC_BENCH_SSH_TARGETS (50),
#        OC_BENCH_SSH_RUNS (3).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$BENCH_DIR/../scripts/lib.sh"

SERVERS=${OC_BENCH_SSH_SERVERS:-5}
TARGETS=${OC_BENCH_SSH_TARGETS:-50}
RUNS=${OC_BENCH_SSH_RUNS:-3}
url=$OC_BENCH_URL
db=$OC_BENCH_DB
tmp=$OC_BENCH_TMP
fixture=$OC_ROOT/tests/fixtures/sshd/sshd.sh
# What the worker runs after logging in (worker/sshexec.c ssh_detect_os).
OS_CMD="uname -srm 2>/dev/null; echo; echo '--os-release--'; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null; exit 0"

if [ "$(id -u)" != 0 ]; then
	echo "bench: connection tests skipped (the sshd fixture needs root)"
	exit 0
fi

dirs=()
ports=()
stop_fixtures() {
	local d
	for d in ${dirs[@]+"${dirs[@]}"}; do
		"$fixture" stop "$d" >/dev/null 2>&1 || true
	done
}
trap stop_fixtures EXIT

free_port() {
	perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
		LocalAddr => "127.0.0.1", LocalPort => 0, Proto => "tcp")
		->sockport, "\n"'
}

api() {
	local method=$1 path=$2 body=${3:-}
	curl -sk -X "$method" -H "Authorization: Bearer $OC_BENCH_TOKEN" \
		-H 'Content-Type: application/json' ${body:+--data-binary "$body"} \
		"$url$path"
}

json_field() {
	perl -MJSON::PP -e 'local $/; my $j = eval { decode_json(<STDIN>) } || {};
		print $j->{$ARGV[0]} // ""' "$1"
}

sql() {
	psql -X -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}

echo "bench: starting $SERVERS OpenSSH servers (tests/fixtures/sshd)"
for ((i = 1; i <= SERVERS; i++)); do
	d=$tmp/sshd$i
	p=$(free_port)
	mkdir -p "$d"
	"$fixture" start "$d" "$p" >"$tmp/sshd$i.start.log" 2>&1 ||
		{ cat "$tmp/sshd$i.start.log" >&2; oc_die "sshd fixture $i did not start"; }
	dirs+=("$d")
	ports+=("$p")
done

echo "bench: registering $TARGETS targets across them"
ids=()
for ((i = 0; i < SERVERS; i++)); do
	body=$(OC_K=$(cat "${dirs[$i]}/id_ed25519") OC_N="bench-ssh-key-$i" perl -MJSON::PP -e '
		print encode_json({name => $ENV{OC_N}, type => "ssh_key",
			username => "oc-test-key", private_key => $ENV{OC_K}})')
	cred=$(api POST /api/v1/credentials "$body" | json_field id)
	[ -n "$cred" ] || oc_die "could not create the credential of server $i"
	creds[$i]=$cred
done
for ((t = 0; t < TARGETS; t++)); do
	i=$((t % SERVERS))
	body=$(printf '{"name":"bench-ssh-%03d","host":"127.0.0.1","os":"linux","protocol":"ssh","port":%d,"credential_id":"%s"}' \
		"$t" "${ports[$i]}" "${creds[$i]}")
	id=$(api POST /api/v1/targets "$body" | json_field id)
	[ -n "$id" ] || oc_die "could not create target $t"
	ids+=("$id")
done
id_json=$(printf '"%s",' "${ids[@]}")
id_json="[${id_json%,}]"
id_sql="{$(IFS=,; echo "${ids[*]}")}"

# One run through the API: wall time from the request to the last task
# finished (both timestamps from PostgreSQL). Prints "ms reachable".
api_run() {
	local t0 left i
	t0=$(sql -c "SELECT clock_timestamp()")
	api POST /api/v1/targets/test "{\"target_ids\":$id_json}" >/dev/null
	for ((i = 0; i < 1200; i++)); do
		left=$(sql -c "SELECT count(*) FROM core.tasks WHERE kind = 'target.test' AND created_at >= '$t0' AND state IN ('queued', 'running')")
		[ "$left" = 0 ] && break
		sleep 0.05
	done
	sql -c "SELECT round(extract(epoch FROM max(finished_at) - '$t0'::timestamptz) * 1000), (SELECT count(*) FROM assets.targets WHERE id = ANY('$id_sql'::uuid[]) AND reachability = 'reachable') FROM core.tasks WHERE kind = 'target.test' AND created_at >= '$t0'" |
		tr '|' ' '
}

# The host key type the worker saw (it picks what libssh2 prefers).
hostkey_alg() {
	case $(sql -c "SELECT ssh_host_key_type FROM assets.targets WHERE id = '${ids[0]}'") in
	*ed25519*) echo ssh-ed25519 ;;
	*rsa*) echo rsa-sha2-512,rsa-sha2-256 ;;
	*) echo ssh-ed25519 ;;
	esac
}

# One run of TARGETS parallel ssh clients. Prints "ms succeeded".
ssh_run() {
	local t0 t1 t i ok=0 pids=() alg
	alg=$(hostkey_alg)
	t0=$(date +%s%N)
	for ((t = 0; t < TARGETS; t++)); do
		i=$((t % SERVERS))
		ssh -q -p "${ports[$i]}" -i "${dirs[$i]}/id_ed25519" \
			-o BatchMode=yes -o IdentitiesOnly=yes \
			-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
			-o HostKeyAlgorithms="$alg" \
			-o KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org \
			-o ConnectTimeout=15 \
			oc-test-key@127.0.0.1 "$OS_CMD" >/dev/null 2>&1 &
		pids+=("$!")
	done
	for t in "${pids[@]}"; do
		wait "$t" && ok=$((ok + 1))
	done
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $ok"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { printf "min %d ms, median %d ms, max %d ms", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

echo "bench: first contact (host keys recorded; not timed)"
read -r ms reach < <(api_run)
[ "$reach" = "$TARGETS" ] || oc_die "only $reach of $TARGETS targets reachable on first contact"
api_times=()
ssh_times=()
for ((r = 1; r <= RUNS; r++)); do
	read -r ms reach < <(api_run)
	echo "bench:   worker run $r: $ms ms, $reach/$TARGETS reachable"
	api_times+=("$ms")
	read -r ms okc < <(ssh_run)
	echo "bench:   ssh    run $r: $ms ms, $okc/$TARGETS succeeded"
	ssh_times+=("$ms")
done
threads=$(grep -ho '"worker [^"]* started with [0-9]* threads"' "$tmp"/var/log/worker.log | tail -n1 | grep -o '[0-9]* threads' || echo '? threads')
echo
echo "connection tests: $TARGETS targets on $SERVERS OpenSSH servers (ed25519 key login, host key $(hostkey_alg), kex curve25519-sha256, OS detection command)"
printf '  %-52s %s\n' "worker via POST /api/v1/targets/test ($threads):" "$(printf '%s\n' "${api_times[@]}" | median)"
printf '  %-52s %s\n' "$TARGETS parallel OpenSSH ssh clients:" "$(printf '%s\n' "${ssh_times[@]}" | median)"
