-- Identity: users, sessions with rotating refresh tokens, API keys, TOTP,
-- login failure tracking.

CREATE SCHEMA identity;

CREATE TABLE identity.users (
	id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	username      text NOT NULL UNIQUE
		CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
	display_name  text NOT NULL DEFAULT '',
	email         text,
	role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	password_hash text NOT NULL,            -- argon2id encoded
	disabled      boolean NOT NULL DEFAULT false,
	preferences   jsonb NOT NULL DEFAULT '{}',
	totp_secret   bytea,                    -- AES-256-GCM, bound to id
	totp_enabled  boolean NOT NULL DEFAULT false,
	totp_last_step bigint,                  -- replay protection
	password_changed_at timestamptz NOT NULL DEFAULT now(),
	created_at    timestamptz NOT NULL DEFAULT now(),
	updated_at    timestamptz NOT NULL DEFAULT now(),
	version       integer NOT NULL DEFAULT 1
);
CREATE INDEX users_role ON identity.users (role, username);

CREATE TABLE identity.sessions (
	id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id       uuid NOT NULL REFERENCES identity.users (id) ON DELETE CASCADE,
	created_at    timestamptz NOT NULL DEFAULT now(),
	last_used_at  timestamptz NOT NULL DEFAULT now(),
	expires_at    timestamptz NOT NULL,
	remote_addr   text,
	user_agent    text,
	revoked_at    timestamptz,
	revoked_reason text
);
CREATE INDEX sessions_user ON identity.sessions (user_id, created_at DESC);
CREATE INDEX sessions_active ON identity.sessions (created_at DESC)
	WHERE revoked_at IS NULL;

-- Refresh tokens are stored as SHA-256 hex; a used one that comes back
-- revokes its whole session.
CREATE TABLE identity.refresh_tokens (
	token_hash    text PRIMARY KEY,
	session_id    uuid NOT NULL REFERENCES identity.sessions (id) ON DELETE CASCADE,
	created_at    timestamptz NOT NULL DEFAULT now(),
	used_at       timestamptz
);
CREATE INDEX refresh_tokens_session ON identity.refresh_tokens (session_id);

CREATE TABLE identity.api_keys (
	id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id       uuid NOT NULL REFERENCES identity.users (id) ON DELETE CASCADE,
	name          text NOT NULL,
	role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	secret_hash   text NOT NULL,            -- SHA-256 hex of the whole key
	created_at    timestamptz NOT NULL DEFAULT now(),
	expires_at    timestamptz,
	last_used_at  timestamptz,
	revoked_at    timestamptz
);
CREATE INDEX api_keys_user ON identity.api_keys (user_id, created_at DESC);
CREATE INDEX api_keys_created ON identity.api_keys (created_at DESC);

CREATE TABLE identity.recovery_codes (
	user_id       uuid NOT NULL REFERENCES identity.users (id) ON DELETE CASCADE,
	code_hash     text NOT NULL,
	used_at       timestamptz,
	PRIMARY KEY (user_id, code_hash)
);

-- Failed logins per account ('user:<name>') and per address ('addr:<ip>').
CREATE TABLE identity.login_failures (
	key           text PRIMARY KEY,
	failures      integer NOT NULL DEFAULT 0,
	last_at       timestamptz NOT NULL DEFAULT now(),
	blocked_until timestamptz
);

-- Records one failed login for key and returns the new count and until
-- when further attempts are refused. The count starts again when the last
-- failure is older than the lock period. From p_backoff_after failures the
-- key waits 2^(failures - p_backoff_after) seconds (at most 60); from
-- p_lock_after failures it is locked for p_lock_s seconds.
CREATE FUNCTION identity.login_failure(p_key text, p_backoff_after integer,
	p_lock_after integer, p_lock_s integer,
	OUT failures integer, OUT blocked_until timestamptz)
LANGUAGE plpgsql SET search_path = pg_catalog, identity
AS $$
DECLARE
	n integer;
BEGIN
	INSERT INTO identity.login_failures AS f (key, failures, last_at)
	VALUES (p_key, 0, now())
	ON CONFLICT (key) DO NOTHING;
	SELECT CASE WHEN f.last_at < now() - make_interval(secs => p_lock_s)
		    THEN 1 ELSE f.failures + 1 END
	  INTO n
	  FROM identity.login_failures f
	 WHERE f.key = p_key
	   FOR UPDATE;
	UPDATE identity.login_failures f
	   SET failures = n, last_at = now(),
	       blocked_until = CASE
		WHEN n >= p_lock_after THEN now() + make_interval(secs => p_lock_s)
		WHEN n >= p_backoff_after THEN now() + make_interval(
			secs => least(power(2, n - p_backoff_after), 60))
		ELSE NULL END
	 WHERE f.key = p_key
	RETURNING f.failures, f.blocked_until INTO failures, blocked_until;
END
$$;

-- The principal behind an access token's session, for every pool. NULL
-- when the session is revoked or expired or the user disabled.
-- plpgsql rather than SQL: a SECURITY DEFINER SQL function is never
-- inlined and is planned again on every call; plpgsql keeps its plan for
-- the session. Both run on every authenticated request of every pool.
CREATE FUNCTION identity.session_principal(p_session uuid, p_user uuid,
	OUT username text, OUT role text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, identity
AS $$
BEGIN
	SELECT u.username, u.role INTO username, role
	  FROM identity.sessions s JOIN identity.users u ON u.id = s.user_id
	 WHERE s.id = p_session AND s.user_id = p_user
	   AND s.revoked_at IS NULL AND s.expires_at > now()
	   AND NOT u.disabled;
END
$$;

-- The owner and hash behind an API key id, for every pool.
CREATE FUNCTION identity.api_key_principal(p_key uuid,
	OUT user_id uuid, OUT username text, OUT user_role text,
	OUT key_role text, OUT secret_hash text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, identity
AS $$
BEGIN
	SELECT u.id, u.username, u.role, k.role, k.secret_hash
	  INTO user_id, username, user_role, key_role, secret_hash
	  FROM identity.api_keys k JOIN identity.users u ON u.id = k.user_id
	 WHERE k.id = p_key AND k.revoked_at IS NULL
	   AND (k.expires_at IS NULL OR k.expires_at > now())
	   AND NOT u.disabled;
END
$$;

-- Records use of an API key at most once a minute.
CREATE FUNCTION identity.api_key_touch(p_key uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, identity
AS $$
	UPDATE identity.api_keys SET last_used_at = now()
	 WHERE id = p_key
	   AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
$$;

REVOKE ALL ON FUNCTION identity.session_principal(uuid, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION identity.api_key_principal(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION identity.api_key_touch(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION identity.login_failure(text, integer, integer, integer)
	FROM PUBLIC;

-- Exact user counts by role and state, kept by a trigger, so that an
-- unfiltered or role-filtered user list does not count 10,000 rows on
-- every page.
CREATE TABLE identity.user_stats (
	role     text NOT NULL,
	disabled boolean NOT NULL,
	n        bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (role, disabled)
);
INSERT INTO identity.user_stats (role, disabled)
SELECT r, d FROM unnest(ARRAY['viewer', 'operator', 'admin']) AS r,
	unnest(ARRAY[false, true]) AS d;

CREATE FUNCTION identity.user_stats_track() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, identity
AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		UPDATE identity.user_stats SET n = 0;
		RETURN NULL;
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE identity.user_stats SET n = n - 1
		 WHERE role = OLD.role AND disabled = OLD.disabled;
	END IF;
	IF TG_OP IN ('UPDATE', 'INSERT') THEN
		UPDATE identity.user_stats SET n = n + 1
		 WHERE role = NEW.role AND disabled = NEW.disabled;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER users_stats AFTER INSERT OR DELETE OR UPDATE OF role, disabled
	ON identity.users FOR EACH ROW EXECUTE FUNCTION identity.user_stats_track();
CREATE TRIGGER users_stats_truncate AFTER TRUNCATE ON identity.users
	FOR EACH STATEMENT EXECUTE FUNCTION identity.user_stats_track();

GRANT USAGE ON SCHEMA identity TO oc_identity;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA identity
	TO oc_identity;
GRANT EXECUTE ON FUNCTION identity.session_principal(uuid, uuid),
	identity.api_key_principal(uuid), identity.api_key_touch(uuid),
	identity.login_failure(text, integer, integer, integer)
	TO oc_identity;
