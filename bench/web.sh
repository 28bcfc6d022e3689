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
. "$BENCH_DIR/stack.sh"
bench_stack web
cd "$OC_ROOT/web"
OC_TEST_URL=https://127.0.0.1:$https_port OC_TEST_ADMIN_USER=admin \
	OC_TEST_ADMIN_PASSWORD=$OPSCONDUCTOR_ADMIN_PASSWORD \
	OC_E2E_CHROMIUM=$chromium node e2e/bench.mjs
