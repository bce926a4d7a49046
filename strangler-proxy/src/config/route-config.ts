import { z } from 'zod';

/**
 * The gateway's routes file (`routes.json`, GATEWAY_ROUTES_FILE): which upstream each
 * request goes to. Validated whole at load; a file that does not pass is refused with
 * every problem named by its path in the file (`routes.1.weight: …`), and the last
 * good configuration stays in force.
 */

const url = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'must be an http:// or https:// URL')
  // http-proxy would drop credentials silently, and they would reach log lines.
  .refine((value) => !/^https?:\/\/[^/]*@/.test(value), 'must not carry a user name or password');

/** One upstream: one or more instances of the same service; requests are spread over them. */
export const upstreamSchema = z
  .object({
    instances: z.array(url).min(1),
    /** Consecutive failures (refused or reset connections, timeouts) that take an instance out of rotation. */
    ejectAfterFailures: z.number().int().min(1).default(3),
    /** While out, the instance is probed here every `probeIntervalMs`; its first 2xx brings it back. */
    healthPath: z.string().startsWith('/').default('/health/live'),
    probeIntervalMs: z.number().int().min(50).default(1_000),
  })
  .strict();

const prefix = z
  .string()
  .startsWith('/', 'must start with /')
  .refine((value) => value === '/' || !value.endsWith('/'), 'must not end with /');

export const stickinessSchema = z.union([
  z.literal('jwt-sub'),
  z.literal('client-address'),
  z.string().regex(/^cookie:[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be jwt-sub, client-address or cookie:<name>'),
]);

export const rollbackSchema = z
  .object({
    /** The rolling window the extracted side is judged over. */
    windowSeconds: z.number().int().min(1).max(3_600).default(30),
    /** No verdict below this many extracted-side requests in the window. */
    minRequests: z.number().int().min(1).default(50),
    /** Share of 5xx answers (and failed requests) past which the route rolls back, 0–1. */
    maxErrorRate: z.number().min(0).max(1).default(0.05),
    /** p99 latency past which the route rolls back. */
    maxP99Ms: z.number().int().min(1).default(2_000),
  })
  .strict();

export const shadowSchema = z
  .object({
    /** JSON fields compared in neither answer, by name at any depth (`createdAt`) or by path (`items.*.id`). */
    ignoreFields: z.array(z.string().min(1)).default([]),
    /** Share of mirrored requests also sent to the monolith a second time, to learn which fields are noise. */
    noiseSampleRate: z.number().min(0).max(1).default(0.1),
    /** A mirrored answer larger than this is counted as skipped, not held. */
    maxBodyBytes: z.number().int().min(1).max(16 * 1024 * 1024).default(1024 * 1024),
    /** Mismatch samples kept per route (the newest). */
    maxSamples: z.number().int().min(0).max(1_000).default(20),
  })
  .strict();

export const routeSchema = z
  .object({
    /** Names the route in logs, metrics and the admin API. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -, starting with a letter'),
    /** A module named in the monolith's routing manifest: its path prefixes. */
    module: z.string().regex(/^[a-z][a-z0-9_]*$/).optional(),
    /** Path prefixes, matched on whole segments, case-insensitively. */
    prefixes: z.array(prefix).min(1).optional(),
    /** The extracted service. */
    target: upstreamSchema,
    /** Share of users (0–100) sent to the target in `split` mode. */
    weight: z.number().min(0).max(100).default(0),
    stickiness: stickinessSchema.default('jwt-sub'),
    mode: z.enum(['split', 'shadow']).default('split'),
    /** Retry an idempotent request once on the monolith when the target refuses, resets or times out before answering. */
    fallback: z.boolean().default(true),
    rollback: rollbackSchema.default(() => rollbackSchema.parse({})),
    shadow: shadowSchema.default(() => shadowSchema.parse({})),
  })
  .strict()
  .refine((route) => (route.module === undefined) !== (route.prefixes === undefined), {
    message: 'give exactly one of module and prefixes',
    path: ['module'],
  });

const limitSchema = z
  .object({
    /** Requests allowed per `durationSeconds`. */
    points: z.number().int().min(1),
    durationSeconds: z.number().int().min(1),
  })
  .strict();

export const gatewayConfigSchema = z
  .object({
    /** Where everything not routed elsewhere goes; absent: MONOLITH_URL (default http://127.0.0.1:3000). */
    monolith: upstreamSchema.optional(),
    routes: z.array(routeSchema).default([]),
    /** Testers force a side with this header (`monolith` or `extracted`); off in production. */
    headerOverride: z
      .object({ enabled: z.boolean().default(false), header: z.string().regex(/^[a-z0-9-]+$/).default('x-strangler-target') })
      .strict()
      .default(() => ({ enabled: false, header: 'x-strangler-target' })),
    /** Peers whose X-Forwarded-For is believed (addresses, exact); anyone else is the client. */
    trustedProxies: z.array(z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' })).default([]),
    rateLimits: z
      .object({
        perClientAddress: limitSchema.nullable().default({ points: 1_200, durationSeconds: 60 }),
        perUser: limitSchema.nullable().default({ points: 600, durationSeconds: 60 }),
      })
      .strict()
      .default(() => ({ perClientAddress: { points: 1_200, durationSeconds: 60 }, perUser: { points: 600, durationSeconds: 60 } })),
    timeouts: z
      .object({
        /** An upstream that sends nothing for this long fails the request. */
        upstreamMs: z.number().int().min(1).default(30_000),
        /** A client must send its request headers within this. */
        clientHeadersMs: z.number().int().min(1).default(10_000),
        /** A client connection idle this long (between or within requests) is closed. */
        clientIdleMs: z.number().int().min(1).default(60_000),
      })
      .strict()
      .default(() => ({ upstreamMs: 30_000, clientHeadersMs: 10_000, clientIdleMs: 60_000 })),
  })
  .strict()
  .superRefine((config, context) => {
    // A name, a module or a prefix belongs to one route only: two routes claiming the
    // same traffic would leave which one wins to their order in the file.
    const names = new Set<string>();
    const modules = new Map<string, number>();
    const prefixes = new Map<string, number>();
    config.routes.forEach((route, i) => {
      if (names.has(route.name)) context.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `another route is already named ${route.name}` });
      names.add(route.name);
      if (route.module !== undefined) {
        const other = modules.get(route.module);
        if (other !== undefined) context.addIssue({ code: 'custom', path: ['routes', i, 'module'], message: `routes.${other} already routes ${route.module}` });
        else modules.set(route.module, i);
      }
      route.prefixes?.forEach((prefix, j) => {
        // Matched case-insensitively, so /API/v1/x and /api/v1/x are the same prefix.
        const key = prefix.toLowerCase();
        const other = prefixes.get(key);
        if (other !== undefined && other !== i) context.addIssue({ code: 'custom', path: ['routes', i, 'prefixes', j], message: `routes.${other} already routes ${prefix}` });
        else prefixes.set(key, i);
      });
    });
  });

export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/** Parses a routes file's text: the config, or every problem named by its path in the file. */
export function parseGatewayConfig(text: string): { ok: true; config: GatewayConfig } | { ok: false; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error; a line of it is plenty.
    return { ok: false, problems: [`(file): not JSON: ${(error as Error).message.slice(0, MAX_JSON_ERROR_LENGTH)}`] };
  }
  const parsed = gatewayConfigSchema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: parsed.error.issues.flatMap(problemsOf) };
}

const MAX_JSON_ERROR_LENGTH = 200;

/** `routes.0.weight: Too big…`; an unknown field is named by its own path (`routes.0.wieght: unknown field`), one line each. */
function problemsOf(issue: z.core.$ZodIssue): string[] {
  const at = (path: readonly PropertyKey[]) => path.map(String).join('.') || '(file)';
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${at([...issue.path, key])}: unknown field`);
  return [`${at(issue.path)}: ${issue.message}`];
}
