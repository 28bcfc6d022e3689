#!/usr/bin/env bash
# Web UI benchmark: starts a stack of its own, seeds 10,000 targets, and
# prints the gzipped size of the initial JavaScript and of the job
# builder's chunks, and the time to interactive of the dashboard, the job
# builder and the 10,000-target list in headless Chromium through nginx
# (web/e2e/bench.mjs).
#
# Usage: BUILD=<dir> bench/web.sh   (after make; needs chromium)
# Knobs: OC_BENCH_TARGETS (10000), OC_BENCH_RUNS (3).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$BENCH_DIR/../scripts/lib.sh"

BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in
/*) ;;
*) BUILD_DIR=$OC_ROOT/$BUILD_DIR ;;
esac
chromium=${OC_E2E_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || oc_die "$chromium is missing (apt-get install chromium)"
[ -d "$OC_ROOT/web/node_modules/playwright-core" ] || oc_die "run make web first"
while IFS= read -r n; do
	case $n in OPSCONDUCTOR_*) unset "$n" ;; esac
done < <(compgen -e)

tmp=$(mktemp -d /tmp/oc-bench-web.XXXXXX)
chmod 0755 "$tmp"
stack() {
	BUILD=$BUILD_DIR OPSCONDUCTOR_VAR=$tmp/var "$OC_ROOT/scripts/stack.sh" "$@"
}
teardown() {
	local rc=$?
	trap - EXIT INT TERM
	stack stop >/dev/null 2>&1 || true
	if [ "$rc" = 0 ]; then
		rm -rf "$tmp"
	else
		echo "bench: files kept in $tmp" >&2
	fi
	exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

read -r https_port http_port < <(perl -MIO::Socket::INET -e '
	my @s = map { IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
		LocalPort => 0, Proto => "tcp") or die "no free port\n" } 1 .. 2;
	print join(" ", map { $_->sockport } @s), "\n";')
export OPSCONDUCTOR_HTTPS_PORT=$https_port OPSCONDUCTOR_HTTP_PORT=$http_port
export OPSCONDUCTOR_API_RATE=1000000 OPSCONDUCTOR_API_BURST=1000000
export OPSCONDUCTOR_LOGIN_RATE=1000000 OPSCONDUCTOR_LOGIN_BURST=1000000
OPSCONDUCTOR_ADMIN_PASSWORD=$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | cut -c1-24)
export OPSCONDUCTOR_ADMIN_PASSWORD

echo "bench: web UI; starting a stack in $tmp"
if ! stack start >"$tmp/start.log" 2>&1; then
	cat "$tmp/start.log" >&2
	oc_die "the stack did not start"
fi
cd "$OC_ROOT/web"
OC_TEST_URL=https://127.0.0.1:$https_port OC_TEST_ADMIN_USER=admin \
	OC_TEST_ADMIN_PASSWORD=$OPSCONDUCTOR_ADMIN_PASSWORD \
	OC_E2E_CHROMIUM=$chromium node e2e/bench.mjs
