CREATE SCHEMA IF NOT EXISTS "reporting";
--> statement-breakpoint
CREATE TABLE "reporting"."dead_letters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"event_id" uuid NOT NULL,
	"subscription" text NOT NULL,
	"envelope" jsonb NOT NULL,
	"attempts" integer NOT NULL,
	"last_error" text NOT NULL,
	"failed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"redriven_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "reporting"."inbox" (
	"event_id" uuid NOT NULL,
	"subscription" text NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_event_id_subscription_pk" PRIMARY KEY("event_id","subscription")
);
--> statement-breakpoint
CREATE TABLE "reporting"."order_summaries" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"user_name" text NOT NULL,
	"product_names" text[] DEFAULT '{}'::text[] NOT NULL,
	"lines" jsonb,
	"total_amount" integer NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"cancellation_reason" text,
	"placed_at" timestamp with time zone,
	"confirmed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "dead_letters_pending_idx" ON "reporting"."dead_letters" USING btree ("failed_at") WHERE "reporting"."dead_letters"."redriven_at" IS NULL;--> statement-breakpoint
CREATE INDEX "inbox_processed_idx" ON "reporting"."inbox" USING btree ("processed_at");--> statement-breakpoint
CREATE INDEX "order_summaries_status_placed_idx" ON "reporting"."order_summaries" USING btree ("status","placed_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "order_summaries_placed_idx" ON "reporting"."order_summaries" USING btree ("placed_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "order_summaries_confirmed_idx" ON "reporting"."order_summaries" USING btree ("confirmed_at") WHERE "reporting"."order_summaries"."status" = 'CONFIRMED';