-- Queue throughput: the events of runs, run targets and run steps come
-- from statement-level triggers (one INSERT ... SELECT and one take of the
-- event lock per statement, not one per row), and a run knows from its
-- creation whether the fast path completes it (runs.fast), so neither
-- claim scans the other kind's queued runs.

-- The event rows are the ones the row triggers of 004 wrote: one per
-- inserted row and per row whose state changed, same type, run_id and
-- payload (the functions below), appended under core.event_emit's lock
-- (taken only when there is an event to append). They become visible when
-- the statement's transaction commits, in id order as before; only the
-- order among the rows one statement wrote (distinct runs, targets or
-- steps) is the plan's. One small function per table: a transition
-- table's whole row is a record, so the payload function's argument needs
-- the table's type written out (a shared one would need EXECUTE, planned
-- again for every statement).
CREATE FUNCTION automation.run_event(r automation.runs) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT pg_catalog.jsonb_build_object('id', r.id, 'job_id', r.job_id,
		'job_name', r.job_name, 'state', r.state,
		'trigger', r.trigger, 'error', r.error,
		'created_at', r.created_at, 'started_at', r.started_at,
		'finished_at', r.finished_at)
$$;
CREATE FUNCTION automation.run_target_event(t automation.run_targets)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT pg_catalog.jsonb_build_object('id', t.id, 'run_id', t.run_id,
		'target_id', t.target_id, 'target_name', t.target_name,
		'state', t.state, 'error', t.error)
$$;
CREATE FUNCTION automation.run_step_event(s automation.run_steps)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
	SELECT pg_catalog.jsonb_build_object('id', s.id, 'run_id', s.run_id,
		'run_target_id', s.run_target_id, 'step_id', s.step_id,
		'attempt', s.attempt, 'state', s.state,
		'exit_code', s.exit_code, 'error', s.error)
$$;

-- Appends one statement's events (p_runs and p_data in the statement's
-- order), under the lock, if there are any.
CREATE FUNCTION automation.events_append(p_type text, p_runs uuid[],
	p_data jsonb[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	IF cardinality(p_data) > 0 THEN
		PERFORM pg_advisory_xact_lock(7406384520631772001);
		INSERT INTO core.events (type, run_id, min_role, data)
		SELECT p_type, x.r, 'viewer', x.d
		FROM unnest(p_runs, p_data) WITH ORDINALITY AS x(r, d, k)
		ORDER BY x.k;
	END IF;
END
$$;

CREATE FUNCTION automation.runs_events() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM automation.events_append('run', array_agg(n.id),
			array_agg(automation.run_event(n::automation.runs))) FROM n;
	ELSE
		PERFORM automation.events_append('run', array_agg(n.id),
			array_agg(automation.run_event(n::automation.runs)))
		FROM n JOIN o ON o.id = n.id
		WHERE n.state IS DISTINCT FROM o.state;
	END IF;
	RETURN NULL;
END
$$;

CREATE FUNCTION automation.run_targets_events() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM automation.events_append('run.target', array_agg(n.run_id),
			array_agg(automation.run_target_event(n::automation.run_targets))) FROM n;
	ELSE
		PERFORM automation.events_append('run.target', array_agg(n.run_id),
			array_agg(automation.run_target_event(n::automation.run_targets)))
		FROM n JOIN o ON o.id = n.id
		WHERE n.state IS DISTINCT FROM o.state;
	END IF;
	RETURN NULL;
END
$$;

CREATE FUNCTION automation.run_steps_events() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM automation.events_append('run.step', array_agg(n.run_id),
			array_agg(automation.run_step_event(n::automation.run_steps))) FROM n;
	ELSE
		PERFORM automation.events_append('run.step', array_agg(n.run_id),
			array_agg(automation.run_step_event(n::automation.run_steps)))
		FROM n JOIN o ON o.id = n.id
		WHERE n.state IS DISTINCT FROM o.state;
	END IF;
	RETURN NULL;
END
$$;

DROP TRIGGER runs_event ON automation.runs;
DROP TRIGGER run_targets_event ON automation.run_targets;
DROP TRIGGER run_steps_event ON automation.run_steps;
CREATE TRIGGER runs_events_ins AFTER INSERT ON automation.runs
	REFERENCING NEW TABLE AS n
	FOR EACH STATEMENT EXECUTE FUNCTION automation.runs_events();
CREATE TRIGGER runs_events_upd AFTER UPDATE ON automation.runs
	REFERENCING OLD TABLE AS o NEW TABLE AS n
	FOR EACH STATEMENT EXECUTE FUNCTION automation.runs_events();
CREATE TRIGGER run_targets_events_ins AFTER INSERT ON automation.run_targets
	REFERENCING NEW TABLE AS n
	FOR EACH STATEMENT EXECUTE FUNCTION automation.run_targets_events();
CREATE TRIGGER run_targets_events_upd AFTER UPDATE ON automation.run_targets
	REFERENCING OLD TABLE AS o NEW TABLE AS n
	FOR EACH STATEMENT EXECUTE FUNCTION automation.run_targets_events();
CREATE TRIGGER run_steps_events_ins AFTER INSERT ON automation.run_steps
	REFERENCING NEW TABLE AS n
	FOR EACH STATEMENT EXECUTE FUNCTION automation.run_steps_events();
CREATE TRIGGER run_steps_events_upd AFTER UPDATE ON automation.run_steps
	REFERENCING OLD TABLE AS o NEW TABLE AS n
	FOR EACH STATEMENT EXECUTE FUNCTION automation.run_steps_events();
DROP FUNCTION automation.runs_event(), automation.run_targets_event(),
	automation.run_steps_event();

-- The schedule's wake-up only for runs of a schedule that end: the same
-- test as in the function, made before calling it.
DROP TRIGGER runs_schedule_done ON automation.runs;
CREATE TRIGGER runs_schedule_done AFTER UPDATE OF state ON automation.runs
	FOR EACH ROW WHEN (NEW.schedule_id IS NOT NULL
		AND NEW.state NOT IN ('queued', 'running')
		AND OLD.state IN ('queued', 'running'))
	EXECUTE FUNCTION automation.runs_schedule_done();

-- fast: every step is local.noop and the selection (the run's, else the
-- job's) names no target, so the worker's fast path completes the run in
-- its claim (worker/run_db.c). Set when the run is created; the job
-- version of a run never changes.
ALTER TABLE automation.runs ADD COLUMN fast boolean NOT NULL DEFAULT false;
CREATE FUNCTION automation.runs_fast() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	SELECT NOT jsonb_path_exists(v.definition,
			'$.steps[*] ? (@.type != "local.noop")')
		AND NOT jsonb_path_exists(coalesce(NEW.targets,
			v.definition->'targets', '{}'), '$.*[*]')
		INTO NEW.fast
		FROM automation.job_versions v
		WHERE v.job_id = NEW.job_id AND v.version = NEW.job_version;
	NEW.fast := coalesce(NEW.fast, false);
	RETURN NEW;
END
$$;
CREATE TRIGGER runs_fast BEFORE INSERT OR UPDATE OF job_id, job_version,
	targets ON automation.runs
	FOR EACH ROW EXECUTE FUNCTION automation.runs_fast();
UPDATE automation.runs r SET fast = NOT jsonb_path_exists(v.definition,
		'$.steps[*] ? (@.type != "local.noop")')
	AND NOT jsonb_path_exists(coalesce(r.targets, v.definition->'targets',
		'{}'), '$.*[*]')
	FROM automation.job_versions v
	WHERE v.job_id = r.job_id AND v.version = r.job_version
	  AND r.state = 'queued';
-- One queue per kind, oldest first.
DROP INDEX automation.runs_queued;
CREATE INDEX runs_queued_fast ON automation.runs (created_at)
	WHERE state = 'queued' AND fast;
CREATE INDEX runs_queued_slow ON automation.runs (created_at)
	WHERE state = 'queued' AND NOT fast;

-- Only runs of a schedule have a fire time: one unique partial index does
-- what the unique constraint and runs_schedule did (NULLs never
-- conflicted), and the other runs no longer add an entry to it.
ALTER TABLE automation.runs DROP CONSTRAINT runs_schedule_id_fire_time_key;
DROP INDEX automation.runs_schedule;
CREATE UNIQUE INDEX runs_schedule ON automation.runs (schedule_id,
	fire_time DESC) WHERE schedule_id IS NOT NULL;
