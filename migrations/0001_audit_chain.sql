-- The audit log is a hash chain kept by the database itself, so every writer (any replica, any
-- code path) produces the same chain, and verification can recompute it in one query.
INSERT INTO audit_head (singleton, last_id, last_hash)
VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000');
--> statement-breakpoint
-- Canonical text of a row: explicit columns, nulls stripped, so that a column added by a later
-- migration does not change the hash of rows written before it existed. Timestamps are rendered
-- in UTC so the text does not depend on the session's TimeZone.
CREATE FUNCTION audit_row_canonical(r audit_log) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'id', r.id,
    'at', to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'request_id', r.request_id,
    'kind', r.kind,
    'entry', r.entry,
    'slack_user_id', r.slack_user_id,
    'email', r.email,
    'channel', r.channel,
    'command', r.command,
    'command_text', r.command_text,
    'args', r.args,
    'action', r.action,
    'resource', r.resource,
    'decision', r.decision,
    'reason', r.reason,
    'grant_ref', r.grant_ref,
    'outcome', r.outcome,
    'error', r.error,
    'duration_ms', r.duration_ms,
    'detail', r.detail,
    'prev_hash', r.prev_hash
  ))::text
$$;
--> statement-breakpoint
CREATE FUNCTION audit_row_hash(r audit_log) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(audit_row_canonical(r), 'UTF8')), 'hex')
$$;
--> statement-breakpoint
-- Ids are taken from the head under its row lock rather than from a sequence: sequence values are
-- handed out before the lock is taken, so they would not follow the chain's order, and gaps from
-- rolled-back inserts would look like deleted rows.
CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head audit_head%ROWTYPE;
BEGIN
  SELECT * INTO head FROM audit_head WHERE singleton FOR UPDATE;
  NEW.id := head.last_id + 1;
  NEW.at := clock_timestamp();
  NEW.prev_hash := head.last_hash;
  NEW.hash := audit_row_hash(NEW);
  UPDATE audit_head SET last_id = NEW.id, last_hash = NEW.hash WHERE singleton;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
--> statement-breakpoint
CREATE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change();
