-- The pools cache whole answers to some GETs (fcgi/rcache.c): the users'
-- in the identity pool, the targets' in the assets pool. Every change to
-- the data those answers are read from is announced on the channel
-- oc_reads, with the pool's data as payload, which every pool process
-- LISTENs to (fcgi/inval.c). PostgreSQL sends one notification per
-- transaction and payload, at commit.
CREATE FUNCTION core.reads_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog
AS $$
BEGIN
	PERFORM pg_notify('oc_reads', TG_ARGV[0]);
	RETURN NULL;
END
$$;

-- Each table an answer reads, with its pool's data: identity, the users'
-- list and GET (and the counts kept from the users in the same
-- transaction); assets, targets with their credential's name, their
-- groups (the group filter) and their connection test's state.
DO $$
DECLARE
	t text[];
BEGIN
	FOREACH t SLICE 1 IN ARRAY ARRAY[
		['identity.users', 'identity'],
		['assets.targets', 'assets'],
		['assets.credentials', 'assets'],
		['assets.groups', 'assets'],
		['assets.group_members', 'assets']]
	LOOP
		EXECUTE format('CREATE TRIGGER reads_changed AFTER INSERT OR '
			'UPDATE OR DELETE OR TRUNCATE ON %s FOR EACH STATEMENT '
			'EXECUTE FUNCTION core.reads_changed(%L)', t[1], t[2]);
	END LOOP;
END
$$;

-- A task's lease and progress move all the time; only its state shows.
CREATE TRIGGER tasks_reads_changed
	AFTER UPDATE ON core.tasks FOR EACH ROW
	WHEN (OLD.state IS DISTINCT FROM NEW.state)
	EXECUTE FUNCTION core.reads_changed('assets');
CREATE TRIGGER tasks_reads_added
	AFTER INSERT OR DELETE OR TRUNCATE ON core.tasks
	FOR EACH STATEMENT EXECUTE FUNCTION core.reads_changed('assets');
