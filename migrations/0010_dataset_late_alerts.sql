CREATE TABLE "dataset_late_alerts" (
	"id" serial PRIMARY KEY NOT NULL,
	"dataset" text NOT NULL,
	"late_since" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone,
	"team" text,
	"channel" text,
	"message_ts" text,
	"fresh_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_late_alerts_lateness_key" ON "dataset_late_alerts" USING btree ("dataset","late_since");--> statement-breakpoint
CREATE INDEX "dataset_late_alerts_open_idx" ON "dataset_late_alerts" USING btree ("dataset") WHERE "dataset_late_alerts"."resolved_at" is null;