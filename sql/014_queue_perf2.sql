-- Queue throughput, round 2: less work per run where nothing reads it.

-- Whether a run takes the fast path (runs.fast, sql/010) was computed for
-- every inserted run from its job version's definition (two JSON path
-- searches per row). A job version never changes: what its definition
-- says is stored with it, once, and a run's trigger only looks it up
-- (and searches the run's own target selection when it has one).
-- fast_steps: every step is local.noop; fast: that, and the definition
-- names no target.
ALTER TABLE automation.job_versions
	ADD COLUMN fast_steps boolean GENERATED ALWAYS AS (
		NOT jsonb_path_exists(definition,
			'$.steps[*] ? (@.type != "local.noop")')) STORED,
	ADD COLUMN fast boolean GENERATED ALWAYS AS (
		NOT jsonb_path_exists(definition,
			'$.steps[*] ? (@.type != "local.noop")')
		AND NOT jsonb_path_exists(coalesce(definition->'targets', '{}'),
			'$.*[*]')) STORED;

CREATE OR REPLACE FUNCTION automation.runs_fast() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	IF NEW.targets IS NULL THEN
		NEW.fast := coalesce((SELECT v.fast
			FROM automation.job_versions v
			WHERE v.job_id = NEW.job_id
			  AND v.version = NEW.job_version), false);
	ELSE
		NEW.fast := coalesce((SELECT v.fast_steps
			FROM automation.job_versions v
			WHERE v.job_id = NEW.job_id
			  AND v.version = NEW.job_version), false)
			AND NOT jsonb_path_exists(NEW.targets, '$.*[*]');
	END IF;
	RETURN NEW;
END
$$;

-- Events were indexed by time for their retention only: the worker now
-- deletes the oldest ids up to the first one still kept (worker/evprune.c;
-- ids are taken in time order, under core.event_emit's lock), and every
-- event appended no longer adds an entry to this index.
DROP INDEX core.events_at;
