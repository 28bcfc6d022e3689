#!/usr/bin/env bash
# Installs the Debian packages a purpose needs (build, run, check, bench):
# silent when everything is there; as root installs what is missing,
# otherwise prints the apt-get line to run.
#
# Usage: scripts/deps.sh [build|run|check|bench]   (default: run)
set -euo pipefail

purpose=${1:-run}
build=(gcc make pkg-config libfcgi-dev libpq-dev libjson-c-dev libjwt-dev
	libssl-dev libssh2-1-dev libcurl4-openssl-dev libargon2-dev)
run=("${build[@]}" postgresql openssl curl util-linux procps perl tzdata)
case $purpose in
build) want=("${build[@]}") ;;
run) want=("${run[@]}") ;;
# Tests also run real OpenSSH servers (tests/fixtures/sshd) with sudo,
# and the web UI's end-to-end tests drive Debian's chromium.
check) want=("${run[@]}" openssh-server sudo chromium) ;;
bench) want=("${run[@]}" wrk nmap chromium time) ;;
*)
	echo "usage: scripts/deps.sh [build|run|check|bench]" >&2
	exit 2
	;;
esac

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${want[@]}"; do
	installed "$p" || missing+=("$p")
done
# The web UI (web/) is built with Node.js 18 or later and npm; any node
# on PATH will do (Debian 12's nodejs is 18).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing+=(nodejs npm)
fi
if [ "$purpose" != build ]; then
	# Any nginx flavour will do; the light one is enough.
	have_nginx=0
	for p in nginx-light nginx-core nginx-full nginx-extras nginx; do
		if installed "$p" && command -v nginx >/dev/null 2>&1; then
			have_nginx=1
			break
		fi
	done
	[ "$have_nginx" = 1 ] || missing+=(nginx-light)
fi

# PostgreSQL 15 or later (Debian 12 ships 15).
if [ "$purpose" != build ] && installed postgresql; then
	ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n1)
	if [ -n "$ver" ] && [ "$ver" -lt 15 ]; then
		echo "opsconductor: error: PostgreSQL $ver is installed; 15 or later is needed" >&2
		exit 1
	fi
fi

[ "${#missing[@]}" -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "opsconductor: missing packages: ${missing[*]}" >&2
	echo "Install them as root, then run make again:" >&2
	echo "  sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
echo "opsconductor: installing ${missing[*]}" >&2
apt-get update -q
# Debian may start its own postgresql and nginx services on install; the
# stack does not use them and leaves them alone.
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	"${missing[@]}"
