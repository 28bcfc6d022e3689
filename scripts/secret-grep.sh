#!/usr/bin/env bash
# After a test run: no secret the tests registered (tc_secret in
# tests/lib/tc.h, one per line in <secrets-dir>/*.txt) may appear in any
# of the given log files. Prints where a secret was found, masked, never
# the secret itself.
#
# Usage: scripts/secret-grep.sh <secrets-dir> <log-file>...
# Exit status: 0 none found, 1 a secret is in a log, 2 usage error.
set -euo pipefail

[ $# -ge 1 ] || {
	echo "usage: scripts/secret-grep.sh <secrets-dir> <log-file>..." >&2
	exit 2
}
dir=$1
shift
list=$(mktemp)
trap 'rm -f "$list"' EXIT
# Short strings would match by chance; an empty pattern matches all.
cat "$dir"/*.txt 2>/dev/null | awk 'length($0) >= 8' | sort -u >"$list" || true
n=$(wc -l <"$list")
files=()
for f in "$@"; do
	[ -f "$f" ] && files+=("$f")
done
if [ "$n" = 0 ] || [ "${#files[@]}" = 0 ]; then
	echo "secret-grep: nothing to check ($n secrets, ${#files[@]} logs)"
	exit 0
fi
hits=$(LC_ALL=C grep -n -o -F -f "$list" -- "${files[@]}" 2>/dev/null |
	awk '{
		f = $0; sub(/:.*/, "", f)
		rest = substr($0, length(f) + 2)
		ln = rest; sub(/:.*/, "", ln)
		s = substr(rest, length(ln) + 2)
		printf "%s:%s: %s... (%d characters)\n", f, ln, substr(s, 1, 2), length(s)
	}' | sort -u || true)
if [ -n "$hits" ]; then
	echo "secret-grep: FAILED: secrets used by the tests are in the logs:" >&2
	printf '%s\n' "$hits" | head -n 40 >&2
	exit 1
fi
echo "secret-grep: none of $n secrets is in the ${#files[@]} logs"
