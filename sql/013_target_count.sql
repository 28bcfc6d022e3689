-- The exact number of targets, kept by statement triggers, so that an
-- unfiltered target list does not count every row for its total on every
-- page (a list of 50 out of 10,000 would spend most of its time counting).
-- Filtered lists still count. The triggers run as the owner: the roles
-- that may add or remove targets need no right on the counter.
CREATE TABLE assets.target_stats (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	n   bigint NOT NULL
);
INSERT INTO assets.target_stats (n) SELECT count(*) FROM assets.targets;

CREATE FUNCTION assets.target_stats_track() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, assets
AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		UPDATE assets.target_stats SET n = 0;
	ELSIF TG_OP = 'INSERT' THEN
		UPDATE assets.target_stats
		   SET n = n + (SELECT count(*) FROM new_rows);
	ELSE
		UPDATE assets.target_stats
		   SET n = n - (SELECT count(*) FROM old_rows);
	END IF;
	RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION assets.target_stats_track() FROM PUBLIC;
CREATE TRIGGER targets_stats_insert AFTER INSERT ON assets.targets
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION assets.target_stats_track();
CREATE TRIGGER targets_stats_delete AFTER DELETE ON assets.targets
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION assets.target_stats_track();
CREATE TRIGGER targets_stats_truncate AFTER TRUNCATE ON assets.targets
	FOR EACH STATEMENT EXECUTE FUNCTION assets.target_stats_track();
GRANT SELECT ON assets.target_stats TO oc_assets;
