CREATE TABLE "identity"."outbox" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"version" integer NOT NULL,
	"payload" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"correlation_id" text NOT NULL,
	"causation_id" text NOT NULL,
	"traceparent" text,
	"claimed_until" timestamp with time zone,
	"published_at" timestamp with time zone,
	CONSTRAINT "outbox_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "identity"."outbox" USING btree ("seq") WHERE "identity"."outbox"."published_at" IS NULL;--> statement-breakpoint
CREATE INDEX "outbox_published_idx" ON "identity"."outbox" USING btree ("published_at");--> statement-breakpoint
CREATE INDEX "outbox_type_time_idx" ON "identity"."outbox" USING btree ("type","occurred_at");