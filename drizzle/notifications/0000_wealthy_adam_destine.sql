CREATE SCHEMA IF NOT EXISTS "notifications";
--> statement-breakpoint
CREATE TABLE "notifications"."dead_letters" (
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
CREATE TABLE "notifications"."inbox" (
	"event_id" uuid NOT NULL,
	"subscription" text NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbox_event_id_subscription_pk" PRIMARY KEY("event_id","subscription")
);
--> statement-breakpoint
CREATE TABLE "notifications"."notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"recipient_user_id" uuid NOT NULL,
	"recipient_email" text NOT NULL,
	"channel" text NOT NULL,
	"template" text NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"event_id" uuid NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notifications_event_recipient_unique" UNIQUE("event_id","recipient_user_id","template")
);
--> statement-breakpoint
CREATE INDEX "dead_letters_pending_idx" ON "notifications"."dead_letters" USING btree ("failed_at") WHERE "notifications"."dead_letters"."redriven_at" IS NULL;--> statement-breakpoint
CREATE INDEX "inbox_processed_idx" ON "notifications"."inbox" USING btree ("processed_at");--> statement-breakpoint
CREATE INDEX "notifications_recipient_idx" ON "notifications"."notifications" USING btree ("recipient_user_id","sent_at");