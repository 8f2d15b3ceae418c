CREATE TABLE "access_version" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "access_version_singleton" CHECK ("access_version"."singleton")
);
--> statement-breakpoint
INSERT INTO access_version (singleton, version) VALUES (true, 0);
--> statement-breakpoint
-- Any statement that changes who may do what moves the version on, in its own transaction, so
-- the new version becomes visible together with the change. Statement-level: a sync that writes
-- 10,000 memberships bumps it once.
CREATE FUNCTION access_version_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE access_version SET version = version + 1 WHERE singleton;
  RETURN NULL;
END
$$;
--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'user_sources', 'groups', 'memberships', 'group_grants', 'user_grants'] LOOP
    EXECUTE format(
      'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
      'FOR EACH STATEMENT EXECUTE FUNCTION access_version_bump()',
      t || '_access_version', t);
  END LOOP;
END
$$;
