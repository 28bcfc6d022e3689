-- core.event_emit inserts with RETURNING id, which needs SELECT on that
-- column for the roles that call it from their triggers (run creation and
-- cancel in the automation pool; task and scan events in the assets pool).
GRANT SELECT (id) ON core.events TO oc_automation, oc_assets;
