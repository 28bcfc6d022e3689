-- automation.log_append takes its row locks before the event lock.
-- Everything that changes a run's state locks the run's row first (a claim's
-- FOR UPDATE, an UPDATE) and then, from the trigger, the event lock of
-- core.event_emit. log_append took the event lock first and then, through
-- the foreign keys of run_logs, a KEY SHARE lock on the run and its target:
-- the opposite order, a deadlock with a claim that completes runs in its
-- own transaction. Now it locks the rows first, in the same order.
CREATE OR REPLACE FUNCTION automation.log_append(p_run uuid,
	p_run_target uuid, p_step text, p_stream text, p_data text)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
DECLARE
	v_id bigint;
BEGIN
	PERFORM 1 FROM automation.runs WHERE id = p_run FOR KEY SHARE;
	IF p_run_target IS NOT NULL THEN
		PERFORM 1 FROM automation.run_targets WHERE id = p_run_target
			FOR KEY SHARE;
	END IF;
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
