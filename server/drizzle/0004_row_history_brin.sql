DROP INDEX "sync_row_history_recorded_at";--> statement-breakpoint
CREATE INDEX "sync_row_history_recorded_at" ON "sync_row_history" USING brin ("recorded_at");