import { Module } from '@nestjs/common';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';

export const SHIPPING = 'shipping';

@Module({
  providers: [moduleDatabaseProvider(SHIPPING)],
})
export class ShippingModule {}
