CREATE TABLE "sync_row_history" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"entity" text NOT NULL,
	"object_id" uuid NOT NULL,
	"tx" "xid8" DEFAULT pg_current_xact_id() NOT NULL,
	"old" jsonb NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sync_row_history_object" ON "sync_row_history" USING btree ("entity","object_id","seq");--> statement-breakpoint
CREATE INDEX "sync_row_history_recorded_at" ON "sync_row_history" USING btree ("recorded_at");