ALTER TABLE "audit_log" ADD COLUMN "slack_name" text;--> statement-breakpoint
CREATE INDEX "audit_log_slack_user_id_at_idx" ON "audit_log" USING btree ("slack_user_id","at");
--> statement-breakpoint
-- The Slack name is part of a row's hashed text; null on every row written before it existed,
-- and nulls are stripped, so their hashes stay as they were.
CREATE OR REPLACE FUNCTION audit_row_canonical(r audit_log) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'id', r.id,
    'at', to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'request_id', r.request_id,
    'kind', r.kind,
    'entry', r.entry,
    'slack_user_id', r.slack_user_id,
    'slack_name', r.slack_name,
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
