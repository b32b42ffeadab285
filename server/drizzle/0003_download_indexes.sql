DROP INDEX "feedback_author";--> statement-breakpoint
DROP INDEX "photo_work_order";--> statement-breakpoint
DROP INDEX "work_order_assignee";--> statement-breakpoint
CREATE INDEX "feedback_author" ON "feedback" USING btree ("author_id","id");--> statement-breakpoint
CREATE INDEX "photo_work_order" ON "photo" USING btree ("work_order_id","id");--> statement-breakpoint
CREATE INDEX "work_order_assignee" ON "work_order" USING btree ("assignee_id","id");