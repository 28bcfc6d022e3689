# shellcheck shell=bash
# Shared shell helpers for the stack scripts: messages, configuration,
# the service user, process checks. Sourced, never run.

OC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
OC_SVC_USER=opsconductor
OC_PG_BIN=

oc_say() { printf 'opsconductor: %s\n' "$*" >&2; }
oc_die() { printf 'opsconductor: error: %s\n' "$*" >&2; exit 1; }

oc_is_root() { [ "$(id -u)" = 0 ]; }

# The PostgreSQL server binaries (initdb, pg_ctl) are not on PATH on Debian.
oc_pg_bin() {
	local d v
	if [ -n "$OC_PG_BIN" ]; then
		return 0
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null)
		if [ -x "$d/initdb" ]; then
			OC_PG_BIN=$d
			return 0
		fi
	fi
	for v in $(ls /usr/lib/postgresql 2>/dev/null | sort -rn); do
		if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then
			if [ "$v" -lt 15 ]; then
				oc_die "PostgreSQL $v found, 15 or later is needed (run: make deps)"
			fi
			OC_PG_BIN=/usr/lib/postgresql/$v/bin
			return 0
		fi
	done
	if command -v initdb >/dev/null 2>&1; then
		OC_PG_BIN=$(dirname "$(command -v initdb)")
		return 0
	fi
	oc_die "PostgreSQL server programs (initdb, pg_ctl) not found; install postgresql (make deps)"
}

# A path that is safe to put into nginx, postgresql.conf and conninfo
# strings without quoting trouble.
oc_check_path() {
	local name=$1 value=$2
	case $value in
	/*) ;;
	*) oc_die "$name must be an absolute path (got '$value')" ;;
	esac
	if ! [[ $value =~ ^[A-Za-z0-9._/+@=-]+$ ]]; then
		oc_die "$name='$value' contains characters other than letters, digits and ._/+@=- (spaces and quotes are not supported)"
	fi
}

oc_check_port() {
	local name=$1 value=$2 min=${3:-1}
	if ! [[ $value =~ ^[0-9]{1,5}$ ]] || [ "$value" -lt "$min" ] ||
		[ "$value" -gt 65535 ]; then
		oc_die "$name must be a port number $min..65535 (got '$value')"
	fi
}

oc_check_int() {
	local name=$1 value=$2 min=$3 max=$4
	if ! [[ $value =~ ^[0-9]{1,9}$ ]] || [ "$value" -lt "$min" ] ||
		[ "$value" -gt "$max" ]; then
		oc_die "$name must be an integer $min..$max (got '$value')"
	fi
}

# Reads and validates every OPSCONDUCTOR_* setting the scripts use into
# OC_* shell variables. Defaults bind to loopback only.
oc_config() {
	local v
	v=${OPSCONDUCTOR_VAR:-$OC_ROOT/var}
	case $v in
	/*) ;;
	*) v=$PWD/$v ;;
	esac
	v=$(realpath -m -- "$v")
	oc_check_path OPSCONDUCTOR_VAR "$v"
	OC_VAR=$v
	# A unix socket path is limited to 107 bytes.
	if [ $((${#OC_VAR} + 24)) -gt 107 ]; then
		oc_die "OPSCONDUCTOR_VAR='$OC_VAR' is too long for unix socket paths under it (at most 83 characters)"
	fi

	OC_BIND=${OPSCONDUCTOR_BIND:-127.0.0.1}
	if [[ $OC_BIND =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then
		OC_LISTEN_HOST=$OC_BIND
		OC_URL_HOST=$OC_BIND
		OC_PROBE_HOST=$OC_BIND
		[ "$OC_BIND" = 0.0.0.0 ] && OC_PROBE_HOST=127.0.0.1
	elif [[ $OC_BIND =~ ^[0-9A-Fa-f:]+$ && $OC_BIND == *:* ]]; then
		OC_LISTEN_HOST="[$OC_BIND]"
		OC_URL_HOST="[$OC_BIND]"
		OC_PROBE_HOST="[$OC_BIND]"
		[ "$OC_BIND" = :: ] && OC_PROBE_HOST="[::1]"
	else
		oc_die "OPSCONDUCTOR_BIND must be an IPv4 or IPv6 address (got '$OC_BIND')"
	fi

	OC_HTTPS_PORT=${OPSCONDUCTOR_HTTPS_PORT:-8443}
	oc_check_port OPSCONDUCTOR_HTTPS_PORT "$OC_HTTPS_PORT"
	OC_HTTP_PORT=${OPSCONDUCTOR_HTTP_PORT:-8080}
	oc_check_port OPSCONDUCTOR_HTTP_PORT "$OC_HTTP_PORT" 0
	if [ "$OC_HTTP_PORT" = "$OC_HTTPS_PORT" ]; then
		oc_die "OPSCONDUCTOR_HTTP_PORT and OPSCONDUCTOR_HTTPS_PORT must differ (both $OC_HTTP_PORT)"
	fi
	OC_PG_PORT=${OPSCONDUCTOR_PG_PORT:-5432}
	oc_check_port OPSCONDUCTOR_PG_PORT "$OC_PG_PORT"

	OC_EXTERNAL_DB=${OPSCONDUCTOR_DATABASE_URL:-}
	if [ -n "$OC_EXTERNAL_DB" ]; then
		OC_DB_URL=$OC_EXTERNAL_DB
	else
		OC_DB_URL="host=$OC_VAR/run port=$OC_PG_PORT dbname=opsconductor"
	fi

	OC_ADMIN_USER=${OPSCONDUCTOR_ADMIN_USER:-admin}
	if ! [[ $OC_ADMIN_USER =~ ^[a-z0-9][a-z0-9._-]{1,63}$ ]]; then
		oc_die "OPSCONDUCTOR_ADMIN_USER must be 2..64 characters of a-z 0-9 . _ - starting with a letter or digit (got '$OC_ADMIN_USER')"
	fi
	if [ -n "${OPSCONDUCTOR_POOL_WORKERS:-}" ]; then
		oc_check_int OPSCONDUCTOR_POOL_WORKERS "$OPSCONDUCTOR_POOL_WORKERS" 1 256
	fi

	OC_TLS_CERT=${OPSCONDUCTOR_TLS_CERT:-}
	OC_TLS_KEY=${OPSCONDUCTOR_TLS_KEY:-}
	if [ -n "$OC_TLS_CERT" ] || [ -n "$OC_TLS_KEY" ]; then
		[ -n "$OC_TLS_CERT" ] || oc_die "OPSCONDUCTOR_TLS_KEY is set but OPSCONDUCTOR_TLS_CERT is not: set both or neither"
		[ -n "$OC_TLS_KEY" ] || oc_die "OPSCONDUCTOR_TLS_CERT is set but OPSCONDUCTOR_TLS_KEY is not: set both or neither"
		oc_check_path OPSCONDUCTOR_TLS_CERT "$OC_TLS_CERT"
		oc_check_path OPSCONDUCTOR_TLS_KEY "$OC_TLS_KEY"
		[ -r "$OC_TLS_CERT" ] || oc_die "OPSCONDUCTOR_TLS_CERT=$OC_TLS_CERT is not a readable file"
		[ -r "$OC_TLS_KEY" ] || oc_die "OPSCONDUCTOR_TLS_KEY=$OC_TLS_KEY is not a readable file"
		OC_TLS_GENERATED=0
	else
		OC_TLS_CERT=$OC_VAR/tls/cert.pem
		OC_TLS_KEY=$OC_VAR/tls/key.pem
		OC_TLS_GENERATED=1
	fi

	OC_API_RATE=${OPSCONDUCTOR_API_RATE:-1000}
	oc_check_int OPSCONDUCTOR_API_RATE "$OC_API_RATE" 1 1000000
	OC_API_BURST=${OPSCONDUCTOR_API_BURST:-$OC_API_RATE}
	oc_check_int OPSCONDUCTOR_API_BURST "$OC_API_BURST" 0 1000000
	OC_LOGIN_RATE=${OPSCONDUCTOR_LOGIN_RATE:-5}
	oc_check_int OPSCONDUCTOR_LOGIN_RATE "$OC_LOGIN_RATE" 1 1000000
	OC_LOGIN_BURST=${OPSCONDUCTOR_LOGIN_BURST:-20}
	oc_check_int OPSCONDUCTOR_LOGIN_BURST "$OC_LOGIN_BURST" 0 1000000

	OC_BUILD=${BUILD:-build}
	case $OC_BUILD in
	/*) ;;
	*) OC_BUILD=$OC_ROOT/$OC_BUILD ;;
	esac
	OC_WEB_ROOT=$OC_ROOT/web/dist
}

# The service user: root hands everything to it, others run as themselves.
oc_svc_setup() {
	local low
	low=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
	OC_NGINX_AS_ROOT=0
	if [ "$OC_HTTPS_PORT" -lt "$low" ] ||
		{ [ "$OC_HTTP_PORT" != 0 ] && [ "$OC_HTTP_PORT" -lt "$low" ]; }; then
		# Privileged ports: nginx's master must be root to bind them;
		# its workers still run as the service user.
		oc_is_root || oc_die "ports below $low (OPSCONDUCTOR_HTTPS_PORT=$OC_HTTPS_PORT, OPSCONDUCTOR_HTTP_PORT=$OC_HTTP_PORT) need root; use higher ports or run as root"
		OC_NGINX_AS_ROOT=1
	fi
	if ! oc_is_root; then
		OC_RUN_USER=$(id -un)
		return 0
	fi
	OC_RUN_USER=$OC_SVC_USER
	if ! getent passwd "$OC_SVC_USER" >/dev/null; then
		oc_say "creating system user $OC_SVC_USER"
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$OC_SVC_USER" ||
			oc_die "could not create the system user $OC_SVC_USER"
	fi
}

# Runs a command as the service user (exec, no extra process in between,
# so pids and signals reach the program itself).
oc_as_svc() {
	if oc_is_root; then
		setpriv --reuid="$OC_SVC_USER" --regid="$OC_SVC_USER" \
			--init-groups -- "$@"
	else
		"$@"
	fi
}

# True when the pid in file $1 is alive and its command line contains $2.
oc_pid_alive() {
	local file=$1 want=$2 pid
	[ -r "$file" ] || return 1
	pid=$(head -n1 "$file" 2>/dev/null)
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$want" || return 1
	OC_PID=$pid
	return 0
}

# The environment a program of the stack gets: only OPSCONDUCTOR_*
# (without the admin password), sanitizer options, and a few basics.
oc_svc_env() {
	local n
	OC_ENV=(env -i "PATH=/usr/local/bin:/usr/bin:/bin"
		"HOME=$OC_VAR" "LANG=C.UTF-8" "TZ=${TZ:-UTC}")
	while IFS= read -r n; do
		case $n in
		OPSCONDUCTOR_ADMIN_PASSWORD | OPSCONDUCTOR_VAR | \
			OPSCONDUCTOR_DATABASE_URL) ;;
		OPSCONDUCTOR_* | ASAN_OPTIONS | UBSAN_OPTIONS | LSAN_OPTIONS)
			OC_ENV+=("$n=${!n}")
			;;
		esac
	done < <(compgen -e)
	OC_ENV+=("OPSCONDUCTOR_VAR=$OC_VAR"
		"OPSCONDUCTOR_DATABASE_URL=$(oc_strip_password "$OC_DB_URL")")
	# Health is degraded while any program this stack starts is down.
	if [ -z "${OPSCONDUCTOR_REQUIRED_COMPONENTS:-}" ]; then
		oc_pools
		OC_ENV+=("OPSCONDUCTOR_REQUIRED_COMPONENTS=$(
			IFS=,
			echo "${OC_POOLS[*]}"
		)")
	fi
}

# The pools log in as their own roles with their own passwords: the
# migration role's password in the URL must not reach them.
oc_strip_password() {
	printf '%s' "$1" | sed -E \
		-e "s/(^|[[:space:]])password[[:space:]]*=[[:space:]]*('([^'\\\\]|\\\\.)*'|[^[:space:]]*)//g" \
		-e 's#^(postgres(ql)?://[^:/@]*):[^@]*@#\1@#' \
		-e 's/([?&])password=[^&]*&?/\1/'
}

# The pool programs that exist in the build: identity, assets, ...
oc_pools() {
	local f
	OC_POOLS=()
	for f in "$OC_BUILD"/bin/oc-*; do
		[ -x "$f" ] || continue
		OC_POOLS+=("${f##*/oc-}")
	done
}

# Database superuser connection for scripts: the private cluster through
# the pgpass file, or the external OPSCONDUCTOR_DATABASE_URL as given.
oc_admin_db() {
	if [ -n "$OC_EXTERNAL_DB" ]; then
		OC_ADMIN_DB=$OC_EXTERNAL_DB
	else
		OC_ADMIN_DB="host=$OC_VAR/run port=$OC_PG_PORT dbname=opsconductor user=opsconductor"
		export PGPASSFILE=$OC_VAR/keys/pgpass
	fi
}
