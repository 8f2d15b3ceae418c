CREATE TABLE "notice_preferences" (
	"email" text PRIMARY KEY NOT NULL,
	"direct_messages" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "release_notices" (
	"id" serial PRIMARY KEY NOT NULL,
	"release_id" integer NOT NULL,
	"service" text NOT NULL,
	"kind" text NOT NULL,
	"target" text NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"claimed_at" timestamp with time zone,
	"detail" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "release_subscriptions" (
	"email" text NOT NULL,
	"service" text NOT NULL,
	"slack_user_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "release_subscriptions_email_service_pk" PRIMARY KEY("email","service")
);
--> statement-breakpoint
ALTER TABLE "release_notices" ADD CONSTRAINT "release_notices_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "release_notices_key" ON "release_notices" USING btree ("release_id","service","kind","target");--> statement-breakpoint
CREATE INDEX "release_notices_open_idx" ON "release_notices" USING btree ("release_id","service","kind","state");--> statement-breakpoint
CREATE INDEX "release_subscriptions_service_idx" ON "release_subscriptions" USING btree ("service");