import { Module } from '@nestjs/common';
import { moduleDatabaseProvider } from '../../platform/database/module-database.provider.js';

export const REPORTING = 'reporting';

@Module({
  providers: [moduleDatabaseProvider(REPORTING)],
})
export class ReportingModule {}
