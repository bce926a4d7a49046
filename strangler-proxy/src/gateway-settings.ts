import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { GatewaySettings } from './gateway.js';

export class GatewaySettingsError extends Error {}

const env = z.object({
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
  GATEWAY_ROUTES_FILE: z.string().min(1).default('strangler-proxy/routes.json'),
  GATEWAY_WORKERS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)])
    .default(1),
  GATEWAY_ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  GATEWAY_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/)
    .default('gateway'),
  REDIS_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface GatewayProcessSettings extends Omit<GatewaySettings, 'workerLabel'> {
  workers: number;
  logLevel: string;
}

/** Reads the gateway's environment; every mistake is named at once, and stops the process (exit 2). */
export function gatewaySettingsFrom(variables: Record<string, string | undefined>): GatewayProcessSettings {
  const given = Object.fromEntries(Object.entries(variables).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = env.safeParse(given);
  if (!parsed.success) {
    throw new GatewaySettingsError(`Invalid gateway configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
  const workers = e.GATEWAY_WORKERS === 'auto' ? availableParallelism() : e.GATEWAY_WORKERS;
  if (workers > 1 && !e.REDIS_URL) {
    // Each worker would keep its own weights and counters: an operator's change, a
    // rollback or a rate-limit budget would hold in one worker and not the others.
    throw new GatewaySettingsError('Invalid gateway configuration:\n  GATEWAY_WORKERS: more than one worker needs REDIS_URL, so that the workers share weights and rate limits');
  }
  return {
    port: e.GATEWAY_PORT ?? e.PORT ?? 8080,
    host: e.GATEWAY_HOST,
    routesFile: e.GATEWAY_ROUTES_FILE,
    workers,
    adminToken: e.GATEWAY_ADMIN_TOKEN,
    namespace: e.GATEWAY_NAMESPACE,
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
  };
}
