-- The two functions that append events wake the events processes
-- themselves (pg_notify, once per append; PostgreSQL folds the repeats of
-- a transaction into one notification at commit), in place of a statement
-- trigger on core.events: the trigger was one more PL/pgSQL call, and one
-- more entry in the after-trigger queue, in every statement that changes
-- a run, a target or a step, on the way from a new run's commit to its
-- first step.
CREATE OR REPLACE FUNCTION core.event_emit(p_type text, p_run uuid,
	p_min_role text, p_data jsonb) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
DECLARE
	v_id bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(7406384520631772001);
	INSERT INTO core.events (type, run_id, min_role, data)
		VALUES (p_type, p_run, coalesce(p_min_role, 'viewer'), p_data)
		RETURNING id INTO v_id;
	PERFORM pg_notify('oc_events', '');
	RETURN v_id;
END
$$;

CREATE OR REPLACE FUNCTION automation.events_append(p_type text,
	p_runs uuid[], p_data jsonb[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	IF cardinality(p_data) > 0 THEN
		PERFORM pg_advisory_xact_lock(7406384520631772001);
		INSERT INTO core.events (type, run_id, min_role, data)
		SELECT p_type, x.r, 'viewer', x.d
		FROM unnest(p_runs, p_data) WITH ORDINALITY AS x(r, d, k)
		ORDER BY x.k;
		PERFORM pg_notify('oc_events', '');
	END IF;
END
$$;

DROP TRIGGER events_notify ON core.events;
DROP FUNCTION core.events_notify();
