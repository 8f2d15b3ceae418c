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
CREATE INDEX "task_runs_task_created_idx" ON "task_runs" USING btree ("task","created_at");--> statement-breakpoint
CREATE INDEX "task_runs_requester_created_idx" ON "task_runs" USING btree ("requester_email","created_at");--> statement-breakpoint
CREATE INDEX "task_runs_workflow_idx" ON "task_runs" USING btree ("workflow_name");