import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, type AppConfig } from '../../../platform/config/app-config.js';
import { LOGGER } from '../../../platform/logging/logger.token.js';
import { PasswordHasher } from '../credentials/password-hasher.js';
import { UsersRepository } from '../db/users.repository.js';

export const INITIAL_ADMIN_EMAIL = 'admin@shop.local';
export const INITIAL_ADMIN_FILE = 'initial-admin.json';

/**
 * Makes sure someone can administer the shop:
 * - with BOOTSTRAP_ADMIN_EMAIL/PASSWORD set, that account exists and is an admin
 *   (an existing account is promoted; its password is never changed);
 * - otherwise, when no admin exists at all, one is created with a random password
 *   written to `<DATA_DIR>/initial-admin.json` (readable by the owner only).
 */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const configured = this.config.bootstrapAdmin;
    if (configured) {
      const email = configured.email.toLowerCase();
      const existing = await this.users.findByEmail(email);
      if (existing?.roles.includes('admin')) return;
      const hash = existing ? existing.passwordHash : await this.hasher.hash(configured.password);
      await this.users.upsertAdmin(email, 'Administrator', hash);
      this.logger.info({ email }, 'bootstrap admin account is ready');
      return;
    }
    if (await this.users.anyAdminExists()) return;
    const password = randomBytes(18).toString('base64url');
    await this.users.upsertAdmin(INITIAL_ADMIN_EMAIL, 'Administrator', await this.hasher.hash(password));
    const file = path.resolve(this.config.dataDir, INITIAL_ADMIN_FILE);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ email: INITIAL_ADMIN_EMAIL, password }, null, 2) + '\n', { mode: 0o600 });
    this.logger.warn(
      { email: INITIAL_ADMIN_EMAIL, credentialsFile: file },
      'no admin existed: created one; its password is in the credentials file. Change it, or set BOOTSTRAP_ADMIN_EMAIL/BOOTSTRAP_ADMIN_PASSWORD',
    );
  }
}
