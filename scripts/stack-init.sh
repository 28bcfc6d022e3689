# shellcheck shell=bash
# First-run setup of a stack, idempotent: directories, keys, the TLS
# certificate, the private PostgreSQL cluster, migrations, role passwords
# and the first admin. Sourced by stack.sh.

# Runs "$@" as the service user with a umask that keeps files private.
init_as_svc() {
	(umask 077 && oc_as_svc "$@")
}

# Makes each directory (as the service user) with mode $1.
init_dirs() {
	local mode=$1 d
	shift
	for d in "$@"; do
		if [ ! -d "$d" ]; then
			init_as_svc mkdir -p "$d"
		fi
		init_as_svc chmod "$mode" "$d"
	done
}

# Generates file $1 with the command in "$2..." (which writes to "$1.new")
# unless it exists; mode 0600, owned by the service user.
init_secret() {
	local f=$1
	shift
	[ -s "$f" ] && return 0
	rm -f "$f.new"
	init_as_svc "$@" >/dev/null 2>&1 ||
		oc_die "could not generate $f (openssl: $*)"
	init_as_svc chmod 0600 "$f.new"
	mv -f "$f.new" "$f"
}

init_random_password() {
	local f=$1
	[ -s "$f" ] && return 0
	init_as_svc sh -c 'openssl rand -hex 24 >"$1"' sh "$f.new" ||
		oc_die "could not generate $f"
	mv -f "$f.new" "$f"
}

# The service user must reach var/, the web root and the programs.
init_check_reach() {
	local pool
	oc_is_root || return 0
	if ! oc_as_svc test -w "$OC_VAR" -a -x "$OC_VAR" 2>/dev/null; then
		oc_die "the service user $OC_SVC_USER cannot reach $OC_VAR (a parent directory is not traversable for it, e.g. /root); set OPSCONDUCTOR_VAR to a directory under a path it can traverse, such as /var/lib/opsconductor"
	fi
	if ! oc_as_svc test -r "$OC_WEB_ROOT/index.html" 2>/dev/null; then
		oc_die "the service user $OC_SVC_USER cannot read $OC_WEB_ROOT/index.html (nginx serves it as that user); put the repository under a path every user can traverse (e.g. /opt or /srv)"
	fi
	for pool in ${OC_POOLS[@]+"${OC_POOLS[@]}"}; do
		if ! oc_as_svc test -x "$OC_BUILD/bin/oc-$pool" 2>/dev/null; then
			oc_die "the service user $OC_SVC_USER cannot execute $OC_BUILD/bin/oc-$pool; put the repository under a path every user can traverse (e.g. /opt or /srv)"
		fi
	done
}

init_tls() {
	local san="DNS:localhost,IP:127.0.0.1" dir=$OC_VAR/tls
	[ "$OC_TLS_GENERATED" = 1 ] || return 0
	case $OC_BIND in
	127.0.0.1 | 0.0.0.0 | ::) ;;
	*) san+=",IP:$OC_BIND" ;;
	esac
	case $OC_BIND in
	0.0.0.0 | ::) san+=",DNS:$(hostname -f 2>/dev/null || hostname)" ;;
	esac
	if [ -s "$OC_TLS_CERT" ] && [ -s "$OC_TLS_KEY" ] &&
		[ "$(cat "$dir/san.txt" 2>/dev/null)" = "$san" ]; then
		return 0
	fi
	rm -f "$dir/key.pem.new" "$dir/cert.pem.new"
	init_as_svc openssl req -x509 -newkey ec \
		-pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
		-subj /CN=localhost -addext "subjectAltName=$san" \
		-keyout "$dir/key.pem.new" -out "$dir/cert.pem.new" \
		>/dev/null 2>&1 || oc_die "could not generate the TLS certificate in $dir"
	mv -f "$dir/key.pem.new" "$OC_TLS_KEY"
	mv -f "$dir/cert.pem.new" "$OC_TLS_CERT"
	init_as_svc sh -c 'printf "%s\n" "$1" >"$2"' sh "$san" "$dir/san.txt"
	oc_say "generated a self-signed TLS certificate for $san"
}

init_keys() {
	local k=$OC_VAR/keys
	init_secret "$k/jwt-signing.pem" openssl genpkey -algorithm EC \
		-pkeyopt ec_paramgen_curve:P-256 -out "$k/jwt-signing.pem.new"
	# The public half is derived again whenever it is missing.
	init_secret "$k/jwt-verify.pem" openssl pkey -in "$k/jwt-signing.pem" \
		-pubout -out "$k/jwt-verify.pem.new"
	init_secret "$k/identity-secret.key" openssl rand \
		-out "$k/identity-secret.key.new" 32
	# Secrets at rest: the first X25519 key pair (version 1). The pools
	# read only v<N>.pub; the worker reads v<N>.key. Rotation adds v<N+1>.
	if ! ls "$k/secrets"/v*.pub >/dev/null 2>&1; then
		init_secret "$k/secrets/v1.key" openssl genpkey \
			-algorithm X25519 -out "$k/secrets/v1.key.new"
		init_secret "$k/secrets/v1.pub" openssl pkey \
			-in "$k/secrets/v1.key" -pubout -out "$k/secrets/v1.pub.new"
	fi
	if [ -z "$OC_EXTERNAL_DB" ]; then
		init_random_password "$k/db/opsconductor.password"
		init_as_svc sh -c 'printf "*:*:*:opsconductor:%s\n" "$(cat "$1")" >"$2"' \
			sh "$k/db/opsconductor.password" "$k/pgpass.new"
		mv -f "$k/pgpass.new" "$k/pgpass"
	fi
}

init_cluster() {
	local pg=$OC_VAR/pg
	[ -z "$OC_EXTERNAL_DB" ] || return 0
	if [ -s "$pg/PG_VERSION" ]; then
		return 0
	fi
	if [ -n "$(ls -A "$pg" 2>/dev/null)" ]; then
		oc_die "$pg is not empty but holds no PostgreSQL cluster; move it away or choose another OPSCONDUCTOR_VAR"
	fi
	oc_pg_bin
	oc_say "creating the PostgreSQL cluster in $pg"
	if ! init_as_svc "$OC_PG_BIN/initdb" -D "$pg" -U opsconductor \
		--pwfile="$OC_VAR/keys/db/opsconductor.password" \
		--auth-local=scram-sha-256 --auth-host=scram-sha-256 \
		-E UTF8 --locale=C.UTF-8 >"$OC_VAR/log/initdb.log" 2>&1; then
		log_tail "$OC_VAR/log/initdb.log"
		oc_die "initdb failed (log: $OC_VAR/log/initdb.log)"
	fi
	init_as_svc sh -c 'printf "\n# OpsConductor settings (rewritten on every start)\ninclude_if_exists = '"'"'opsconductor.conf'"'"'\n" >>"$1"' \
		sh "$pg/postgresql.conf"
}

# The settings that follow configuration, rewritten on every start.
pg_write_conf() {
	[ -z "$OC_EXTERNAL_DB" ] || return 0
	init_as_svc sh -c 'cat >"$1"' sh "$OC_VAR/pg/opsconductor.conf.new" <<-EOF
		# Written by scripts/stack.sh on every start; edit the environment instead.
		listen_addresses = ''
		unix_socket_directories = '$OC_VAR/run'
		unix_socket_permissions = 0770
		port = $OC_PG_PORT
		max_connections = 200
		password_encryption = 'scram-sha-256'
		log_destination = 'stderr'
		logging_collector = off
		log_line_prefix = '%m [%p] %q%u@%d '
		log_min_duration_statement = 1000
		log_connections = off
		log_disconnections = off
	EOF
	mv -f "$OC_VAR/pg/opsconductor.conf.new" "$OC_VAR/pg/opsconductor.conf"
}

stack_init() {
	if [ ! -s "$OC_WEB_ROOT/index.html" ]; then
		"$OC_ROOT/scripts/web-build.sh"
	fi
	if [ ! -d "$OC_VAR" ]; then
		mkdir -p "$OC_VAR" || oc_die "cannot create OPSCONDUCTOR_VAR=$OC_VAR"
	fi
	if oc_is_root && [ "$(stat -c %U "$OC_VAR")" != "$OC_SVC_USER" ]; then
		chown -R "$OC_SVC_USER:$OC_SVC_USER" "$OC_VAR"
	elif ! oc_is_root && [ ! -w "$OC_VAR" ]; then
		oc_die "OPSCONDUCTOR_VAR=$OC_VAR is not writable by $(id -un)"
	fi
	chmod 0750 "$OC_VAR"
	init_check_reach
	init_dirs 0700 "$OC_VAR/keys" "$OC_VAR/keys/db" "$OC_VAR/keys/secrets" \
		"$OC_VAR/tls"
	[ -n "$OC_EXTERNAL_DB" ] || init_dirs 0700 "$OC_VAR/pg"
	init_dirs 0750 "$OC_VAR/run" "$OC_VAR/log" "$OC_VAR/nginx" \
		"$OC_VAR/nginx/tmp"
	init_keys
	init_tls
	init_cluster
	oc_admin_db
}

psql_admin() {
	psql -X -q -v ON_ERROR_STOP=1 -d "$OC_ADMIN_DB" "$@"
}

# Database, migrations, and a password for every login role oc_*.
stack_db_setup() {
	local role f
	oc_admin_db
	if [ -z "$OC_EXTERNAL_DB" ]; then
		if [ "$(psql -X -At -d "host=$OC_VAR/run port=$OC_PG_PORT dbname=postgres user=opsconductor" \
			-c "SELECT count(*) FROM pg_database WHERE datname = 'opsconductor'")" != 1 ]; then
			psql -X -q -v ON_ERROR_STOP=1 \
				-d "host=$OC_VAR/run port=$OC_PG_PORT dbname=postgres user=opsconductor" \
				-c 'CREATE DATABASE opsconductor' ||
				oc_die "could not create the database opsconductor"
		fi
	else
		PGCONNECT_TIMEOUT=10 psql_admin -At -c 'SELECT 1' >/dev/null ||
			oc_die "cannot connect to OPSCONDUCTOR_DATABASE_URL (see the message above)"
	fi
	"$OC_ROOT/scripts/migrate.sh" "$OC_ADMIN_DB" ||
		oc_die "migrations failed"
	for role in $(psql_admin -At -c \
		"SELECT rolname FROM pg_roles WHERE rolname ~ '^oc_[a-z_]+$' AND rolcanlogin ORDER BY 1"); do
		f=$OC_VAR/keys/db/$role.password
		init_random_password "$f"
		# Only the SCRAM verifier travels, read by psql from a file.
		psql_admin -v role="$role" -v scram="$OC_ROOT/scripts/scram-verifier.pl" \
			-v pwfile="$f" >/dev/null <<-'EOF' ||
			\set verifier `:'scram' :'pwfile'`
			ALTER ROLE :"role" PASSWORD :'verifier';
		EOF
			oc_die "could not set the password of role $role"
	done
}

# The first admin: from OPSCONDUCTOR_ADMIN_PASSWORD or generated (then
# printed once by the caller through OC_ADMIN_GENERATED_PW).
stack_admin() {
	local marker=$OC_VAR/admin.created pw gen=0 rc try
	[ -e "$marker" ] && return 0
	for try in 1 2 3; do
		if [ -n "${OPSCONDUCTOR_ADMIN_PASSWORD:-}" ]; then
			pw=$OPSCONDUCTOR_ADMIN_PASSWORD
		else
			pw=$(openssl rand -base64 48 | tr -dc 'A-HJ-NP-Za-km-z2-9' | cut -c1-20)
			gen=1
		fi
		rc=0
		printf '%s\n' "$pw" | "${OC_ENV[@]}" "${OC_SVC_PREFIX[@]}" \
			"$OC_BUILD/bin/oc-identity" create-admin "$OC_ADMIN_USER" \
			>>"$OC_VAR/log/identity.log" 2>"$OC_VAR/log/create-admin.err" || rc=$?
		case $rc in
		0)
			oc_say "created the admin user $OC_ADMIN_USER"
			[ "$gen" = 1 ] && OC_ADMIN_GENERATED_PW=$pw
			break
			;;
		3) break ;; # an admin exists already
		*)
			if [ "$gen" = 1 ] && [ "$rc" = 1 ] && [ "$try" -lt 3 ]; then
				continue # a generated password the policy refused
			fi
			cat "$OC_VAR/log/create-admin.err" >&2
			rm -f "$OC_VAR/log/create-admin.err"
			if [ "$gen" = 0 ]; then
				oc_die "could not create the admin user $OC_ADMIN_USER with OPSCONDUCTOR_ADMIN_PASSWORD (exit $rc; see above)"
			fi
			oc_die "could not create the admin user $OC_ADMIN_USER (exit $rc; see above)"
			;;
		esac
	done
	cat "$OC_VAR/log/create-admin.err" >>"$OC_VAR/log/identity.log" 2>/dev/null || true
	rm -f "$OC_VAR/log/create-admin.err"
	date -u +%FT%TZ >"$marker"
}
