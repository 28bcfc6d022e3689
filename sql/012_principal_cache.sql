-- The pools keep the principal behind an access token's session in a cache
-- of each process (fcgi/authcache.c). The session's expiry comes with the
-- principal so that an entry never outlives its session, and every change
-- that can make a cached principal wrong (a session revoked, shortened or
-- deleted; a user renamed, given another role, disabled or deleted) is
-- announced on the channel oc_principals, which every pool process
-- LISTENs to. Extending a session (refresh) is not such a change.
CREATE FUNCTION identity.session_principal_until(p_session uuid,
	p_user uuid, OUT username text, OUT role text, OUT expires_at bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, identity
AS $$
BEGIN
	SELECT u.username, u.role, floor(extract(epoch FROM s.expires_at))
	  INTO username, role, expires_at
	  FROM identity.sessions s JOIN identity.users u ON u.id = s.user_id
	 WHERE s.id = p_session AND s.user_id = p_user
	   AND s.revoked_at IS NULL AND s.expires_at > now()
	   AND NOT u.disabled;
END
$$;
REVOKE ALL ON FUNCTION identity.session_principal_until(uuid, uuid)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION identity.session_principal_until(uuid, uuid)
	TO oc_identity, oc_assets, oc_automation, oc_communication, oc_events;

CREATE FUNCTION identity.principals_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	-- One payload for all: PostgreSQL sends it once per transaction.
	PERFORM pg_notify('oc_principals', '');
	RETURN NULL;
END
$$;

CREATE TRIGGER sessions_principals_changed
	AFTER UPDATE ON identity.sessions FOR EACH ROW
	WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
	      OR NEW.expires_at < OLD.expires_at
	      OR OLD.user_id IS DISTINCT FROM NEW.user_id)
	EXECUTE FUNCTION identity.principals_changed();
CREATE TRIGGER sessions_principals_deleted
	AFTER DELETE OR TRUNCATE ON identity.sessions FOR EACH STATEMENT
	EXECUTE FUNCTION identity.principals_changed();
CREATE TRIGGER users_principals_changed
	AFTER UPDATE ON identity.users FOR EACH ROW
	WHEN (OLD.username IS DISTINCT FROM NEW.username
	      OR OLD.role IS DISTINCT FROM NEW.role
	      OR OLD.disabled IS DISTINCT FROM NEW.disabled)
	EXECUTE FUNCTION identity.principals_changed();
CREATE TRIGGER users_principals_deleted
	AFTER DELETE OR TRUNCATE ON identity.users FOR EACH STATEMENT
	EXECUTE FUNCTION identity.principals_changed();
