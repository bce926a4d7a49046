ALTER TABLE "inventory"."outbox" DROP CONSTRAINT "outbox_id_unique";--> statement-breakpoint
DROP INDEX "inventory"."outbox_published_idx";