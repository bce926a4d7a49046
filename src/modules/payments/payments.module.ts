import { Module, type DynamicModule } from '@nestjs/common';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';
import type { PaymentProvider } from './provider/payment-provider.js';

export const PAYMENTS = 'payments';

@Module({
  providers: [moduleDatabaseProvider(PAYMENTS)],
})
export class PaymentsModule {
  /** The composition root may plug in another provider (a real one's adapter). */
  static forRoot(options: { provider?: PaymentProvider } = {}): DynamicModule {
    void options;
    return { module: PaymentsModule };
  }
}
