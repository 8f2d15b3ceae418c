-- The chain head moves once per INSERT statement instead of once per row. Each row still takes
-- the head's lock (so writers keep one order) and chains onto the last row written, which a row
-- trigger sees even when an earlier row of the same statement wrote it; the head is brought up
-- to that row after the statement. Updating the head per row left a new version of it per row
-- inside the transaction, each read again by the next row: a multi-row INSERT cost O(rows²).
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head_id bigint;
  head_hash text;
  tail_id bigint;
  tail_hash text;
BEGIN
  SELECT h.last_id, h.last_hash INTO head_id, head_hash FROM audit_head h WHERE h.singleton FOR UPDATE;
  SELECT a.id, a.hash INTO tail_id, tail_hash FROM audit_log a ORDER BY a.id DESC LIMIT 1;
  -- Rows cut from the end leave the head ahead: ids go on from it, so the gap shows.
  IF tail_id > head_id THEN
    head_id := tail_id;
    head_hash := tail_hash;
  END IF;
  NEW.id := head_id + 1;
  NEW.at := clock_timestamp();
  NEW.prev_hash := head_hash;
  NEW.hash := audit_row_hash(NEW);
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE FUNCTION audit_head_advance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE audit_head h SET last_id = t.id, last_hash = t.hash
  FROM (SELECT a.id, a.hash FROM audit_log a ORDER BY a.id DESC LIMIT 1) t
  WHERE h.singleton AND t.id > h.last_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_head_advance AFTER INSERT ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_head_advance();
--> statement-breakpoint
-- The triggers run as the role that owns them (the one that ran the migrations), so the role dpbot
-- runs as needs only INSERT on audit_log, nothing on audit_head. Their search_path is fixed, with
-- pg_temp last, so nobody's temporary table can stand in for audit_head.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION audit_log_chain() SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION audit_head_advance() SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_log_chain() FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_head_advance() FROM PUBLIC;
