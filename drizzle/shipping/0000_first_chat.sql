CREATE SCHEMA IF NOT EXISTS "shipping";
--> statement-breakpoint
CREATE TABLE "shipping"."outbox" (
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
	"published_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "shipping"."shipments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"tracking_number" text NOT NULL,
	"carrier" text NOT NULL,
	"status" text NOT NULL,
	"address" jsonb NOT NULL,
	"lines" jsonb NOT NULL,
	"total_weight_grams" integer NOT NULL,
	"hazardous" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "shipments_order_id_unique" UNIQUE("order_id"),
	CONSTRAINT "shipments_tracking_number_unique" UNIQUE("tracking_number"),
	CONSTRAINT "shipments_total_weight_positive" CHECK ("shipping"."shipments"."total_weight_grams" > 0)
);
--> statement-breakpoint
CREATE TABLE "shipping"."shippable_items" (
	"product_id" uuid PRIMARY KEY NOT NULL,
	"weight_grams" integer NOT NULL,
	"length_mm" integer NOT NULL,
	"width_mm" integer NOT NULL,
	"height_mm" integer NOT NULL,
	"hazardous" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "shippable_items_weight_positive" CHECK ("shipping"."shippable_items"."weight_grams" > 0),
	CONSTRAINT "shippable_items_size_positive" CHECK ("shipping"."shippable_items"."length_mm" > 0 AND "shipping"."shippable_items"."width_mm" > 0 AND "shipping"."shippable_items"."height_mm" > 0)
);
--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "shipping"."outbox" USING btree ("seq") WHERE "shipping"."outbox"."published_at" IS NULL;--> statement-breakpoint
CREATE INDEX "outbox_type_time_idx" ON "shipping"."outbox" USING btree ("type","occurred_at");--> statement-breakpoint
CREATE INDEX "shipments_user_created_idx" ON "shipping"."shipments" USING btree ("user_id","created_at");