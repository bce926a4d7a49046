ALTER TABLE "catalog"."outbox" DROP CONSTRAINT "outbox_id_unique";--> statement-breakpoint
DROP INDEX "catalog"."outbox_published_idx";