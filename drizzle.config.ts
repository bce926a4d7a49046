import { defineConfig } from 'drizzle-kit';

// One config per module: `scripts/db-generate.mjs` runs drizzle-kit once per module
// with DRIZZLE_MODULE set. Each module keeps its own folder, journal and migrations
// table inside its own schema (see ../shared/STACK.md, trap 6).
const module = process.env.DRIZZLE_MODULE;
if (!module) throw new Error('DRIZZLE_MODULE is not set; run `npm run db:generate`');

export default defineConfig({
  dialect: 'postgresql',
  schema: `./src/modules/${module}/db/schema.ts`,
  out: `./drizzle/${module}`,
  schemaFilter: [module],
  migrations: { schema: module, table: '__migrations' },
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
});
