-- Not part of audit_row_canonical: the trace id points at telemetry kept elsewhere, and the chain
-- of every row (before and after this column) is computed as it was.
ALTER TABLE "audit_log" ADD COLUMN "trace_id" text;
