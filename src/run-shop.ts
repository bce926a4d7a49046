import 'reflect-metadata';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MONOLITH_MODULES } from './app.module.js';
import { createApp } from './create-app.js';
import { ConfigError, loadConfig, type AppConfig } from './platform/config/app-config.js';
import { loadPlacement } from './platform/config/placement.js';
import { exitGracefullyOnSignals } from './platform/bootstrap/graceful-shutdown.js';
import { createLogger } from './platform/logging/logger.js';
import { INITIAL_ADMIN_FILE } from './modules/identity/bootstrap-admin/bootstrap-admin.js';

/**
 * Starts one process of the shop: `monolith` (src/main.ts) or one extracted module
 * (src/extracted/<module>/main.ts). Configuration mistakes stop it at once with exit
 * code 2 and a message naming the variable.
 */
export async function runShop(process_: string): Promise<void> {
  let config;
  let placement;
  try {
    config = loadConfig(process.env);
    placement = loadPlacement(process.env, MONOLITH_MODULES, process_, config);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, { process: placement.process }, undefined, config.logFormat);
  try {
    const app = await createApp(config, logger, {}, placement);
    exitGracefullyOnSignals(app, logger, config.shutdownDeadlineMs);
    await app.listen({ port: config.port, host: config.host });
    const url = await app.getUrl();
    logger.info({ url, hosts: placement.hosted }, placement.process === 'monolith' ? 'shop is listening' : `${placement.process} service is listening`);
    if (placement.process === 'monolith') {
      const publicUrl = publicUrlOf(url, config.host);
      logger.info({ url: publicUrl, docs: `${publicUrl}/docs` }, whereToStart(publicUrl, config, placement.hosted.includes('identity')));
    }
  } catch (error) {
    logger.fatal({ err: error }, 'startup failed');
    logger.flush();
    process.exit(1);
  }
}

/** The address to open: a wildcard listen address (0.0.0.0, ::) is reached as localhost. */
function publicUrlOf(url: string, host: string): string {
  const parsed = new URL(url);
  if (host === '0.0.0.0' || host === '::' || parsed.hostname === '[::]' || parsed.hostname === '0.0.0.0') parsed.hostname = 'localhost';
  return parsed.origin;
}

/**
 * The one line a newcomer needs after `npm start`: where the shop is, its API docs, and
 * how to sign in as the admin (the file the first admin's password was written to, or
 * the configured account). Never the password itself.
 */
function whereToStart(url: string, config: AppConfig, identityHere: boolean): string {
  const adminFile = path.resolve(config.dataDir, INITIAL_ADMIN_FILE);
  const admin = !identityHere
    ? "admin: identity runs as its own service, whose log and DATA_DIR say where its first admin's sign-in was written"
    : config.bootstrapAdmin
    ? 'admin: the BOOTSTRAP_ADMIN_EMAIL account'
    : existsSync(adminFile)
      ? `admin sign-in (email and password) written to ${adminFile}`
      : `admin: the account created earlier (its sign-in was written to ${adminFile}, since removed)`;
  return `shop ready at ${url}, API docs at ${url}/docs; ${admin}`;
}
