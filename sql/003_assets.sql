-- Assets: targets, groups, sealed credentials, network discovery, and the
-- generic task queue (core.tasks) the worker claims short work from.

CREATE SCHEMA assets;

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oc_assets') THEN
		CREATE ROLE oc_assets LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oc_worker') THEN
		CREATE ROLE oc_worker LOGIN;
	END IF;
END
$$;

-- Short work for the worker (connection tests, scans). States match
-- enum task_state in worker/task.h.
CREATE TABLE core.tasks (
	id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	kind             text NOT NULL
		CHECK (kind IN ('target.test', 'discovery.scan')),
	state            text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'running', 'succeeded', 'failed',
				 'canceled')),
	payload          jsonb NOT NULL,
	result           jsonb,
	error            text,
	attempts         integer NOT NULL DEFAULT 0,
	max_attempts     integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
	lease_owner      text,
	lease_expires_at timestamptz,
	run_after        timestamptz NOT NULL DEFAULT now(),
	cancel_requested boolean NOT NULL DEFAULT false,
	created_by       uuid,
	created_at       timestamptz NOT NULL DEFAULT now(),
	started_at       timestamptz,
	finished_at      timestamptz
);
CREATE INDEX tasks_queued ON core.tasks (run_after) WHERE state = 'queued';
CREATE INDEX tasks_leases ON core.tasks (lease_expires_at)
	WHERE state = 'running';
CREATE INDEX tasks_created ON core.tasks (created_at DESC);

-- Wakes the workers (LISTEN oc_tasks); the payload is the kind. Equal
-- notifications of one transaction are folded into one by PostgreSQL.
CREATE FUNCTION core.tasks_notify() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	PERFORM pg_notify('oc_tasks', NEW.kind);
	RETURN NULL;
END
$$;
CREATE TRIGGER tasks_notify AFTER INSERT ON core.tasks
	FOR EACH ROW EXECUTE FUNCTION core.tasks_notify();

-- Credentials. secret is a seal.h blob of a small JSON object of the
-- secret fields, bound to "credential:<id>"; key_version is the key pair
-- it was sealed under (rotation rewrites both).
CREATE TABLE assets.credentials (
	id              uuid PRIMARY KEY,
	name            text NOT NULL UNIQUE
		CHECK (char_length(name) BETWEEN 1 AND 128),
	type            text NOT NULL
		CHECK (type IN ('ssh_password', 'ssh_key', 'winrm', 'api_token',
				'smtp')),
	username        text,
	domain          text,
	key_type        text,                   -- ssh_key: ssh-ed25519, ...
	key_fingerprint text,                   -- ssh_key: SHA256:...
	secret          bytea NOT NULL,
	key_version     integer NOT NULL CHECK (key_version > 0),
	description     text NOT NULL DEFAULT '',
	created_by      uuid,
	created_by_name text,
	updated_by      uuid,
	updated_by_name text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	version         integer NOT NULL DEFAULT 1
);
CREATE INDEX credentials_key_version ON assets.credentials (key_version);

CREATE TABLE assets.targets (
	id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name             text NOT NULL UNIQUE
		CHECK (char_length(name) BETWEEN 1 AND 128),
	host             text NOT NULL
		CHECK (char_length(host) BETWEEN 1 AND 253),
	os               text NOT NULL CHECK (os IN ('linux', 'windows')),
	protocol         text NOT NULL CHECK (protocol IN ('ssh', 'winrm')),
	port             integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
	winrm_https      boolean NOT NULL DEFAULT false,
	winrm_auth       text NOT NULL DEFAULT 'ntlm'
		CHECK (winrm_auth IN ('basic', 'ntlm')),
	winrm_verify_tls boolean NOT NULL DEFAULT true,
	ssh_user         text,                  -- else the credential's
	ssh_host_key     text,                  -- SHA256:... seen first
	ssh_host_key_type text,
	ssh_host_key_pending text,              -- a changed key, to accept
	ssh_host_key_pending_type text,
	credential_id    uuid REFERENCES assets.credentials (id)
		ON DELETE RESTRICT,
	tags             text[] NOT NULL DEFAULT '{}',
	description      text NOT NULL DEFAULT '',
	enabled          boolean NOT NULL DEFAULT true,
	reachability     text NOT NULL DEFAULT 'unknown'
		CHECK (reachability IN ('unknown', 'reachable', 'unreachable',
					'auth_failed', 'host_key_changed',
					'error')),
	last_test        jsonb,
	last_test_at     timestamptz,
	test_task_id     uuid REFERENCES core.tasks (id) ON DELETE SET NULL,
	detected_os      text,
	created_by       uuid,
	created_by_name  text,
	updated_by       uuid,
	updated_by_name  text,
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	version          integer NOT NULL DEFAULT 1
);
CREATE INDEX targets_tags ON assets.targets USING gin (tags);
CREATE INDEX targets_host ON assets.targets (lower(host));
CREATE INDEX targets_credential ON assets.targets (credential_id);

CREATE TABLE assets.groups (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name            text NOT NULL UNIQUE
		CHECK (char_length(name) BETWEEN 1 AND 128),
	description     text NOT NULL DEFAULT '',
	dynamic         boolean NOT NULL DEFAULT false,
	filter          jsonb,                  -- {tags, os, name_pattern}
	created_by      uuid,
	created_by_name text,
	updated_by      uuid,
	updated_by_name text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	version         integer NOT NULL DEFAULT 1,
	CHECK (dynamic = (filter IS NOT NULL))
);

CREATE TABLE assets.group_members (
	group_id  uuid NOT NULL REFERENCES assets.groups (id) ON DELETE CASCADE,
	target_id uuid NOT NULL REFERENCES assets.targets (id) ON DELETE CASCADE,
	added_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (group_id, target_id)
);
CREATE INDEX group_members_target ON assets.group_members (target_id);

-- A shell glob (* and ?) as a LIKE pattern, everything else literal.
CREATE FUNCTION assets.glob_like(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog
AS $$
	SELECT replace(replace(replace(replace(replace(p, '\', '\\'),
		'%', '\%'), '_', '\_'), '*', '%'), '?', '_')
$$;

-- Whether a target matches a dynamic group's filter: every tag listed,
-- the os, and the name glob (each optional).
CREATE FUNCTION assets.filter_match(p_tags text[], p_os text, p_name text,
	f jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog
AS $$
	SELECT (f->'tags' IS NULL OR p_tags @> ARRAY(
			SELECT jsonb_array_elements_text(f->'tags')))
	   AND (f->>'os' IS NULL OR p_os = f->>'os')
	   AND (f->>'name_pattern' IS NULL
		OR p_name LIKE assets.glob_like(f->>'name_pattern'))
$$;

-- Discovery safety settings: a single row.
CREATE TABLE assets.settings (
	id                       boolean PRIMARY KEY DEFAULT true CHECK (id),
	discovery_allowed_ranges cidr[] NOT NULL DEFAULT '{127.0.0.0/8}',
	discovery_max_hosts      integer NOT NULL DEFAULT 4096
		CHECK (discovery_max_hosts > 0),
	updated_by               uuid,
	updated_by_name          text,
	updated_at               timestamptz NOT NULL DEFAULT now(),
	version                  integer NOT NULL DEFAULT 1
);
INSERT INTO assets.settings DEFAULT VALUES;

-- Scan states are the task states.
CREATE TABLE assets.scans (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	cidrs           cidr[] NOT NULL,
	ports           integer[] NOT NULL,
	timeout_ms      integer NOT NULL CHECK (timeout_ms BETWEEN 50 AND 10000),
	concurrency     integer NOT NULL CHECK (concurrency BETWEEN 1 AND 1024),
	state           text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'running', 'succeeded', 'failed',
				 'canceled')),
	hosts_total     bigint NOT NULL,
	hosts_done      bigint NOT NULL DEFAULT 0,
	found           integer NOT NULL DEFAULT 0,
	task_id         uuid REFERENCES core.tasks (id) ON DELETE SET NULL,
	created_by      uuid,
	created_by_name text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	started_at      timestamptz,
	finished_at     timestamptz,
	error           text
);
CREATE INDEX scans_created ON assets.scans (created_at DESC);

CREATE TABLE assets.scan_results (
	scan_id        uuid NOT NULL REFERENCES assets.scans (id)
		ON DELETE CASCADE,
	address        inet NOT NULL,
	reverse_name   text,
	open_ports     integer[] NOT NULL DEFAULT '{}',
	ssh_banner     text,
	winrm_product  text,
	classification text NOT NULL DEFAULT 'unknown'
		CHECK (classification IN ('linux', 'windows', 'unknown')),
	found_at       timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (scan_id, address)
);

-- The assets pool.
GRANT USAGE ON SCHEMA core, assets, identity TO oc_assets;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA assets
	TO oc_assets;
GRANT INSERT ON core.audit_events TO oc_assets;
GRANT SELECT, INSERT, UPDATE, DELETE ON core.components TO oc_assets;
GRANT SELECT, INSERT, UPDATE ON core.tasks TO oc_assets;
GRANT EXECUTE ON FUNCTION identity.session_principal(uuid, uuid),
	identity.api_key_principal(uuid), identity.api_key_touch(uuid)
	TO oc_assets;

-- The worker: claims tasks, records test outcomes and scan results, and
-- re-seals secrets on key rotation.
GRANT USAGE ON SCHEMA core, assets TO oc_worker;
GRANT SELECT, UPDATE ON core.tasks TO oc_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON core.components TO oc_worker;
GRANT INSERT ON core.audit_events TO oc_worker;
GRANT SELECT ON assets.targets, assets.credentials, assets.settings,
	assets.groups, assets.group_members TO oc_worker;
GRANT UPDATE (reachability, last_test, last_test_at, detected_os,
	ssh_host_key, ssh_host_key_type, ssh_host_key_pending,
	ssh_host_key_pending_type) ON assets.targets TO oc_worker;
GRANT UPDATE (secret, key_version) ON assets.credentials TO oc_worker;
GRANT SELECT, UPDATE ON assets.scans TO oc_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON assets.scan_results TO oc_worker;
