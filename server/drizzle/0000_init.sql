CREATE TYPE "public"."work_order_status" AS ENUM('OPEN', 'IN_PROGRESS', 'DONE');--> statement-breakpoint
CREATE TABLE "sync_failures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"entity" text NOT NULL,
	"object_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"message" text NOT NULL,
	"content" jsonb NOT NULL,
	"viewer_id" text NOT NULL,
	"client_id" text NOT NULL,
	"sync_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" text
);
--> statement-breakpoint
CREATE TABLE "sync_tombstones" (
	"entity" text NOT NULL,
	"object_id" uuid NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"tx" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	CONSTRAINT "sync_tombstones_entity_object_id_pk" PRIMARY KEY("entity","object_id")
);
--> statement-breakpoint
CREATE TABLE "sync_uploads" (
	"client_id" text NOT NULL,
	"sync_id" text NOT NULL,
	"viewer_id" text NOT NULL,
	"outcome" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_uploads_client_id_sync_id_pk" PRIMARY KEY("client_id","sync_id")
);
--> statement-breakpoint
CREATE TABLE "customer" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_tx" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"name" text NOT NULL,
	"address" text,
	"phone" text
);
--> statement-breakpoint
CREATE TABLE "feedback" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_tx" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"text" text NOT NULL,
	"rating" integer,
	"author_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "photo" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_tx" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"work_order_id" uuid NOT NULL,
	"caption" text,
	"file_name" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"content_hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "work_order" (
	"id" uuid PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_tx" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"status" "work_order_status" DEFAULT 'OPEN' NOT NULL,
	"customer_id" uuid NOT NULL,
	"assignee_id" text NOT NULL,
	"due_date" date,
	"hours_spent" double precision DEFAULT 0 NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "sync_failures_viewer" ON "sync_failures" USING btree ("viewer_id","created_at");--> statement-breakpoint
CREATE INDEX "sync_failures_upload" ON "sync_failures" USING btree ("client_id","sync_id");--> statement-breakpoint
CREATE INDEX "sync_tombstones_deleted_at" ON "sync_tombstones" USING btree ("deleted_at");--> statement-breakpoint
CREATE INDEX "sync_tombstones_tx" ON "sync_tombstones" USING btree ("tx");--> statement-breakpoint
CREATE INDEX "sync_uploads_created_at" ON "sync_uploads" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "customer_changed_tx_index" ON "customer" USING btree ("changed_tx");--> statement-breakpoint
CREATE INDEX "feedback_changed_tx_index" ON "feedback" USING btree ("changed_tx");--> statement-breakpoint
CREATE INDEX "feedback_author" ON "feedback" USING btree ("author_id");--> statement-breakpoint
CREATE INDEX "photo_changed_tx_index" ON "photo" USING btree ("changed_tx");--> statement-breakpoint
CREATE INDEX "photo_work_order" ON "photo" USING btree ("work_order_id");--> statement-breakpoint
CREATE INDEX "work_order_changed_tx_index" ON "work_order" USING btree ("changed_tx");--> statement-breakpoint
CREATE INDEX "work_order_assignee" ON "work_order" USING btree ("assignee_id");--> statement-breakpoint
CREATE INDEX "work_order_customer" ON "work_order" USING btree ("customer_id");