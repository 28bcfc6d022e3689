#!/usr/bin/env bash
# Renders nginx/nginx.conf.in (and its includes) into
# $OPSCONDUCTOR_VAR/nginx/ for the pools that exist in $BUILD/bin, then
# checks the result with nginx -t. Also called by stack.sh start.
#
# Usage: BUILD=<dir> scripts/nginx-render.sh [--no-test]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
shopt -u patsub_replacement 2>/dev/null || true

# Replaces every @KEY@ of the associative array SUBST in $1.
render() {
	local text=$1 k
	for k in "${!SUBST[@]}"; do
		text=${text//@$k@/${SUBST[$k]}}
	done
	if [[ $text =~ @[A-Z_]+@ ]]; then
		oc_die "nginx template placeholder ${BASH_REMATCH[0]} has no value"
	fi
	printf '%s\n' "$text"
}

# Where a pool listens: OPSCONDUCTOR_<POOL>_LISTEN (a unix socket path or
# host:port) or the socket under var/run.
pool_upstream() {
	local pool=$1 name listen
	name=OPSCONDUCTOR_$(printf '%s' "$pool" | tr 'a-z-' 'A-Z_')_LISTEN
	listen=${!name:-}
	if [ -z "$listen" ]; then
		printf 'unix:%s/run/%s.sock' "$OC_VAR" "$pool"
	elif [[ $listen == /* ]]; then
		oc_check_path "$name" "$listen"
		printf 'unix:%s' "$listen"
	elif [[ $listen =~ ^[A-Za-z0-9.:\[\]-]+:[0-9]{1,5}$ ]]; then
		printf '%s' "$listen"
	else
		oc_die "$name must be a unix socket path or host:port (got '$listen')"
	fi
}

nginx_render() {
	local out=$OC_VAR/nginx tmpl=$OC_ROOT/nginx conf_dir pool text v
	local locations='' upstreams='' http_server='' extra='' user_directive=''
	local -A SUBST=()

	conf_dir=$(nginx -V 2>&1 | tr ' ' '\n' | sed -n 's/^--conf-path=//p')
	conf_dir=$(dirname "${conf_dir:-/etc/nginx/nginx.conf}")
	[ -r "$conf_dir/mime.types" ] ||
		oc_die "nginx's mime.types not found in $conf_dir"
	for v in uwsgi scgi; do
		if ! nginx -V 2>&1 | grep -q -- "--without-http_${v}_module"; then
			extra+="	${v}_temp_path $OC_VAR/nginx/tmp/$v;"$'\n'
		fi
	done
	# Privileged ports need a root master; its workers still drop to the
	# service user.
	if [ "${OC_NGINX_AS_ROOT:-0}" = 1 ]; then
		user_directive="user $OC_SVC_USER $OC_SVC_USER;"
	fi

	SUBST=([VAR]=$OC_VAR [LISTEN_HOST]=$OC_LISTEN_HOST
		[HTTPS_PORT]=$OC_HTTPS_PORT [HTTP_PORT]=$OC_HTTP_PORT
		[TLS_CERT]=$OC_TLS_CERT [TLS_KEY]=$OC_TLS_KEY
		[WEB_ROOT]=$OC_WEB_ROOT [NGINX_CONF_DIR]=$conf_dir
		[API_RATE]=$OC_API_RATE [API_BURST]=$OC_API_BURST
		[LOGIN_RATE]=$OC_LOGIN_RATE [LOGIN_BURST]=$OC_LOGIN_BURST
		[USER_DIRECTIVE]=$user_directive [EXTRA_TEMP_PATHS]=$extra)
	if [ "$OC_HTTPS_PORT" = 443 ]; then
		SUBST[HTTPS_SUFFIX]=''
	else
		SUBST[HTTPS_SUFFIX]=":$OC_HTTPS_PORT"
	fi

	oc_pools
	for pool in "${OC_POOLS[@]}"; do
		if [ ! -r "$tmpl/pools/$pool.conf.in" ]; then
			continue # a program with no HTTP routes (the worker)
		fi
		SUBST[UPSTREAM]=oc_$pool
		text=$(<"$tmpl/pools/$pool.conf.in")
		locations+=$(render "$text")$'\n'
		upstreams+="	upstream oc_$pool {"$'\n'
		upstreams+="		server $(pool_upstream "$pool");"$'\n'
		# Idle connections each nginx worker keeps to the pool (used
		# where fastcgi_keep_conn is on).
		upstreams+="		keepalive 32;"$'\n'
		upstreams+="	}"$'\n'
	done
	unset 'SUBST[UPSTREAM]'
	if [ "$OC_HTTP_PORT" != 0 ]; then
		http_server=$(render "$(<"$tmpl/http-redirect.conf.in")")
	fi

	mkdir -p "$out/tmp"
	render "$(<"$tmpl/headers.conf.in")" >"$out/headers.conf.new"
	render "$(<"$tmpl/problem.conf.in")" >"$out/problem.conf.new"
	render "$(<"$tmpl/fastcgi.conf.in")" >"$out/fastcgi.conf.new"
	SUBST[POOL_LOCATIONS]=$locations
	SUBST[UPSTREAMS]=$upstreams
	SUBST[HTTP_SERVER]=$http_server
	render "$(<"$tmpl/nginx.conf.in")" >"$out/nginx.conf.new"
	for v in headers problem fastcgi nginx; do
		mv -f "$out/$v.conf.new" "$out/$v.conf"
	done
}

# nginx -t as the user that will run nginx.
nginx_test() {
	local out
	if [ "${OC_NGINX_AS_ROOT:-0}" = 1 ]; then
		out=$(nginx -t -q -p "$OC_VAR/nginx" -c "$OC_VAR/nginx/nginx.conf" \
			-e "$OC_VAR/log/nginx-error.log" 2>&1) || {
			printf '%s\n' "$out" >&2
			oc_die "the rendered nginx configuration $OC_VAR/nginx/nginx.conf is invalid"
		}
	else
		out=$(oc_as_svc nginx -t -q -p "$OC_VAR/nginx" \
			-c "$OC_VAR/nginx/nginx.conf" \
			-e "$OC_VAR/log/nginx-error.log" 2>&1) || {
			printf '%s\n' "$out" >&2
			oc_die "the rendered nginx configuration $OC_VAR/nginx/nginx.conf is invalid"
		}
	fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	oc_config
	oc_svc_setup
	nginx_render
	if [ "${1:-}" != --no-test ]; then
		nginx_test
	fi
	oc_say "rendered $OC_VAR/nginx/nginx.conf"
fi
