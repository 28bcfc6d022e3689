#!/usr/bin/env bash
# make check: starts a whole stack in a temp dir on free loopback ports,
# runs every unit and integration test under prove against it, fails on
# any crash in the logs, and always tears the stack down.
#
# Usage: BUILD=<dir> SAN=<0|1> scripts/check.sh
# Tests get: OC_TEST_URL, OC_TEST_HTTP_URL, OC_TEST_VAR, OC_TEST_DB,
# OC_TEST_ADMIN_USER, OC_TEST_ADMIN_PASSWORD, OC_TEST_ROOT, OC_TEST_BUILD,
# OC_TEST_OUT, OC_TEST_LOGIN_RATE, OC_TEST_LOGIN_BURST.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in
/*) ;;
*) BUILD_DIR=$OC_ROOT/$BUILD_DIR ;;
esac
SAN=${SAN:-0}

# The check is hermetic: no setting of the caller's own stack leaks in.
while IFS= read -r n; do
	case $n in OPSCONDUCTOR_*) unset "$n" ;; esac
done < <(compgen -e)

if [ "$SAN" = 1 ]; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi

tmp=$(mktemp -d /tmp/oc-check.XXXXXX)
# The service user (when root) must traverse it.
chmod 0755 "$tmp"
ok=0

free_ports() {
	perl -MIO::Socket::INET -e '
		my @s = map { IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
			LocalPort => 0, Proto => "tcp", ReuseAddr => 1)
			or die "no free port: $!\n" } 1 .. $ARGV[0];
		print join(" ", map { $_->sockport } @s), "\n";' "$1"
}

stack() {
	BUILD=$BUILD_DIR "$OC_ROOT/scripts/stack.sh" "$@"
}

print_logs() {
	local f
	for f in "$tmp"/var/log/*.log; do
		[ -s "$f" ] || continue
		[ "${f##*/}" != initdb.log ] || continue
		printf -- '--- %s (last 40 lines) ---\n' "$f"
		tail -n 40 "$f"
	done
}

teardown() {
	local rc=$?
	trap - EXIT INT TERM
	OPSCONDUCTOR_VAR=$tmp/var stack stop >/dev/null 2>&1 || true
	if [ "$ok" = 1 ] && [ "$rc" = 0 ]; then
		rm -rf "$tmp"
	else
		[ "$rc" != 0 ] || rc=1
		echo "check: the stack's files are kept in $tmp" >&2
	fi
	exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

read -r https_port http_port < <(free_ports 2)
export OPSCONDUCTOR_VAR=$tmp/var
export OPSCONDUCTOR_HTTPS_PORT=$https_port
export OPSCONDUCTOR_HTTP_PORT=$http_port
export OPSCONDUCTOR_PG_PORT=5432
export OPSCONDUCTOR_ADMIN_USER=admin
OPSCONDUCTOR_ADMIN_PASSWORD=$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | cut -c1-24)
export OPSCONDUCTOR_ADMIN_PASSWORD
export OPSCONDUCTOR_LOG_LEVEL=${OC_CHECK_LOG_LEVEL:-info}
# The suite signs in far more often than a person: a login limit of 50/s
# with a burst of 100 per address (the default is 5/s, burst 20).
# tests/integration/ratelimit.c checks that the limit is enforced.
export OPSCONDUCTOR_LOGIN_RATE=50 OPSCONDUCTOR_LOGIN_BURST=100
# Short worker leases so that lease-expiry tests take seconds, not a minute.
export OPSCONDUCTOR_LEASE_SECONDS=10
# A one-second events heartbeat (and credential re-check) so that
# tests/integration/events.c need not wait 15 s.
export OPSCONDUCTOR_EVENTS_HEARTBEAT_SECONDS=1

echo "check: starting a stack in $tmp (https $https_port, http $http_port)"
if ! stack start >"$tmp/start.log" 2>&1; then
	cat "$tmp/start.log" >&2
	print_logs >&2
	echo "check: FAILED: the stack did not start" >&2
	exit 1
fi

export OC_TEST_URL=https://127.0.0.1:$https_port
export OC_TEST_HTTP_URL=http://127.0.0.1:$http_port
export OC_TEST_VAR=$OPSCONDUCTOR_VAR
export OC_TEST_DB="host=$OPSCONDUCTOR_VAR/run port=$OPSCONDUCTOR_PG_PORT dbname=opsconductor user=opsconductor password=$(cat "$OPSCONDUCTOR_VAR/keys/db/opsconductor.password")"
export OC_TEST_ADMIN_USER=$OPSCONDUCTOR_ADMIN_USER
export OC_TEST_ADMIN_PASSWORD=$OPSCONDUCTOR_ADMIN_PASSWORD
export OC_TEST_ROOT=$OC_ROOT
export OC_TEST_BUILD=$BUILD_DIR
export OC_TEST_OUT=$OC_ROOT/tests/out
export OC_TEST_LOGIN_RATE=$OPSCONDUCTOR_LOGIN_RATE
export OC_TEST_LOGIN_BURST=$OPSCONDUCTOR_LOGIN_BURST
mkdir -p "$OC_TEST_OUT"
# The secrets of this run, for the log check after it: the tests add what
# they use (tc_secret); the stack's own secrets go in here.
rm -rf "$OC_TEST_OUT/secrets"
mkdir -m 0700 "$OC_TEST_OUT/secrets"
{
	printf '%s\n' "$OPSCONDUCTOR_ADMIN_PASSWORD"
	cat "$OPSCONDUCTOR_VAR"/keys/db/*.password 2>/dev/null || true
	grep -h -v -e '^-----' "$OPSCONDUCTOR_VAR"/keys/secrets/v*.key 2>/dev/null || true
} >"$OC_TEST_OUT/secrets/stack.txt"
# Tests that start stacks of their own must not inherit this one's.
unset OPSCONDUCTOR_VAR OPSCONDUCTOR_HTTPS_PORT OPSCONDUCTOR_HTTP_PORT \
	OPSCONDUCTOR_PG_PORT OPSCONDUCTOR_ADMIN_PASSWORD OPSCONDUCTOR_ADMIN_USER \
	OPSCONDUCTOR_LOG_LEVEL
STACK_VAR=$OC_TEST_VAR

failed=0
run_prove() {
	local what=$1 jobs=$2
	shift 2
	if [ $# -eq 0 ]; then
		echo "check: no $what tests"
		return 0
	fi
	echo "check: $what tests"
	# --exec '': the .t files are programs, run as they are.
	(cd "$OC_ROOT" && prove --exec '' -j"$jobs" --timer "$@") || failed=1
}

mapfile -t unit < <(ls "$BUILD_DIR"/tests/unit/*.t 2>/dev/null || true)
mapfile -t integ < <(ls "$BUILD_DIR"/tests/integration/*.t 2>/dev/null || true)
# tests/web/*.t are scripts (the web UI's Vitest and browser tests).
mapfile -t webt < <(ls "$OC_ROOT"/tests/web/*.t 2>/dev/null || true)
# `make check T="auth users"` runs only the tests with those names.
if [ -n "${T:-}" ]; then
	pick() {
		local f n
		for f in "$@"; do
			n=${f##*/}
			n=${n%.t}
			case " $T " in *" $n "*) printf '%s\n' "$f" ;; esac
		done
	}
	mapfile -t unit < <(pick ${unit[@]+"${unit[@]}"})
	mapfile -t integ < <(pick ${integ[@]+"${integ[@]}"})
	mapfile -t webt < <(pick ${webt[@]+"${webt[@]}"})
fi
run_prove unit 2 "${unit[@]}"
run_prove integration "${OC_CHECK_JOBS:-1}" "${integ[@]}"
run_prove web 1 ${webt[@]+"${webt[@]}"}

# A crash anywhere in the stack fails the run even if every test passed.
# SIGKILL is what tests send on purpose (and the OOM killer); any other
# signal is a crash.
crashes=$(grep -H -E 'AddressSanitizer|LeakSanitizer|runtime error:|"msg":"child [0-9]+ killed by signal ([0-8]|1[0-9]|[2-9][0-9])"' \
	"$STACK_VAR"/log/*.log 2>/dev/null | grep -v -E '^[^:]*(nginx-access|postgresql)\.log:' || true)
if [ -n "$crashes" ]; then
	echo "check: FAILED: crashes in the stack's logs:" >&2
	printf '%s\n' "$crashes" | head -n 40 >&2
	failed=1
fi
# No password, private key or TOTP secret the tests used may be in any log
# of the stack (pools, worker, nginx, PostgreSQL).
if ! "$OC_ROOT/scripts/secret-grep.sh" "$OC_TEST_OUT/secrets" \
	"$STACK_VAR"/log/*.log; then
	failed=1
fi
killed=$(cat "$STACK_VAR"/log/*.log 2>/dev/null |
	grep -c '"msg":"child [0-9]* killed by signal 9"' || true)
if [ "${killed:-0}" != 0 ]; then
	echo "check: note: $killed pool worker(s) were killed with SIGKILL (by a test, or the OOM killer)"
fi

if [ "$failed" != 0 ]; then
	print_logs >&2
	echo "check: FAILED" >&2
	exit 1
fi
ok=1
echo "check: all tests passed"
