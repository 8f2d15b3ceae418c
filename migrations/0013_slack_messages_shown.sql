CREATE TABLE "slack_messages_shown" (
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"content_hash" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "slack_messages_shown_channel_ts_pk" PRIMARY KEY("channel","ts")
);
--> statement-breakpoint
CREATE INDEX "slack_messages_shown_updated_at_idx" ON "slack_messages_shown" USING btree ("updated_at");