ALTER TABLE "release_apps" ADD COLUMN "sync_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "scale_reverts" ADD COLUMN "revert_started_at" timestamp with time zone;