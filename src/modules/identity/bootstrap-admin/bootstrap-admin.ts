import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
 * - with BOOTSTRAP_ADMIN_EMAIL/PASSWORD set, that account exists and is an admin. An
 *   existing customer account with that email is promoted only if its password is the
 *   configured one: otherwise whoever registered the address first would become admin.
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
    if (this.config.bootstrapAdmin) await this.ensureConfiguredAdmin(this.config.bootstrapAdmin);
    else if (!(await this.users.anyAdminExists())) await this.createInitialAdmin();
  }

  private async ensureConfiguredAdmin(configured: { email: string; password: string }): Promise<void> {
    const email = configured.email.toLowerCase();
    const existing = await this.users.findByEmail(email);
    if (existing?.roles.includes('admin')) return;
    if (existing) {
      if (!(await this.hasher.verify(configured.password, existing.passwordHash))) {
        this.logger.error(
          { email },
          'BOOTSTRAP_ADMIN_EMAIL belongs to an existing account with another password: not promoting it to admin',
        );
        return;
      }
      await this.users.grantAdmin(existing.id);
    } else {
      await this.users.insertAdminIfAbsent(email, 'Administrator', await this.hasher.hash(configured.password));
    }
    // The operator knows the address they configured; an info line need not repeat it.
    this.logger.info('bootstrap admin account (BOOTSTRAP_ADMIN_EMAIL) is ready');
  }

  /**
   * The credentials file is written before the account exists and put in place only
   * if this process created the account, so it never names a password nobody set,
   * and a data folder that cannot be written stops startup instead of leaving an
   * admin whose password is unknown.
   */
  private async createInitialAdmin(): Promise<void> {
    const password = randomBytes(18).toString('base64url');
    const file = path.resolve(this.config.dataDir, INITIAL_ADMIN_FILE);
    const pending = `${file}.${process.pid}.pending`;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(pending, JSON.stringify({ email: INITIAL_ADMIN_EMAIL, password }, null, 2) + '\n', {
      mode: 0o600,
      flag: 'wx',
    });
    try {
      const created = await this.users.insertAdminIfAbsent(
        INITIAL_ADMIN_EMAIL,
        'Administrator',
        await this.hasher.hash(password),
      );
      if (!created) return;
      renameSync(pending, file);
    } finally {
      rmSync(pending, { force: true });
    }
    this.logger.warn(
      { email: INITIAL_ADMIN_EMAIL, credentialsFile: file },
      'no admin existed: created one; its password is in the credentials file. Change it, or set BOOTSTRAP_ADMIN_EMAIL/BOOTSTRAP_ADMIN_PASSWORD',
    );
  }
}
