#!/usr/bin/env bash
# Starts, stops and reports on a whole local stack: PostgreSQL (a private
# cluster under $OPSCONDUCTOR_VAR unless OPSCONDUCTOR_DATABASE_URL is set),
# every FastCGI pool program in $BUILD/bin, and nginx.
#
# Usage: BUILD=<dir> scripts/stack.sh {init|start|stop|status|run}
#        BUILD=<dir> scripts/stack.sh worker-start
#        BUILD=<dir> scripts/stack.sh rotate-secrets [--batch N | --continue
#                                     | --retire | --status]
# Configuration: OPSCONDUCTOR_* environment variables (see README.md).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$OC_ROOT/scripts/nginx-render.sh"
. "$OC_ROOT/scripts/stack-init.sh"

HEALTH_TIMEOUT=${OC_HEALTH_TIMEOUT:-30}
OC_ADMIN_GENERATED_PW=

# The settings of a started stack, so stop/status act on the same one.
save_stack_env() {
	local f=$OC_VAR/stack.env n
	{
		echo "# Written by scripts/stack.sh start: the running stack's settings."
		for n in OC_VAR OC_BIND OC_LISTEN_HOST OC_URL_HOST OC_PROBE_HOST \
			OC_HTTPS_PORT OC_HTTP_PORT OC_PG_PORT OC_EXTERNAL_DB \
			OC_DB_URL OC_BUILD OC_ADMIN_USER OC_NGINX_AS_ROOT \
			OC_RUN_USER; do
			printf '%s=%q\n' "$n" "${!n}"
		done
		printf 'OC_POOLS=(%s)\n' "${OC_POOLS[*]}"
	} >"$f.new"
	chmod 0600 "$f.new"
	mv -f "$f.new" "$f"
}

load_stack_env() {
	local f=$OC_VAR/stack.env
	OC_STACK_ENV=0
	if [ -r "$f" ]; then
		# shellcheck disable=SC1090
		. "$f"
		OC_STACK_ENV=1
	fi
	OC_POOLS=(${OC_POOLS[@]+"${OC_POOLS[@]}"})
}

# The prefix that runs a command as the service user by exec.
svc_prefix() {
	if oc_is_root; then
		OC_SVC_PREFIX=(setpriv "--reuid=$OC_SVC_USER" "--regid=$OC_SVC_USER"
			--init-groups --)
	else
		OC_SVC_PREFIX=()
	fi
}

log_tail() {
	local f=$1 n=${2:-25}
	if [ -s "$f" ]; then
		printf -- '--- last lines of %s ---\n' "$f" >&2
		tail -n "$n" "$f" >&2
		printf -- '---\n' >&2
	fi
}

# --- PostgreSQL ----------------------------------------------------------

pg_running() {
	[ -z "$OC_EXTERNAL_DB" ] || return 0
	oc_pid_alive "$OC_VAR/pg/postmaster.pid" postgres
}

pg_start() {
	[ -z "$OC_EXTERNAL_DB" ] || return 0
	pg_write_conf
	if pg_running; then
		return 0
	fi
	oc_pg_bin
	if ! setsid "${OC_SVC_PREFIX[@]}" "$OC_PG_BIN/pg_ctl" -D "$OC_VAR/pg" \
		-l "$OC_VAR/log/postgresql.log" -w -t 60 -s start \
		</dev/null >/dev/null 2>&1; then
		log_tail "$OC_VAR/log/postgresql.log"
		oc_die "PostgreSQL did not start (log: $OC_VAR/log/postgresql.log)"
	fi
}

pg_stop() {
	[ -z "$OC_EXTERNAL_DB" ] || return 0
	[ -d "$OC_VAR/pg" ] || return 0
	pg_running || return 0
	oc_pg_bin
	if ! "${OC_SVC_PREFIX[@]}" "$OC_PG_BIN/pg_ctl" -D "$OC_VAR/pg" \
		-m fast -w -t 30 -s stop >/dev/null 2>&1; then
		oc_say "PostgreSQL did not stop in 30 s; stopping it immediately"
		"${OC_SVC_PREFIX[@]}" "$OC_PG_BIN/pg_ctl" -D "$OC_VAR/pg" \
			-m immediate -w -s stop >/dev/null 2>&1 || true
	fi
	oc_say "stopped postgresql"
}

# --- pools ---------------------------------------------------------------

pool_start() {
	local pool=$1 pidf log i
	pidf=$OC_VAR/run/$pool.pid
	log=$OC_VAR/log/$pool.log
	if oc_pid_alive "$pidf" "oc-$pool"; then
		return 0
	fi
	(
		cd "$OC_VAR"
		exec setsid "${OC_ENV[@]}" "${OC_SVC_PREFIX[@]}" \
			"$OC_BUILD/bin/oc-$pool"
	) </dev/null >>"$log" 2>&1 &
	echo "$!" >"$pidf"
	disown "$!"
	# A pool is up when its socket exists (or it is listening elsewhere).
	for ((i = 0; i < 100; i++)); do
		# Right after the fork the child is still this script, not yet
		# the program: only a process that is gone has failed.
		if ! oc_pid_alive "$pidf" "oc-$pool" &&
			! { [ "$i" -lt 10 ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }; then
			log_tail "$log"
			oc_die "pool $pool exited during start (log: $log)"
		fi
		if [ -S "$OC_VAR/run/$pool.sock" ] || [ "$i" -ge 20 ]; then
			return 0
		fi
		sleep 0.1
	done
}

# TERM, wait up to 15 s for the drain, then KILL.
proc_stop() {
	local name=$1 pidf=$2 want=$3 sig=${4:-TERM} wait_s=${5:-15} i
	oc_pid_alive "$pidf" "$want" || {
		rm -f "$pidf"
		return 0
	}
	kill -"$sig" "$OC_PID" 2>/dev/null || true
	for ((i = 0; i < wait_s * 10; i++)); do
		if ! kill -0 "$OC_PID" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	if kill -0 "$OC_PID" 2>/dev/null; then
		oc_say "$name did not stop in ${wait_s} s; killing it"
		kill -KILL "$OC_PID" 2>/dev/null || true
		# Its children must not outlive it.
		pkill -KILL -P "$OC_PID" 2>/dev/null || true
	fi
	rm -f "$pidf"
	oc_say "stopped $name"
}

# A pool master and, should it have died without them, its workers: they
# stay in the session it leads (it was started with setsid).
pool_stop() {
	local pool=$1 pidf=$OC_VAR/run/$1.pid sid i
	sid=$(head -n1 "$pidf" 2>/dev/null || true)
	proc_stop "$pool" "$pidf" "oc-$pool" TERM 15
	[[ $sid =~ ^[0-9]+$ ]] || return 0
	pkill -TERM -s "$sid" -f "oc-$pool" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		pgrep -s "$sid" -f "oc-$pool" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	pkill -KILL -s "$sid" -f "oc-$pool" 2>/dev/null || true
	oc_say "killed leftover $pool workers"
}

pools_stop() {
	local f pool
	for f in "$OC_VAR"/run/*.pid; do
		[ -e "$f" ] || continue
		pool=${f##*/}
		pool=${pool%.pid}
		[ "$pool" != nginx ] || continue
		pool_stop "$pool" &
	done
	wait
}

# --- nginx ---------------------------------------------------------------

nginx_running() {
	oc_pid_alive "$OC_VAR/run/nginx.pid" nginx
}

nginx_start() {
	nginx_render
	nginx_test
	if nginx_running; then
		kill -HUP "$OC_PID" # reload the configuration just rendered
		return 0
	fi
	local prefix=("${OC_SVC_PREFIX[@]}")
	[ "$OC_NGINX_AS_ROOT" = 1 ] && prefix=()
	if ! "${prefix[@]}" nginx -p "$OC_VAR/nginx" -c "$OC_VAR/nginx/nginx.conf" \
		-e "$OC_VAR/log/nginx-error.log" </dev/null >>"$OC_VAR/log/nginx-error.log" 2>&1; then
		log_tail "$OC_VAR/log/nginx-error.log"
		oc_die "nginx did not start (is port $OC_HTTPS_PORT or $OC_HTTP_PORT in use? log: $OC_VAR/log/nginx-error.log)"
	fi
}

nginx_stop() {
	proc_stop nginx "$OC_VAR/run/nginx.pid" nginx QUIT 10
}

# --- health --------------------------------------------------------------

health_url() {
	printf 'https://%s:%s/api/v1/health' "$OC_PROBE_HOST" "$OC_HTTPS_PORT"
}

# Fetches the health JSON into OC_HEALTH_BODY; returns its HTTP status.
health_fetch() {
	local out
	out=$(curl -sk --max-time 3 -w '\n%{http_code}' "$(health_url)" 2>/dev/null) || true
	OC_HEALTH_CODE=${out##*$'\n'}
	[ "$OC_HEALTH_CODE" != 000 ] || OC_HEALTH_CODE=
	OC_HEALTH_BODY=${out%$'\n'*}
	[ "$OC_HEALTH_CODE" = 200 ]
}

# One line per component of the health JSON.
health_summary() {
	printf '%s' "$OC_HEALTH_BODY" | perl -MJSON::PP -e '
		local $/; my $j = eval { decode_json(<STDIN>) };
		if (!$j || ref $j ne "HASH") { print "  (no health JSON)\n"; exit 0 }
		printf "  health: %s\n", $j->{status} // "?";
		for my $c (@{ $j->{components} // [] }) {
			printf "    %-14s %-7s pid %-7s %-9s heartbeat %ss ago\n",
				$c->{kind} // "?", $c->{role} // "?",
				$c->{pid} // "?", $c->{state} // "?",
				$c->{heartbeat_age_s} // "?";
		}' 2>/dev/null || true
}

health_wait() {
	local deadline=$((SECONDS + HEALTH_TIMEOUT)) pool
	while [ "$SECONDS" -lt "$deadline" ]; do
		if health_fetch; then
			return 0
		fi
		sleep 0.3
	done
	oc_say "the stack did not become healthy in ${HEALTH_TIMEOUT} s: GET $(health_url) answered ${OC_HEALTH_CODE:-nothing}"
	if [ -n "$OC_HEALTH_BODY" ]; then
		printf '%s\n' "$OC_HEALTH_BODY" >&2
		health_summary >&2
	fi
	if ! pg_running; then
		oc_say "failing component: postgresql"
		log_tail "$OC_VAR/log/postgresql.log"
	fi
	for pool in "${OC_POOLS[@]}"; do
		if ! oc_pid_alive "$OC_VAR/run/$pool.pid" "oc-$pool"; then
			oc_say "failing component: $pool (not running)"
		elif [ -f "$OC_ROOT/nginx/pools/$pool.conf.in" ] &&
			[ ! -S "$OC_VAR/run/$pool.sock" ]; then
			oc_say "failing component: $pool (running, but $OC_VAR/run/$pool.sock does not exist)"
		fi
		log_tail "$OC_VAR/log/$pool.log"
	done
	if ! nginx_running; then
		oc_say "failing component: nginx"
	fi
	log_tail "$OC_VAR/log/nginx-error.log" 10
	return 1
}

# --- commands ------------------------------------------------------------

# A start that fails stops what it started; the logs stay in var/log.
on_start_exit() {
	local rc=$?
	if [ "$rc" -ne 0 ] && [ "${OC_STARTING:-0}" = 1 ]; then
		OC_STARTING=0
		oc_say "start failed; stopping what was started (logs: $OC_VAR/log)"
		cmd_stop || true
	fi
	exit "$rc"
}

cmd_start() {
	local pool
	oc_pools
	[ "${#OC_POOLS[@]}" -gt 0 ] ||
		oc_die "no pool programs in $OC_BUILD/bin (build first: make build)"
	svc_prefix
	stack_init
	OC_STARTING=1
	trap on_start_exit EXIT
	save_stack_env
	pg_start
	stack_db_setup
	oc_svc_env
	stack_admin
	for pool in "${OC_POOLS[@]}"; do
		pool_start "$pool"
	done
	nginx_start
	health_wait || oc_die "the stack is not healthy"
	OC_STARTING=0
}

# init alone: everything a first start creates, then PostgreSQL is left
# as it was found.
cmd_init() {
	local was_running=0
	svc_prefix
	stack_init
	pg_running && was_running=1
	if [ "$was_running" = 0 ]; then
		OC_STARTING=1
		trap on_start_exit EXIT
	fi
	pg_start
	stack_db_setup
	oc_svc_env
	oc_pools
	if [ -x "$OC_BUILD/bin/oc-identity" ]; then
		stack_admin
	else
		oc_say "no $OC_BUILD/bin/oc-identity yet: the first admin is created on start"
	fi
	[ "$was_running" = 1 ] || pg_stop
	OC_STARTING=0
}

cmd_stop() {
	[ -d "$OC_VAR" ] || return 0
	load_stack_env
	svc_prefix
	nginx_stop
	pools_stop
	pg_stop
}

cmd_status() {
	local rc=0 pool n
	if [ ! -d "$OC_VAR" ]; then
		echo "no stack in $OC_VAR (start one with: make start)"
		return 1
	fi
	load_stack_env
	if [ -n "$OC_EXTERNAL_DB" ]; then
		oc_admin_db
		if PGCONNECT_TIMEOUT=3 psql -X -q -At -d "$OC_ADMIN_DB" \
			-c 'SELECT 1' >/dev/null 2>&1; then
			echo "postgresql      reachable (external)"
		else
			echo "postgresql      NOT REACHABLE (external)"
			rc=1
		fi
	elif pg_running; then
		echo "postgresql      running   pid $OC_PID"
	else
		echo "postgresql      stopped"
		rc=1
	fi
	for pool in "${OC_POOLS[@]}"; do
		if oc_pid_alive "$OC_VAR/run/$pool.pid" "oc-$pool"; then
			n=$(pgrep -c -P "$OC_PID" 2>/dev/null || true)
			# Pools fork workers; the worker program runs threads.
			if [ "${n:-0}" -gt 0 ]; then
				printf '%-15s running   pid %s, %s workers\n' \
					"$pool" "$OC_PID" "$n"
			else
				printf '%-15s running   pid %s\n' "$pool" "$OC_PID"
			fi
		else
			printf '%-15s stopped\n' "$pool"
			rc=1
		fi
	done
	if nginx_running; then
		echo "nginx           running   pid $OC_PID"
	else
		echo "nginx           stopped"
		rc=1
	fi
	if [ "$OC_STACK_ENV" = 1 ]; then
		if health_fetch; then
			echo "$(health_url): $OC_HEALTH_CODE"
		else
			echo "$(health_url): ${OC_HEALTH_CODE:-no answer}"
			rc=1
		fi
		health_summary
	fi
	return "$rc"
}

# Starts the worker of a started stack again (after it died), as start
# does, with the caller's OPSCONDUCTOR_* settings.
cmd_worker_start() {
	load_stack_env
	[ "$OC_STACK_ENV" = 1 ] || oc_die "no started stack in $OC_VAR"
	[ -x "$OC_BUILD/bin/oc-worker" ] || oc_die "no $OC_BUILD/bin/oc-worker"
	svc_prefix
	oc_svc_env
	pool_start worker
	oc_say "worker running, pid $(cat "$OC_VAR/run/worker.pid")"
}

# Secret key rotation against a started stack: oc-worker rotate-secrets
# as the service user (it owns the key files), without a restart.
cmd_rotate_secrets() {
	load_stack_env
	[ "$OC_STACK_ENV" = 1 ] || oc_die "no started stack in $OC_VAR"
	pg_running || oc_die "PostgreSQL of the stack in $OC_VAR is not running"
	svc_prefix
	oc_svc_env
	"${OC_ENV[@]}" "${OC_SVC_PREFIX[@]}" "$OC_BUILD/bin/oc-worker" \
		rotate-secrets "$@"
}

print_login() {
	echo
	echo "OpsConductor is running: https://$OC_URL_HOST:$OC_HTTPS_PORT/"
	echo "  admin user: $OC_ADMIN_USER"
	if [ -n "$OC_ADMIN_GENERATED_PW" ]; then
		echo "  password:   $OC_ADMIN_GENERATED_PW"
		echo "  (generated now and shown only this once: write it down)"
	elif [ -n "${OPSCONDUCTOR_ADMIN_PASSWORD:-}" ]; then
		echo "  password:   as set by OPSCONDUCTOR_ADMIN_PASSWORD on the first run"
	else
		echo "  password:   printed on the first run (or set by OPSCONDUCTOR_ADMIN_PASSWORD then)"
	fi
	if [ "$OC_TLS_GENERATED" = 1 ]; then
		echo "  TLS: self-signed certificate $OC_TLS_CERT (your browser will warn)"
	fi
	echo "  state: $OC_VAR   logs: $OC_VAR/log"
}

# Watches the components; says so when one dies.
run_watch() {
	local -A dead=() pool
	while :; do
		sleep 2 &
		wait $! || true
		if ! pg_running && [ -z "${dead[postgresql]:-}" ]; then
			dead[postgresql]=1
			oc_say "postgresql is no longer running"
			log_tail "$OC_VAR/log/postgresql.log" 10
		fi
		for pool in "${OC_POOLS[@]}"; do
			if ! oc_pid_alive "$OC_VAR/run/$pool.pid" "oc-$pool" &&
				[ -z "${dead[$pool]:-}" ]; then
				dead[$pool]=1
				oc_say "pool $pool is no longer running"
				log_tail "$OC_VAR/log/$pool.log" 10
			fi
		done
		if ! nginx_running && [ -z "${dead[nginx]:-}" ]; then
			dead[nginx]=1
			oc_say "nginx is no longer running"
			log_tail "$OC_VAR/log/nginx-error.log" 10
		fi
	done
}

run_stop() {
	trap '' INT TERM
	echo
	oc_say "stopping"
	cmd_stop
	exit 0
}

cmd_run() {
	trap run_stop INT TERM
	cmd_start
	print_login
	echo
	echo "Press Ctrl-C to stop."
	run_watch
}

main() {
	local cmd=${1:-}
	case $cmd in
	init | start | stop | status | run | worker-start | rotate-secrets) ;;
	*)
		echo "usage: BUILD=<dir> scripts/stack.sh {init|start|stop|status|run|worker-start|rotate-secrets [options]}" >&2
		exit 2
		;;
	esac
	oc_config
	oc_svc_setup
	case $cmd in
	init) cmd_init ;;
	start)
		cmd_start
		print_login
		;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	run) cmd_run ;;
	worker-start) cmd_worker_start ;;
	rotate-secrets)
		shift
		cmd_rotate_secrets "$@"
		;;
	esac
}

main "$@"
