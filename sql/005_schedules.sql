-- Schedules: a job, its parameters and a cron expression in an IANA time
-- zone. The workers fire them (worker/sched.c): each keeps its next fire
-- time, computed in C (fcgi/cron.c) by the API on save and by the worker
-- on each firing.

CREATE TABLE automation.schedules (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	job_id          uuid NOT NULL REFERENCES automation.jobs (id)
		ON DELETE CASCADE,
	description     text NOT NULL DEFAULT ''
		CHECK (char_length(description) <= 1024),
	params          jsonb NOT NULL DEFAULT '{}',  -- non-secret values
	-- Secret parameters sealed (fcgi/seal.h) as one JSON object bound to
	-- secret_binding "schedule:<id>"; every run of the schedule carries
	-- the same blob and binding, so only the worker can open them.
	secret_params   bytea,
	secret_binding  text,
	key_version     integer,
	targets         jsonb,           -- a selection overriding the job's
	cron            text NOT NULL
		CHECK (char_length(cron) BETWEEN 1 AND 200),
	time_zone       text NOT NULL
		CHECK (char_length(time_zone) BETWEEN 1 AND 64),
	enabled         boolean NOT NULL DEFAULT true,
	start_at        timestamptz,     -- no fire time before
	end_at          timestamptz,     -- no fire time after
	overlap_policy  text NOT NULL DEFAULT 'skip'
		CHECK (overlap_policy IN ('skip', 'queue', 'allow')),
	misfire_policy  text NOT NULL DEFAULT 'run_once'
		CHECK (misfire_policy IN ('run_once', 'skip')),
	-- The next intended fire time; NULL when there is none (past end_at).
	next_fire_at    timestamptz,
	-- overlap_policy 'queue': fire times waiting for the previous run to
	-- finish (oldest first, at most 100), and when to look at them again
	-- (set by the runs trigger below when a run of the schedule ends).
	pending_fires   timestamptz[] NOT NULL DEFAULT '{}',
	wake_at         timestamptz,
	last_fire_at    timestamptz,
	last_run_id     uuid,
	fired_count     bigint NOT NULL DEFAULT 0,  -- runs created
	skipped_count   bigint NOT NULL DEFAULT 0,  -- fire times not run
	version         integer NOT NULL DEFAULT 1,  -- the ETag
	created_by      uuid,
	created_by_name text,
	updated_by      uuid,
	updated_by_name text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	CHECK (end_at IS NULL OR start_at IS NULL OR end_at > start_at)
);
-- The workers read due schedules through this index only: the earliest
-- of next fire time and wake-up, enabled schedules only.
CREATE INDEX schedules_due
	ON automation.schedules ((least(next_fire_at, wake_at)))
	WHERE enabled;
CREATE INDEX schedules_job ON automation.schedules (job_id);
CREATE INDEX schedules_created ON automation.schedules (created_at DESC, id);

ALTER TABLE automation.runs ADD CONSTRAINT runs_schedule_fk
	FOREIGN KEY (schedule_id) REFERENCES automation.schedules (id)
	ON DELETE SET NULL;
-- The overlap check: is a run of this schedule still going?
CREATE INDEX runs_schedule_active ON automation.runs (schedule_id)
	WHERE schedule_id IS NOT NULL AND state IN ('queued', 'running');

-- Wakes the workers (they LISTEN on oc_tasks) when a schedule is created,
-- changed through the API (its version moves) or deleted, so the change
-- counts for the next fire time without a restart. The workers' own
-- advancing of next_fire_at does not notify.
CREATE FUNCTION automation.schedules_wake() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	PERFORM pg_notify('oc_tasks', 'schedule');
	RETURN NULL;
END
$$;
CREATE TRIGGER schedules_wake_ins AFTER INSERT OR DELETE
	ON automation.schedules
	FOR EACH STATEMENT EXECUTE FUNCTION automation.schedules_wake();
CREATE TRIGGER schedules_wake_upd AFTER UPDATE ON automation.schedules
	FOR EACH ROW WHEN (NEW.version IS DISTINCT FROM OLD.version)
	EXECUTE FUNCTION automation.schedules_wake();

-- When a run of a schedule ends and fire times wait behind it (overlap
-- 'queue'), the schedule becomes due at once. Runs the schedule's UPDATE
-- with the owner's rights: the worker that finishes a run need not be
-- able to change schedules.
CREATE FUNCTION automation.runs_schedule_done() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
AS $$
BEGIN
	IF NEW.schedule_id IS NOT NULL
	   AND NEW.state NOT IN ('queued', 'running')
	   AND OLD.state IN ('queued', 'running') THEN
		UPDATE automation.schedules SET wake_at = now()
			WHERE id = NEW.schedule_id
			  AND cardinality(pending_fires) > 0;
		IF FOUND THEN
			PERFORM pg_notify('oc_tasks', 'schedule');
		END IF;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER runs_schedule_done AFTER UPDATE OF state ON automation.runs
	FOR EACH ROW EXECUTE FUNCTION automation.runs_schedule_done();

GRANT SELECT, INSERT, UPDATE, DELETE ON automation.schedules TO oc_automation;
GRANT SELECT, UPDATE ON automation.schedules TO oc_worker;
