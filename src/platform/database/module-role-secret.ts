import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SECRET_FILE = 'module-db-secret';

/**
 * The secret module role passwords derive from: MODULE_DB_SECRET when set (needed
 * when several instances share one database), otherwise one generated on first start
 * and kept in the data folder.
 */
export function loadModuleRoleSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const folder = path.resolve(dataDir, 'keys');
  const file = path.join(folder, SECRET_FILE);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  } catch (raced) {
    if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
  }
  return readFileSync(file, 'utf8').trim();
}

/** The secret a shop generated into its data folder, if it did (for a tool that must not make one up). */
export function storedModuleRoleSecret(dataDir: string): string | undefined {
  try {
    return readFileSync(path.join(path.resolve(dataDir, 'keys'), SECRET_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A module role's password: stable for a given secret, different for every role. */
export function moduleRolePassword(secret: string, role: string): string {
  return createHmac('sha256', secret).update(`module-role:${role}`).digest('base64url');
}

/**
 * What a role's comment records of the secret its password derives from: enough to
 * tell whether a role was made with this secret, nothing that helps guess the password
 * (another HMAC of the secret, with its own label), since every user of the server can
 * read role comments.
 */
export function moduleRoleFingerprint(secret: string, role: string): string {
  return createHmac('sha256', secret).update(`module-role-owner:${role}`).digest('base64url').slice(0, 22);
}
