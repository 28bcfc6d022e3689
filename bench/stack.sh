# Sourced by the benchmarks (after scripts/lib.sh, with BUILD_DIR set):
# bench_stack NAME starts a stack of the benchmark's own and arranges for
# it to go away.
#
# It clears OPSCONDUCTOR_* from the environment, then applies the knobs
# OC_BENCH_POOL_WORKERS, OC_BENCH_READ_CACHE_KIB and
# OC_BENCH_WORKER_THREADS; makes $tmp
# (/tmp/oc-bench-NAME.XXXXXX); picks free loopback ports ($https_port,
# $http_port; $url); lifts the rate limits (they would be what is
# measured); generates the admin password (OPSCONDUCTOR_ADMIN_PASSWORD);
# defines stack (scripts/stack.sh on $tmp); and on exit runs
# bench_cleanup when the benchmark defines it, stops the stack and removes
# $tmp (kept after a failure, or with OC_BENCH_KEEP set).

bench_teardown() {
	local rc=$?
	trap - EXIT INT TERM
	if declare -F bench_cleanup >/dev/null; then
		bench_cleanup || true
	fi
	stack stop >/dev/null 2>&1 || true
	if [ "$rc" = 0 ] && [ -z "${OC_BENCH_KEEP:-}" ]; then
		rm -rf "$tmp"
	else
		echo "bench: files kept in $tmp" >&2
	fi
	exit "$rc"
}

stack() {
	BUILD=$BUILD_DIR OPSCONDUCTOR_VAR=$tmp/var "$OC_ROOT/scripts/stack.sh" "$@"
}

bench_stack() {
	local n
	while IFS= read -r n; do
		case $n in OPSCONDUCTOR_*) unset "$n" ;; esac
	done < <(compgen -e)
	if [ -n "${OC_BENCH_POOL_WORKERS:-}" ]; then
		export OPSCONDUCTOR_POOL_WORKERS=$OC_BENCH_POOL_WORKERS
	fi
	if [ -n "${OC_BENCH_READ_CACHE_KIB:-}" ]; then
		export OPSCONDUCTOR_READ_CACHE_KIB=$OC_BENCH_READ_CACHE_KIB
	fi
	if [ -n "${OC_BENCH_WORKER_THREADS:-}" ]; then
		export OPSCONDUCTOR_WORKER_THREADS=$OC_BENCH_WORKER_THREADS
	fi
	tmp=$(mktemp -d "/tmp/oc-bench-$1.XXXXXX")
	chmod 0755 "$tmp"
	trap bench_teardown EXIT
	trap 'exit 130' INT TERM
	read -r https_port http_port < <(perl -MIO::Socket::INET -e '
		my @s = map { IO::Socket::INET->new(Listen => 1,
			LocalAddr => "127.0.0.1", LocalPort => 0,
			Proto => "tcp") or die "no free port\n" } 1 .. 2;
		print join(" ", map { $_->sockport } @s), "\n";')
	export OPSCONDUCTOR_HTTPS_PORT=$https_port OPSCONDUCTOR_HTTP_PORT=$http_port
	export OPSCONDUCTOR_API_RATE=1000000 OPSCONDUCTOR_API_BURST=1000000
	export OPSCONDUCTOR_LOGIN_RATE=1000000 OPSCONDUCTOR_LOGIN_BURST=1000000
	OPSCONDUCTOR_ADMIN_PASSWORD=$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | cut -c1-24)
	export OPSCONDUCTOR_ADMIN_PASSWORD
	url=https://127.0.0.1:$https_port
	echo "bench: $1: starting a stack in $tmp"
	if ! stack start >"$tmp/start.log" 2>&1; then
		cat "$tmp/start.log" >&2
		oc_die "the stack did not start"
	fi
}

# Prints an access token for the stack's admin (after bench_stack).
bench_token() {
	local t
	t=$(OC_P=$OPSCONDUCTOR_ADMIN_PASSWORD perl -MJSON::PP -e \
		'print encode_json({username => "admin", password => $ENV{OC_P}})' |
		curl -sk -X POST -H 'Content-Type: application/json' \
			--data-binary @- "$url/api/v1/auth/login" |
		perl -MJSON::PP -e 'local $/; my $j = eval { decode_json(<STDIN>) } || {};
			print $j->{access_token} // ""')
	[ -n "$t" ] || oc_die "could not log in as admin"
	echo "$t"
}
