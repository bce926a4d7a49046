import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../../platform/config/app-config.js';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';
import { moduleOutboxProvider } from '../../platform/events/outbox.js';
import { LOGGER } from '../../platform/logging/logger.token.js';
import { PaymentsRepository } from './db/payments.repository.js';
import { GetPaymentHandler } from './get-payment/get-payment.handler.js';
import { GetPaymentController } from './get-payment/get-payment.http.controller.js';
import { ProcessPaymentHandler } from './process-payment/process-payment.handler.js';
import { PAYMENT_PROVIDER, type PaymentProvider } from './provider/payment-provider.js';
import { SimulatedPaymentProvider } from './provider/simulated-payment-provider.js';
import { RefundPaymentHandler } from './refund-payment/refund-payment.handler.js';
import { PaymentSettlement } from './settlement/payment-settlement.js';

export const PAYMENTS = 'payments';

/** Charges and refunds orders through a card payment provider. Owns the `payments` schema. */
@Module({
  controllers: [GetPaymentController],
  providers: [
    moduleDatabaseProvider(PAYMENTS),
    moduleOutboxProvider(PAYMENTS),
    PaymentsRepository,
    PaymentSettlement,
    ProcessPaymentHandler,
    RefundPaymentHandler,
    GetPaymentHandler,
  ],
})
export class PaymentsModule {
  /** The composition root may plug in another provider (a real one's adapter); the simulator otherwise. */
  static forRoot(options: { provider?: PaymentProvider } = {}): DynamicModule {
    const provider: Provider = options.provider
      ? { provide: PAYMENT_PROVIDER, useValue: options.provider }
      : {
          provide: PAYMENT_PROVIDER,
          useFactory: (config: AppConfig, logger: Logger) => new SimulatedPaymentProvider(config.paymentsSimulator, Math.random, logger),
          inject: [APP_CONFIG, LOGGER],
        };
    return { module: PaymentsModule, providers: [provider] };
  }
}
