import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * `drizzle/<module>/` at the project root. This file sits at the same depth in `src/`
 * and in `dist/`, so the relative path holds for both the compiled app and the tests.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));

export function migrationsFolderOf(module: string): string | undefined {
  const folder = path.join(root, 'drizzle', module);
  return existsSync(path.join(folder, 'meta', '_journal.json')) ? folder : undefined;
}
