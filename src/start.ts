import { MONOLITH_MODULES } from './app.module.js';
import { runShop } from './run-shop.js';

/**
 * One entry point for every placement, by argument: `monolith` (the default) or a
 * module's name for its extracted service. The Docker image runs this
 * (`docker run shop payments`), and so does `npm run start:extracted -- <module>`;
 * it is the same as dist/main.js or dist/extracted/<module>/main.js.
 */
const modules = MONOLITH_MODULES as readonly string[];
// `--extracted <module>` (npm run start:extracted): a module is required, never the monolith by default.
const extractedOnly = process.argv[2] === '--extracted';
const which = extractedOnly ? process.argv[3] : (process.argv[2] ?? 'monolith');
if (!which || (extractedOnly && which === 'monolith') || (which !== 'monolith' && !modules.includes(which))) {
  console.error(
    extractedOnly
      ? `Usage: npm run start:extracted -- <module>, where <module> is one of ${modules.join(', ')}`
      : `Unknown process "${which}": run monolith, or one of ${modules.join(', ')} as its own service`,
  );
  process.exit(2);
}
void runShop(which);
