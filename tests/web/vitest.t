#!/usr/bin/env bash
# The web UI's component tests (Vitest, web/src/**/*.test.ts(x)) as TAP.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
[ -x "$root/web/node_modules/.bin/vitest" ] || {
	echo "Bail out! web/node_modules is missing: run make web"
	exit 1
}
cd "$root/web"
exec node_modules/.bin/vitest run --reporter=tap-flat --silent 2>&1
