CREATE TABLE "confirmations" (
	"release_id" integer NOT NULL,
	"service" text NOT NULL,
	"decision" text DEFAULT 'pending' NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"reason" text,
	"reminded_at" timestamp with time zone,
	"reminders" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "confirmations_release_id_service_pk" PRIMARY KEY("release_id","service")
);
--> statement-breakpoint
CREATE TABLE "release_apps" (
	"release_id" integer NOT NULL,
	"application" text NOT NULL,
	"service" text NOT NULL,
	"wave" integer NOT NULL,
	"revision" text NOT NULL,
	"status" text DEFAULT 'waiting' NOT NULL,
	"previous_history_id" bigint,
	"previous_revision" text,
	"started_at" timestamp with time zone,
	"healthy_since" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"message" text,
	"blocked" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "release_apps_release_id_application_pk" PRIMARY KEY("release_id","application")
);
--> statement-breakpoint
CREATE TABLE "release_prs" (
	"release_id" integer NOT NULL,
	"repository" text NOT NULL,
	"number" integer NOT NULL,
	"title" text NOT NULL,
	"url" text NOT NULL,
	"author" text,
	"branch" text,
	"body" text,
	"merged_at" timestamp with time zone NOT NULL,
	"merge_commit" text,
	"labels" text[] NOT NULL,
	"category" text NOT NULL,
	"jira_keys" text[] NOT NULL,
	"services" text[] NOT NULL,
	"late" boolean DEFAULT false NOT NULL,
	CONSTRAINT "release_prs_release_id_repository_number_pk" PRIMARY KEY("release_id","repository","number")
);
--> statement-breakpoint
CREATE TABLE "release_services" (
	"release_id" integer NOT NULL,
	"service" text NOT NULL,
	"repository" text NOT NULL,
	"branch" text NOT NULL,
	"revision" text NOT NULL,
	"revision_date" timestamp with time zone NOT NULL,
	"since_revision" text,
	"since_date" timestamp with time zone NOT NULL,
	"thread_ts" text,
	"ship_status" text DEFAULT 'pending' NOT NULL,
	CONSTRAINT "release_services_release_id_service_pk" PRIMARY KEY("release_id","service")
);
--> statement-breakpoint
CREATE TABLE "releases" (
	"id" serial PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"active" boolean DEFAULT true,
	"started_by" text NOT NULL,
	"since" text,
	"channel" text NOT NULL,
	"message_ts" text,
	"ship_started_by" text,
	"ship_started_at" timestamp with time zone,
	"shipped_at" timestamp with time zone,
	"tracker_note" text,
	"notes_posted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rollbacks" (
	"key" text PRIMARY KEY NOT NULL,
	"release_id" integer,
	"service" text NOT NULL,
	"application" text NOT NULL,
	"history_id" bigint NOT NULL,
	"revision" text,
	"requested_by" text NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"auto_sync_policy" jsonb,
	"auto_sync_restored_at" timestamp with time zone,
	"channel" text,
	"thread_ts" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "confirmations" ADD CONSTRAINT "confirmations_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_apps" ADD CONSTRAINT "release_apps_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_prs" ADD CONSTRAINT "release_prs_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_services" ADD CONSTRAINT "release_services_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollbacks" ADD CONSTRAINT "rollbacks_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "release_services_service_idx" ON "release_services" USING btree ("service","release_id");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_one_active_idx" ON "releases" USING btree ("active") WHERE "releases"."active";