-- A new run wakes the worker with what it needs to look at: 'run.fast'
-- when the statement inserted runs that the fast path completes (runs.fast,
-- set by the BEFORE trigger of sql/010 and 014), 'run' when it inserted
-- others. A worker woken for fast runs only does not also claim on its
-- main connection, so the fast path's claim has the database to itself
-- (worker/main.c).
CREATE OR REPLACE FUNCTION automation.runs_wake() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM n WHERE NOT n.fast) THEN
		PERFORM pg_notify('oc_tasks', 'run');
	END IF;
	IF EXISTS (SELECT 1 FROM n WHERE n.fast) THEN
		PERFORM pg_notify('oc_tasks', 'run.fast');
	END IF;
	RETURN NULL;
END
$$;
DROP TRIGGER runs_wake ON automation.runs;
CREATE TRIGGER runs_wake AFTER INSERT ON automation.runs
	REFERENCING NEW TABLE AS n
	FOR EACH STATEMENT EXECUTE FUNCTION automation.runs_wake();
