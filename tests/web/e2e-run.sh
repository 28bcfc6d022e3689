#!/usr/bin/env bash
# Runs one browser test file of web/e2e (TAP) in headless Chromium against
# the stack make check started, with an OpenSSH server on 127.0.0.1
# (tests/fixtures/sshd) for the connection tests: e2e-run.sh e2e/NAME.mjs.
# Called by the tests/web/e2e*.t wrappers.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)

[ -n "${OC_TEST_URL:-}" ] || {
	echo "Bail out! OC_TEST_URL is not set: run this through make check"
	exit 1
}
chromium=${OC_E2E_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || {
	echo "Bail out! $chromium is missing (apt-get install chromium; scripts/deps.sh check does)"
	exit 1
}
[ -d "$root/web/node_modules/playwright-core" ] || {
	echo "Bail out! web/node_modules is missing: run make web"
	exit 1
}

dir=$(mktemp -d /tmp/oc-web-e2e.XXXXXX)
chmod 0755 "$dir"
stop() {
	"$root/tests/fixtures/sshd/sshd.sh" stop "$dir/sshd" >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap stop EXIT
port=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1,
	LocalAddr => "127.0.0.1", LocalPort => 0, Proto => "tcp")->sockport')
"$root/tests/fixtures/sshd/sshd.sh" start "$dir/sshd" "$port" >"$dir/sshd.out" 2>&1 || {
	echo "Bail out! the OpenSSH fixture did not start: $(tail -n 3 "$dir/sshd.out" | tr '\n' ' ')"
	exit 1
}

cd "$root/web"
OC_E2E_SSH_PORT=$port OC_E2E_SSH_KEY=$dir/sshd/id_ed25519 \
	OC_E2E_SSHD_SH=$root/tests/fixtures/sshd/sshd.sh OC_E2E_SSHD_DIR=$dir/sshd \
	OC_E2E_CHROMIUM=$chromium node "$1"
