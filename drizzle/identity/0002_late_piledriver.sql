ALTER TABLE "identity"."outbox" DROP CONSTRAINT "outbox_id_unique";--> statement-breakpoint
DROP INDEX "identity"."outbox_published_idx";