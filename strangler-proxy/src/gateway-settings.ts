import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { GatewaySettings } from './gateway.js';

export class GatewaySettingsError extends Error {}

const port = z.coerce.number().int().min(0).max(65_535);

const env = z.object({
  PROXY_PORT: port.default(8080),
  PROXY_HOST: z.string().min(1).default('0.0.0.0'),
  PROXY_ADMIN_PORT: port.default(8081),
  PROXY_ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  PROXY_ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  STRANGLER_ROUTES: z.string().min(1).default('strangler-proxy/routes.json'),
  MONOLITH_URL: z
    .string()
    .url()
    .refine((value) => /^https?:\/\//.test(value), 'must be an http:// or https:// URL')
    .default('http://127.0.0.1:3000'),
  PROXY_WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(64)]).default(1),
  PROXY_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/)
    .default('strangler'),
  PROXY_STATE_FILE: z.string().min(1).default('.data/strangler-proxy-state.json'),
  PROXY_JWKS_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every variable the proxy reads, with its default (undefined: none), as docs/gateway.md's table must list them. */
export function gatewayVariables(): { name: string; default: unknown }[] {
  return Object.keys(env.shape).map((name) => {
    const parsed = env.shape[name as keyof typeof env.shape].safeParse(undefined);
    return { name, default: parsed.success ? parsed.data : undefined };
  });
}

export interface GatewayProcessSettings extends Omit<GatewaySettings, 'workerLabel'> {
  workers: number;
  logLevel: string;
}

/** Reads the proxy's environment; every mistake is named at once, and stops the process (exit 2). */
export function gatewaySettingsFrom(variables: Record<string, string | undefined>): GatewayProcessSettings {
  const given = Object.fromEntries(Object.entries(variables).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = env.safeParse(given);
  if (!parsed.success) {
    throw new GatewaySettingsError(`Invalid proxy configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
  const workers = e.PROXY_WORKERS === 'auto' ? availableParallelism() : e.PROXY_WORKERS;
  if (workers > 1 && !e.REDIS_URL) {
    // Each worker would keep its own weights and counters: an operator's change, a
    // rollback or a rate-limit budget would hold in one worker and not the others.
    throw new GatewaySettingsError('Invalid proxy configuration:\n  PROXY_WORKERS: more than one worker needs REDIS_URL, so that the workers share weights and rate limits');
  }
  if (e.PROXY_PORT !== 0 && e.PROXY_PORT === e.PROXY_ADMIN_PORT) {
    throw new GatewaySettingsError('Invalid proxy configuration:\n  PROXY_ADMIN_PORT: must differ from PROXY_PORT (the admin API is never on the public port)');
  }
  return {
    port: e.PROXY_PORT,
    host: e.PROXY_HOST,
    adminPort: e.PROXY_ADMIN_PORT,
    adminHost: e.PROXY_ADMIN_HOST,
    routesFile: e.STRANGLER_ROUTES,
    monolithUrl: e.MONOLITH_URL,
    workers,
    adminToken: e.PROXY_ADMIN_TOKEN,
    namespace: e.PROXY_NAMESPACE,
    stateFile: e.PROXY_STATE_FILE,
    redisUrl: e.REDIS_URL,
    jwksUrl: e.PROXY_JWKS_URL,
    logLevel: e.LOG_LEVEL,
  };
}
