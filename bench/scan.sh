#!/usr/bin/env bash
# Discovery benchmark: our scanner against nmap's connect scan on the same
# loopback range and ports, several runs each; prints both wall times.
#
# Usage: BUILD=<dir> bench/scan.sh   (after make; nmap optional)
# Knobs: OC_BENCH_SCAN_RANGE (127.0.1.0/24), OC_BENCH_SCAN_PORTS
#        (22,5985,5986,3389), OC_BENCH_SCAN_RUNS (5),
#        OC_BENCH_SCAN_CONCURRENCY (256).
#
# nmap runs with -n: without it nmap asks the DNS servers of
# /etc/resolv.conf for every address, which leaves loopback; our scanner
# names loopback addresses without asking DNS, so both do no lookups.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$BENCH_DIR/../scripts/lib.sh"

BUILD_DIR=${BUILD:-build}
case $BUILD_DIR in
/*) ;;
*) BUILD_DIR=$OC_ROOT/$BUILD_DIR ;;
esac
RANGE=${OC_BENCH_SCAN_RANGE:-127.0.1.0/24}
PORTS=${OC_BENCH_SCAN_PORTS:-22,5985,5986,3389}
RUNS=${OC_BENCH_SCAN_RUNS:-5}
CONC=${OC_BENCH_SCAN_CONCURRENCY:-256}

case $RANGE in
127.*) ;;
*) oc_die "OC_BENCH_SCAN_RANGE must be a loopback range (127.0.0.0/8)" ;;
esac
lib=$BUILD_DIR/lib/libworker.a
oclib=$BUILD_DIR/lib/liboc.a
[ -f "$lib" ] || oc_die "$lib not built (run make first)"

# The driver is built here: the Makefile does not build bench/*.c.
driver=$BUILD_DIR/bench/scan
mkdir -p "$BUILD_DIR/bench"
if [ ! -x "$driver" ] || [ "$BENCH_DIR/scan.c" -nt "$driver" ] ||
	[ "$lib" -nt "$driver" ] || [ "$oclib" -nt "$driver" ]; then
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
		-I"$OC_ROOT" -I"$OC_ROOT/fcgi" -o "$driver" \
		"$BENCH_DIR/scan.c" "$lib" "$oclib" -lssl -lcrypto -lpthread
fi

# Milliseconds of wall time of one run of "$@" (output discarded).
wall_ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || return 1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# "min median max" of the numbers on stdin.
summary() {
	sort -n | awk '{ v[NR] = $1 } END {
		printf "min %d ms, median %d ms, max %d ms\n",
			v[1], v[int((NR + 1) / 2)], v[NR] }'
}

echo "scan bench: $RANGE, ports $PORTS, $RUNS runs each"
"$driver" -q -c "$CONC" -p "$PORTS" "$RANGE" 2>&1 | sed 's/^/  /'
ours=$(for _ in $(seq "$RUNS"); do
	wall_ms "$driver" -q -c "$CONC" -p "$PORTS" "$RANGE" ||
		oc_die "the scan driver failed"
done | summary)
echo "opsconductor scan -c $CONC: $ours"
if command -v nmap >/dev/null 2>&1; then
	theirs=$(for _ in $(seq "$RUNS"); do
		wall_ms nmap -sT -Pn -T4 -n -p"$PORTS" "$RANGE" ||
			oc_die "nmap failed"
	done | summary)
	echo "nmap -sT -Pn -T4 -n:       $theirs"
else
	echo "nmap: not installed (apt-get install nmap to compare)"
fi
