-- Core schema: component heartbeats and the audit trail shared by every domain.
-- (core.migrations itself is created by scripts/migrate.sh before this runs.)

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- One row per running process (pool master, pool child, worker, events).
CREATE TABLE core.components (
	id           text PRIMARY KEY,          -- kind:host:pid
	kind         text NOT NULL,             -- identity, assets, worker, ...
	role         text NOT NULL CHECK (role IN ('master', 'child', 'process')),
	host         text NOT NULL,
	pid          integer NOT NULL,
	started_at   timestamptz NOT NULL DEFAULT now(),
	heartbeat_at timestamptz NOT NULL DEFAULT now(),
	state        text NOT NULL CHECK (state IN ('up', 'stopping', 'stopped')),
	info         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX components_kind ON core.components (kind, heartbeat_at);

-- Every mutation, written in the transaction that made it.
CREATE TABLE core.audit_events (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at           timestamptz NOT NULL DEFAULT now(),
	actor_id     uuid,                      -- NULL for the system
	actor_name   text NOT NULL,             -- username, or 'system'
	via_api_key  uuid,
	action       text NOT NULL,             -- e.g. user.create
	entity_type  text NOT NULL,
	entity_id    text,
	before       jsonb,
	after        jsonb,
	source_addr  text,
	request_id   text
);
CREATE INDEX audit_events_at ON core.audit_events (at DESC);
CREATE INDEX audit_events_entity ON core.audit_events (entity_type, entity_id);
CREATE INDEX audit_events_actor ON core.audit_events (actor_id, at DESC);

-- Roles: one per pool, each granted only what it needs in later files.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oc_identity') THEN
		CREATE ROLE oc_identity LOGIN;
	END IF;
END
$$;

GRANT USAGE ON SCHEMA core TO oc_identity;
GRANT SELECT, INSERT, UPDATE, DELETE ON core.components TO oc_identity;
GRANT INSERT ON core.audit_events TO oc_identity;
