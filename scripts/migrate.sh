#!/usr/bin/env bash
# Applies the numbered migrations in sql/ once each, in order, each in its
# own transaction with its record in core.migrations.
#
# Usage: scripts/migrate.sh [CONNINFO]
#   CONNINFO defaults to OPSCONDUCTOR_DATABASE_URL, else the private cluster
#   of OPSCONDUCTOR_VAR (default var/) as its superuser. The role must be able
#   to create schemas, extensions and roles.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Every migrator of every version takes the same advisory lock, the fixed
# key 7031123001 written into the SQL below.

if [ $# -gt 1 ]; then
	echo "usage: scripts/migrate.sh [CONNINFO]" >&2
	exit 2
fi
if [ $# -eq 1 ]; then
	DB=$1
else
	oc_config
	oc_admin_db
	DB=$OC_ADMIN_DB
fi
SQL_DIR=${OC_SQL_DIR:-$OC_ROOT/sql}

export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

psql_run() {
	psql -X -q -v ON_ERROR_STOP=1 --no-psqlrc -d "$DB" "$@"
}

# The bookkeeping table, created under the same lock as migrations.
psql_run <<-'EOF' >/dev/null
	BEGIN;
	SELECT pg_advisory_xact_lock(7031123001);
	CREATE SCHEMA IF NOT EXISTS core;
	CREATE TABLE IF NOT EXISTS core.migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		checksum   text NOT NULL,          -- sha256 hex of the file
		applied_at timestamptz NOT NULL DEFAULT now()
	);
	COMMIT;
EOF

declare -A applied_sum=() applied_name=()
while IFS='|' read -r ver name sum; do
	[ -n "$ver" ] || continue
	applied_sum[$ver]=$sum
	applied_name[$ver]=$name
done < <(psql_run -At -F'|' -c \
	'SELECT version, name, checksum FROM core.migrations ORDER BY version')

declare -A seen=()
files=()
for f in "$SQL_DIR"/*.sql; do
	[ -e "$f" ] || continue
	base=${f##*/}
	if ! [[ $base =~ ^([0-9]+)_([A-Za-z0-9_-]+)\.sql$ ]]; then
		oc_die "migration file name '$base' does not match NNN_name.sql"
	fi
	ver=$((10#${BASH_REMATCH[1]}))
	if [ -n "${seen[$ver]:-}" ]; then
		oc_die "two migration files have version $ver: ${seen[$ver]} and $base"
	fi
	seen[$ver]=$base
	if grep -Eiq '^[[:space:]]*(BEGIN([[:space:]]+(WORK|TRANSACTION))?|COMMIT|ROLLBACK|START[[:space:]]+TRANSACTION)[[:space:]]*;' "$f"; then
		oc_die "$base controls transactions itself; migration files must not (each runs in its own transaction)"
	fi
	files+=("$ver|${BASH_REMATCH[2]}|$f")
done

# Refuse before changing anything when history was rewritten.
for entry in "${files[@]}"; do
	IFS='|' read -r ver name f <<<"$entry"
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	if [ -n "${applied_sum[$ver]:-}" ] && [ "${applied_sum[$ver]}" != "$sum" ]; then
		oc_die "migration $ver (${f##*/}) was changed after it was applied (checksum ${applied_sum[$ver]:0:12}... in the database, ${sum:0:12}... on disk); add a new migration instead of editing an applied one"
	fi
done
for ver in "${!applied_sum[@]}"; do
	if [ -z "${seen[$ver]:-}" ]; then
		oc_say "warning: the database has migration $ver (${applied_name[$ver]}) that is not in $SQL_DIR (a newer version applied it?)"
	fi
done

count=0
mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -t'|' -k1,1n)
for entry in "${files[@]}"; do
	IFS='|' read -r ver name f <<<"$entry"
	[ -n "${applied_sum[$ver]:-}" ] && continue
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	# Re-checked under the lock: another migrator may have won the race.
	out=$(psql_run -At -v ver="$ver" -v name="$name" -v sum="$sum" \
		-v file="$f" <<-'EOF'
		BEGIN;
		SELECT pg_advisory_xact_lock(7031123001) \gset lock_
		SELECT count(*) = 1 AS done, coalesce(bool_or(checksum <> :'sum'), false) AS changed
		  FROM core.migrations WHERE version = :ver \gset
		\if :changed
		DO $$ BEGIN RAISE EXCEPTION 'migration was applied concurrently with a different checksum'; END $$;
		\elif :done
		COMMIT;
		\echo skipped
		\else
		\i :file
		INSERT INTO core.migrations (version, name, checksum)
		VALUES (:ver, :'name', :'sum');
		COMMIT;
		\echo applied
		\endif
	EOF
	) || oc_die "migration ${f##*/} failed; nothing of it was applied (see the message above)"
	if [ "$(printf '%s\n' "$out" | tail -n1)" = applied ]; then
		oc_say "applied migration ${f##*/}"
		count=$((count + 1))
	fi
done
if [ "$count" -eq 0 ] && [ -n "${OC_MIGRATE_VERBOSE:-}" ]; then
	oc_say "database schema is up to date"
fi
exit 0
