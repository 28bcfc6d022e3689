-- Automation: jobs and their versions, attachments, runs with a row per
-- target and per step, log chunks; the event log the events process
-- streams; idempotency keys for POSTs that start work.

CREATE SCHEMA automation;

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oc_automation') THEN
		CREATE ROLE oc_automation LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'oc_events') THEN
		CREATE ROLE oc_events LOGIN;
	END IF;
END
$$;

-- The event log behind GET /api/v1/events. Every row is one server-sent
-- event; its id is the SSE id, so Last-Event-ID resumes from it.
-- core.event_emit serialises the transactions that append (a transaction-
-- scoped advisory lock held until commit), so ids become visible in id
-- order and a reader that has seen id N never later finds a new row below
-- N. Append events last in a transaction to keep the lock short.
CREATE TABLE core.events (
	id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at       timestamptz NOT NULL DEFAULT clock_timestamp(),
	type     text NOT NULL,          -- run, run.target, run.step, run.log,
					 -- task, scan, ...
	run_id   uuid,                   -- for ?run=ID subscriptions
	min_role text NOT NULL DEFAULT 'viewer'
		CHECK (min_role IN ('viewer', 'operator', 'admin')),
	data     jsonb NOT NULL
);
CREATE INDEX events_run ON core.events (run_id, id) WHERE run_id IS NOT NULL;
CREATE INDEX events_at ON core.events (at);

CREATE FUNCTION core.event_emit(p_type text, p_run uuid, p_min_role text,
				p_data jsonb) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
DECLARE
	v_id bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(7406384520631772001);
	INSERT INTO core.events (type, run_id, min_role, data)
		VALUES (p_type, p_run, coalesce(p_min_role, 'viewer'), p_data)
		RETURNING id INTO v_id;
	RETURN v_id;
END
$$;

-- Wakes the events processes (LISTEN oc_events) once per statement; they
-- read the new rows by id.
CREATE FUNCTION core.events_notify() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	PERFORM pg_notify('oc_events', '');
	RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON core.events
	FOR EACH STATEMENT EXECUTE FUNCTION core.events_notify();

-- Idempotency-Key on POSTs that start work: the first response for a key
-- is stored and replayed for a repeat with the same request; a repeat with
-- a different request is a 422. Keys expire after a day.
CREATE TABLE core.idempotency_keys (
	principal      text NOT NULL,    -- user id or api key id
	key            text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
	route          text NOT NULL,    -- "POST /api/v1/jobs/{id}/runs"
	request_sha256 text NOT NULL,    -- of method, path and body
	status         integer NOT NULL,
	body           jsonb,
	created_at     timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON core.idempotency_keys (created_at);

-- A job. Its definition lives in job_versions; current_version is the
-- newest. Deleting a job hides it (deleted_at) so runs keep their history.
CREATE TABLE automation.jobs (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name            text NOT NULL
		CHECK (char_length(name) BETWEEN 1 AND 128),
	description     text NOT NULL DEFAULT '',
	current_version integer NOT NULL DEFAULT 1 CHECK (current_version > 0),
	created_by      uuid,
	created_by_name text,
	updated_by      uuid,
	updated_by_name text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	deleted_at      timestamptz
);
CREATE UNIQUE INDEX jobs_name ON automation.jobs (name)
	WHERE deleted_at IS NULL;

-- Every save of a job is a new version. definition is the whole job as the
-- API accepts it (parameters, targets, steps, edges, limits, policies);
-- secret parameter defaults are never stored here.
CREATE TABLE automation.job_versions (
	job_id          uuid NOT NULL REFERENCES automation.jobs (id)
		ON DELETE CASCADE,
	version         integer NOT NULL CHECK (version > 0),
	definition      jsonb NOT NULL,
	created_by      uuid,
	created_by_name text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (job_id, version)
);

-- Attachments for sftp.upload, stored in the database.
CREATE TABLE automation.job_files (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	job_id          uuid NOT NULL REFERENCES automation.jobs (id)
		ON DELETE CASCADE,
	name            text NOT NULL
		CHECK (char_length(name) BETWEEN 1 AND 255),
	size            bigint NOT NULL CHECK (size >= 0),
	sha256          text NOT NULL,   -- hex
	content         bytea NOT NULL,
	created_by      uuid,
	created_by_name text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	UNIQUE (job_id, name)
);

-- A run of one job version. States match enum run_state in
-- worker/run.h and the API: queued -> running -> succeeded | failed |
-- canceled | timed_out. Secret parameters are sealed (fcgi/seal.h) as one
-- JSON object bound to secret_binding ("run:<id>" or "schedule:<id>"), so
-- only the worker can open them.
CREATE TABLE automation.runs (
	id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	job_id           uuid NOT NULL REFERENCES automation.jobs (id),
	job_version      integer NOT NULL,
	job_name         text NOT NULL,
	state            text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'running', 'succeeded', 'failed',
				 'canceled', 'timed_out')),
	params           jsonb NOT NULL DEFAULT '{}',  -- non-secret values
	secret_params    bytea,
	secret_binding   text,
	key_version      integer,
	targets          jsonb,          -- a selection overriding the job's
	trigger          text NOT NULL DEFAULT 'api'
		CHECK (trigger IN ('api', 'schedule', 'retry')),
	created_by       uuid,
	created_by_name  text,
	schedule_id      uuid,           -- FK added with the schedules table
	fire_time        timestamptz,    -- the schedule's intended fire time
	retry_of         uuid REFERENCES automation.runs (id),
	attempts         integer NOT NULL DEFAULT 0,
	max_attempts     integer NOT NULL DEFAULT 1 CHECK (max_attempts > 0),
	lease_owner      text,
	lease_expires_at timestamptz,
	cancel_requested boolean NOT NULL DEFAULT false,
	error            text,
	targets_total    integer NOT NULL DEFAULT 0,
	targets_succeeded integer NOT NULL DEFAULT 0,
	targets_failed   integer NOT NULL DEFAULT 0,
	created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
	started_at       timestamptz,
	finished_at      timestamptz,
	FOREIGN KEY (job_id, job_version)
		REFERENCES automation.job_versions (job_id, version),
	UNIQUE (schedule_id, fire_time)
);
CREATE INDEX runs_queued ON automation.runs (created_at)
	WHERE state = 'queued';
CREATE INDEX runs_leases ON automation.runs (lease_expires_at)
	WHERE state = 'running';
CREATE INDEX runs_job ON automation.runs (job_id, created_at DESC);
CREATE INDEX runs_created ON automation.runs (created_at DESC);
CREATE INDEX runs_schedule ON automation.runs (schedule_id, fire_time DESC)
	WHERE schedule_id IS NOT NULL;

-- One row per target of a run (target_id NULL: the local pseudo-target of
-- a job whose steps run on the worker itself, local.* and http.request).
CREATE TABLE automation.run_targets (
	id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	run_id       uuid NOT NULL REFERENCES automation.runs (id)
		ON DELETE CASCADE,
	target_id    uuid,
	target_name  text NOT NULL,
	host         text,
	state        text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'running', 'succeeded', 'failed',
				 'canceled', 'timed_out')),
	error        text,
	started_at   timestamptz,
	finished_at  timestamptz
);
CREATE INDEX run_targets_run ON automation.run_targets (run_id);

-- One row per step executed on a target (a retried step: one per attempt).
CREATE TABLE automation.run_steps (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	run_id           uuid NOT NULL REFERENCES automation.runs (id)
		ON DELETE CASCADE,
	run_target_id    uuid NOT NULL REFERENCES automation.run_targets (id)
		ON DELETE CASCADE,
	step_id          text NOT NULL,  -- the step's id in the job
	step_type        text NOT NULL,
	attempt          integer NOT NULL DEFAULT 1,
	state            text NOT NULL DEFAULT 'running'
		CHECK (state IN ('queued', 'running', 'succeeded', 'failed',
				 'canceled', 'timed_out')),
	exit_code        integer,
	exit_signal      text,
	stdout           text NOT NULL DEFAULT '',  -- capped, secrets masked
	stderr           text NOT NULL DEFAULT '',
	stdout_truncated boolean NOT NULL DEFAULT false,
	stderr_truncated boolean NOT NULL DEFAULT false,
	outputs          jsonb,          -- e.g. http.request status and body
	error            text,
	started_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
	finished_at      timestamptz
);
CREATE INDEX run_steps_target ON automation.run_steps (run_target_id, id);
CREATE INDEX run_steps_run ON automation.run_steps (run_id);

-- Files fetched by sftp.download (capped), kept with their checksum.
CREATE TABLE automation.run_files (
	id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	run_id        uuid NOT NULL REFERENCES automation.runs (id)
		ON DELETE CASCADE,
	run_step_id   bigint NOT NULL REFERENCES automation.run_steps (id)
		ON DELETE CASCADE,
	path          text NOT NULL,     -- where it was on the target
	size          bigint NOT NULL CHECK (size >= 0),
	sha256        text NOT NULL,     -- hex
	content       bytea NOT NULL,
	created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_files_run ON automation.run_files (run_id);

-- Output as it arrived, secrets masked, in chunks. id is the offset
-- GET /runs/{id}/log pages from (appended with core.event_emit's lock held,
-- so ids are in commit order).
CREATE TABLE automation.run_logs (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	run_id        uuid NOT NULL REFERENCES automation.runs (id)
		ON DELETE CASCADE,
	run_target_id uuid REFERENCES automation.run_targets (id)
		ON DELETE CASCADE,
	step_id       text,
	stream        text NOT NULL
		CHECK (stream IN ('stdout', 'stderr', 'system')),
	data          text NOT NULL,
	at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX run_logs_run ON automation.run_logs (run_id, id);

-- Creates a queued run of the job's current version (the API and the
-- scheduler both call this). p_id may be NULL (generated); pass it when
-- the secret parameters were sealed bound to "run:<p_id>". Returns the run
-- id, or NULL when the job does not exist or is deleted. A second call with
-- the same (schedule, fire time) raises unique_violation.
CREATE FUNCTION automation.run_create(p_id uuid, p_job uuid, p_params jsonb,
	p_secret bytea, p_secret_binding text, p_key_version integer,
	p_targets jsonb, p_trigger text, p_actor uuid, p_actor_name text,
	p_schedule uuid, p_fire_time timestamptz, p_retry_of uuid)
RETURNS uuid
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
DECLARE
	v_id uuid;
	v_job automation.jobs;
	v_def jsonb;
BEGIN
	SELECT * INTO v_job FROM automation.jobs
		WHERE id = p_job AND deleted_at IS NULL;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	SELECT definition INTO v_def FROM automation.job_versions
		WHERE job_id = p_job AND version = v_job.current_version;
	INSERT INTO automation.runs (id, job_id, job_version, job_name, params,
			secret_params, secret_binding, key_version, targets,
			trigger, created_by, created_by_name, schedule_id,
			fire_time, retry_of, max_attempts)
		VALUES (coalesce(p_id, gen_random_uuid()), p_job,
			v_job.current_version, v_job.name,
			coalesce(p_params, '{}'), p_secret, p_secret_binding,
			p_key_version, p_targets, coalesce(p_trigger, 'api'),
			p_actor, p_actor_name, p_schedule, p_fire_time,
			p_retry_of,
			CASE WHEN v_def->>'on_worker_lost' = 'retry'
			     THEN 3 ELSE 1 END)
		RETURNING id INTO v_id;
	RETURN v_id;
END
$$;

-- Events for state changes, whoever writes them: the API (create, cancel),
-- the worker (claims, steps, completion), the scheduler.
CREATE FUNCTION automation.runs_event() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
		PERFORM core.event_emit('run', NEW.id, 'viewer',
			jsonb_build_object('id', NEW.id, 'job_id', NEW.job_id,
				'job_name', NEW.job_name, 'state', NEW.state,
				'trigger', NEW.trigger, 'error', NEW.error,
				'created_at', NEW.created_at,
				'started_at', NEW.started_at,
				'finished_at', NEW.finished_at));
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER runs_event AFTER INSERT OR UPDATE OF state ON automation.runs
	FOR EACH ROW EXECUTE FUNCTION automation.runs_event();

CREATE FUNCTION automation.run_targets_event() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
		PERFORM core.event_emit('run.target', NEW.run_id, 'viewer',
			jsonb_build_object('id', NEW.id, 'run_id', NEW.run_id,
				'target_id', NEW.target_id,
				'target_name', NEW.target_name,
				'state', NEW.state, 'error', NEW.error));
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER run_targets_event
	AFTER INSERT OR UPDATE OF state ON automation.run_targets
	FOR EACH ROW EXECUTE FUNCTION automation.run_targets_event();

CREATE FUNCTION automation.run_steps_event() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
		PERFORM core.event_emit('run.step', NEW.run_id, 'viewer',
			jsonb_build_object('id', NEW.id, 'run_id', NEW.run_id,
				'run_target_id', NEW.run_target_id,
				'step_id', NEW.step_id, 'attempt', NEW.attempt,
				'state', NEW.state, 'exit_code', NEW.exit_code,
				'error', NEW.error));
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER run_steps_event
	AFTER INSERT OR UPDATE OF state ON automation.run_steps
	FOR EACH ROW EXECUTE FUNCTION automation.run_steps_event();

-- Appends one log chunk (already masked) and its event. Returns the chunk
-- id (the log offset).
CREATE FUNCTION automation.log_append(p_run uuid, p_run_target uuid,
	p_step text, p_stream text, p_data text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
DECLARE
	v_id bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(7406384520631772001);
	INSERT INTO automation.run_logs (run_id, run_target_id, step_id,
			stream, data)
		VALUES (p_run, p_run_target, p_step, p_stream, p_data)
		RETURNING id INTO v_id;
	PERFORM core.event_emit('run.log', p_run, 'viewer',
		jsonb_build_object('run_id', p_run, 'offset', v_id,
			'run_target_id', p_run_target, 'step_id', p_step,
			'stream', p_stream, 'data', p_data));
	RETURN v_id;
END
$$;

-- Wakes the workers when a run is queued (same channel as core.tasks).
CREATE FUNCTION automation.runs_wake() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	PERFORM pg_notify('oc_tasks', 'run');
	RETURN NULL;
END
$$;
CREATE TRIGGER runs_wake AFTER INSERT ON automation.runs
	FOR EACH STATEMENT EXECUTE FUNCTION automation.runs_wake();

-- The automation pool.
GRANT USAGE ON SCHEMA core, automation, assets, identity TO oc_automation;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA automation
	TO oc_automation;
GRANT INSERT ON core.audit_events TO oc_automation;
GRANT SELECT, INSERT, UPDATE, DELETE ON core.components TO oc_automation;
GRANT SELECT, INSERT, UPDATE, DELETE ON core.idempotency_keys
	TO oc_automation, oc_assets;
GRANT SELECT ON assets.targets, assets.groups, assets.group_members
	TO oc_automation;
GRANT EXECUTE ON FUNCTION identity.session_principal(uuid, uuid),
	identity.api_key_principal(uuid), identity.api_key_touch(uuid)
	TO oc_automation, oc_events;
GRANT INSERT ON core.events TO oc_automation, oc_assets, oc_worker;
GRANT EXECUTE ON FUNCTION core.event_emit(text, uuid, text, jsonb)
	TO oc_automation, oc_assets, oc_worker;

-- The events process: reads the event log only.
GRANT USAGE ON SCHEMA core, identity TO oc_events;
GRANT SELECT ON core.events TO oc_events;
GRANT SELECT, INSERT, UPDATE, DELETE ON core.components TO oc_events;

-- The worker: claims and executes runs, writes results and logs, prunes
-- old events.
GRANT USAGE ON SCHEMA automation TO oc_worker;
GRANT SELECT ON automation.jobs, automation.job_versions,
	automation.job_files TO oc_worker;
GRANT SELECT, INSERT, UPDATE ON automation.runs, automation.run_targets,
	automation.run_steps TO oc_worker;
GRANT SELECT, INSERT ON automation.run_logs, automation.run_files TO oc_worker;
GRANT SELECT, DELETE ON core.events TO oc_worker;
GRANT EXECUTE ON FUNCTION automation.run_create(uuid, uuid, jsonb, bytea,
	text, integer, jsonb, text, uuid, text, uuid, timestamptz, uuid),
	automation.log_append(uuid, uuid, text, text, text)
	TO oc_worker, oc_automation;
