import { Module } from '@nestjs/common';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';

export const ORDERING = 'ordering';

@Module({
  providers: [moduleDatabaseProvider(ORDERING)],
})
export class OrderingModule {}
