CREATE TABLE "action_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"actor_email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "approvals" (
	"pending_id" uuid NOT NULL,
	"approver_email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "approvals_pending_id_approver_email_pk" PRIMARY KEY("pending_id","approver_email")
);
--> statement-breakpoint
CREATE TABLE "audit_head" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"last_id" bigint NOT NULL,
	"last_hash" text NOT NULL,
	CONSTRAINT "audit_head_singleton" CHECK ("audit_head"."singleton")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY DEFAULT 0 NOT NULL,
	"at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"request_id" text NOT NULL,
	"kind" text NOT NULL,
	"entry" text NOT NULL,
	"slack_user_id" text,
	"email" text,
	"channel" text,
	"command" text,
	"command_text" text,
	"args" jsonb,
	"action" text,
	"resource" text,
	"decision" text,
	"reason" text,
	"grant_ref" jsonb,
	"outcome" text,
	"error" text,
	"duration_ms" integer,
	"detail" jsonb,
	"prev_hash" text DEFAULT '' NOT NULL,
	"hash" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
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
CREATE TABLE "directory_sync_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"trigger" text NOT NULL,
	"requested_by" text,
	"status" text NOT NULL,
	"forced" boolean DEFAULT false NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "group_grants" (
	"id" serial PRIMARY KEY NOT NULL,
	"actions" text[] NOT NULL,
	"resources" text[] NOT NULL,
	"limits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"approval" jsonb,
	"origin" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"group_name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"source" text NOT NULL,
	"external_id" text,
	"display_name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memberships" (
	"group_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "memberships_group_id_user_id_pk" PRIMARY KEY("group_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "pending_actions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" text NOT NULL,
	"kind" text NOT NULL,
	"command" text NOT NULL,
	"command_text" text NOT NULL,
	"args" jsonb NOT NULL,
	"requester_email" text NOT NULL,
	"requester_slack_id" text,
	"channel" text,
	"summary" text NOT NULL,
	"approver_group" text,
	"approvals_needed" integer,
	"message_channel" text,
	"message_ts" text,
	"once_key" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
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
CREATE TABLE "slack_requests" (
	"signature" text PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"task" text NOT NULL,
	"params" jsonb NOT NULL,
	"template_kind" text NOT NULL,
	"template_name" text NOT NULL,
	"namespace" text NOT NULL,
	"workflow_name" text,
	"request_id" text NOT NULL,
	"requester_email" text NOT NULL,
	"requester_slack_id" text,
	"channel" text,
	"message_channel" text,
	"message_ts" text,
	"phase" text DEFAULT 'Submitting' NOT NULL,
	"progress" text,
	"message" text,
	"failed_step" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"jira_key" text,
	"jira_commented_at" timestamp with time zone,
	"cancelled_by" text,
	"cancel_mode" text,
	"rendered_key" text,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_grants" (
	"id" serial PRIMARY KEY NOT NULL,
	"actions" text[] NOT NULL,
	"resources" text[] NOT NULL,
	"limits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"approval" jsonb,
	"origin" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"user_email" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "user_sources" (
	"user_id" integer NOT NULL,
	"source" text NOT NULL,
	"external_id" text,
	"active" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_sources_user_id_source_pk" PRIMARY KEY("user_id","source")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"name" text,
	"slack_user_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_pending_id_pending_actions_id_fk" FOREIGN KEY ("pending_id") REFERENCES "public"."pending_actions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "confirmations" ADD CONSTRAINT "confirmations_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_apps" ADD CONSTRAINT "release_apps_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_prs" ADD CONSTRAINT "release_prs_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "release_services" ADD CONSTRAINT "release_services_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollbacks" ADD CONSTRAINT "rollbacks_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_sources" ADD CONSTRAINT "user_sources_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_request_id_idx" ON "audit_log" USING btree ("request_id");--> statement-breakpoint
CREATE INDEX "audit_log_email_at_idx" ON "audit_log" USING btree ("email","at");--> statement-breakpoint
CREATE INDEX "audit_log_action_at_idx" ON "audit_log" USING btree ("action","at");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "directory_sync_runs_source_started_idx" ON "directory_sync_runs" USING btree ("source","started_at");--> statement-breakpoint
CREATE INDEX "group_grants_group_name_idx" ON "group_grants" USING btree ("group_name");--> statement-breakpoint
CREATE UNIQUE INDEX "groups_name_key" ON "groups" USING btree ("name");--> statement-breakpoint
CREATE INDEX "groups_source_idx" ON "groups" USING btree ("source");--> statement-breakpoint
CREATE INDEX "memberships_user_id_idx" ON "memberships" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "pending_actions_status_expires_idx" ON "pending_actions" USING btree ("status","expires_at");--> statement-breakpoint
CREATE INDEX "release_services_service_idx" ON "release_services" USING btree ("service","release_id");--> statement-breakpoint
CREATE UNIQUE INDEX "releases_one_active_idx" ON "releases" USING btree ("active") WHERE "releases"."active";--> statement-breakpoint
CREATE UNIQUE INDEX "scale_reverts_pending_key" ON "scale_reverts" USING btree ("team","target") WHERE "scale_reverts"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "scale_reverts_status_due_idx" ON "scale_reverts" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "slack_requests_received_at_idx" ON "slack_requests" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "task_runs_task_created_idx" ON "task_runs" USING btree ("task","created_at");--> statement-breakpoint
CREATE INDEX "task_runs_requester_created_idx" ON "task_runs" USING btree ("requester_email","created_at");--> statement-breakpoint
CREATE INDEX "task_runs_workflow_idx" ON "task_runs" USING btree ("workflow_name");--> statement-breakpoint
CREATE INDEX "user_grants_user_email_idx" ON "user_grants" USING btree ("user_email");--> statement-breakpoint
CREATE INDEX "user_sources_source_idx" ON "user_sources" USING btree ("source");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_key" ON "users" USING btree ("email");--> statement-breakpoint
CREATE INDEX "users_slack_user_id_idx" ON "users" USING btree ("slack_user_id");