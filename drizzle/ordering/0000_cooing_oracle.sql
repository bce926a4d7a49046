CREATE SCHEMA IF NOT EXISTS "ordering";
--> statement-breakpoint
CREATE TABLE "ordering"."checkout_sagas" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"started_steps" text[] DEFAULT '{}'::text[] NOT NULL,
	"step_started_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"failure_reason" text,
	"last_error" text,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ordering"."order_lines" (
	"order_id" uuid NOT NULL,
	"line_no" integer NOT NULL,
	"product_id" uuid NOT NULL,
	"sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_amount" integer NOT NULL,
	"currency" text NOT NULL,
	"product_name" text NOT NULL,
	CONSTRAINT "order_lines_order_id_line_no_pk" PRIMARY KEY("order_id","line_no"),
	CONSTRAINT "order_lines_quantity_positive" CHECK ("ordering"."order_lines"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "ordering"."orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"status" text NOT NULL,
	"cancellation_reason" text,
	"total_amount" integer NOT NULL,
	"currency" text NOT NULL,
	"shipping_address" jsonb NOT NULL,
	"payment_token" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"shipment_id" uuid,
	"tracking_number" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_user_idempotency_key_unique" UNIQUE("user_id","idempotency_key"),
	CONSTRAINT "orders_total_non_negative" CHECK ("ordering"."orders"."total_amount" >= 0)
);
--> statement-breakpoint
CREATE TABLE "ordering"."outbox" (
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
ALTER TABLE "ordering"."checkout_sagas" ADD CONSTRAINT "checkout_sagas_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "ordering"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ordering"."order_lines" ADD CONSTRAINT "order_lines_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "ordering"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "checkout_sagas_unfinished_idx" ON "ordering"."checkout_sagas" USING btree ("next_attempt_at") WHERE "ordering"."checkout_sagas"."state" NOT IN ('CONFIRMED', 'CANCELLED', 'COMPENSATION_FAILED');--> statement-breakpoint
CREATE INDEX "checkout_sagas_state_idx" ON "ordering"."checkout_sagas" USING btree ("state");--> statement-breakpoint
CREATE INDEX "orders_user_created_idx" ON "ordering"."orders" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "ordering"."outbox" USING btree ("seq") WHERE "ordering"."outbox"."published_at" IS NULL;--> statement-breakpoint
CREATE INDEX "outbox_type_time_idx" ON "ordering"."outbox" USING btree ("type","occurred_at");