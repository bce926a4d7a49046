CREATE SCHEMA IF NOT EXISTS "payments";
--> statement-breakpoint
CREATE TABLE "payments"."outbox" (
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
CREATE TABLE "payments"."payments" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"payment_id" uuid NOT NULL,
	"status" text NOT NULL,
	"user_id" uuid,
	"amount" integer,
	"currency" text,
	"payment_token" text,
	"decline_reason" text,
	"provider_reference" text,
	"refund_reference" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_payment_id_unique" UNIQUE("payment_id"),
	CONSTRAINT "payments_status_known" CHECK ("payments"."payments"."status" IN ('PENDING', 'COMPLETED', 'DECLINED', 'REFUNDED', 'VOIDED')),
	CONSTRAINT "payments_request_known_unless_voided" CHECK ("payments"."payments"."status" = 'VOIDED' OR ("payments"."payments"."user_id" IS NOT NULL AND "payments"."payments"."amount" IS NOT NULL AND "payments"."payments"."currency" IS NOT NULL AND "payments"."payments"."payment_token" IS NOT NULL)),
	CONSTRAINT "payments_amount_positive" CHECK ("payments"."payments"."amount" > 0),
	CONSTRAINT "payments_charged_has_reference" CHECK ("payments"."payments"."status" NOT IN ('COMPLETED', 'REFUNDED') OR "payments"."payments"."provider_reference" IS NOT NULL),
	CONSTRAINT "payments_declined_has_reason" CHECK ("payments"."payments"."status" <> 'DECLINED' OR "payments"."payments"."decline_reason" IS NOT NULL)
);
--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "payments"."outbox" USING btree ("seq") WHERE "payments"."outbox"."published_at" IS NULL;--> statement-breakpoint
CREATE INDEX "outbox_type_time_idx" ON "payments"."outbox" USING btree ("type","occurred_at");