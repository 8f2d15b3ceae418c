CREATE TABLE "freezes" (
	"id" serial PRIMARY KEY NOT NULL,
	"services" text[] NOT NULL,
	"reason" text NOT NULL,
	"until" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"request_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lifted_by" text,
	"lifted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "freezes_open_until_idx" ON "freezes" USING btree ("until") WHERE "freezes"."lifted_at" IS NULL;