CREATE TABLE "scale_reverts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"team" text NOT NULL,
	"target" text NOT NULL,
	"mode" text NOT NULL,
	"from_replicas" integer NOT NULL,
	"to_replicas" integer NOT NULL,
	"requested_by" text NOT NULL,
	"requested_by_slack_id" text,
	"reason" text,
	"request_id" text NOT NULL,
	"channel" text,
	"thread_ts" text,
	"due_at" timestamp with time zone NOT NULL,
	"job_id" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"settled_at" timestamp with time zone,
	"settled_by" text,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "scale_reverts_pending_key" ON "scale_reverts" USING btree ("team","target") WHERE "scale_reverts"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "scale_reverts_status_due_idx" ON "scale_reverts" USING btree ("status","due_at");