ALTER TABLE "audit_log" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_log_idempotency_key_key" ON "audit_log" USING btree ("idempotency_key");--> statement-breakpoint
-- A row whose key is already in the log was written by an earlier try whose answer was lost: it
-- is skipped here, before it takes an id, because the chain trigger runs before INSERT ... ON
-- CONFLICT looks at the unique index, and a row it numbered and then dropped would leave a gap.
-- The check comes after the head's lock, which the earlier try held until it committed, so it
-- sees that row.
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head_id bigint;
  head_hash text;
  tail_id bigint;
  tail_hash text;
BEGIN
  SELECT h.last_id, h.last_hash INTO head_id, head_hash FROM audit_head h WHERE h.singleton FOR UPDATE;
  IF NEW.idempotency_key IS NOT NULL
    AND EXISTS (SELECT 1 FROM audit_log a WHERE a.idempotency_key = NEW.idempotency_key) THEN
    RETURN NULL;
  END IF;
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
-- CREATE OR REPLACE resets what 0002 set: it runs as its owner again, with a fixed search_path.
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION audit_log_chain() SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION audit_log_chain() FROM PUBLIC;
