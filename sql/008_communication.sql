-- The communication pool (channels, templates, notifications, the audit
-- log reader): its login role and what it may read. Reading the audit
-- trail goes through the indexes of 001 (at, entity, actor).

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles
		       WHERE rolname = 'oc_communication') THEN
		CREATE ROLE oc_communication LOGIN;
	END IF;
END
$$;

GRANT USAGE ON SCHEMA core, identity TO oc_communication;
GRANT SELECT ON core.audit_events TO oc_communication;
GRANT SELECT, INSERT, UPDATE, DELETE ON core.components TO oc_communication;
GRANT EXECUTE ON FUNCTION identity.session_principal(uuid, uuid),
	identity.api_key_principal(uuid), identity.api_key_touch(uuid)
	TO oc_communication;
