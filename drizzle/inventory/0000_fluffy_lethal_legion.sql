CREATE SCHEMA IF NOT EXISTS "inventory";
--> statement-breakpoint
CREATE TABLE "inventory"."stock_items" (
	"sku" text PRIMARY KEY NOT NULL,
	"product_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"location" text NOT NULL,
	"reorder_point" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_quantity_non_negative" CHECK ("inventory"."stock_items"."quantity" >= 0),
	CONSTRAINT "stock_reserved_within_quantity" CHECK ("inventory"."stock_items"."reserved" >= 0 AND "inventory"."stock_items"."reserved" <= "inventory"."stock_items"."quantity"),
	CONSTRAINT "stock_reorder_point_non_negative" CHECK ("inventory"."stock_items"."reorder_point" >= 0)
);
--> statement-breakpoint
CREATE INDEX "stock_items_product_idx" ON "inventory"."stock_items" USING btree ("product_id");