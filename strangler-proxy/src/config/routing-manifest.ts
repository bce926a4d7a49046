import type { Logger } from 'pino';
import { z } from 'zod';

/**
 * The gateway's client of the monolith's routing manifest
 * (`GET /.well-known/routing-manifest`): which path prefixes belong to which module,
 * so a route can name a module instead of listing prefixes. The monolith derives it
 * from its modules' controllers, and every process of the shop answers the same one.
 */
export interface RoutingManifest {
  /** Each module's public path prefixes, e.g. ordering: ['/api/v1/orders', …]. */
  modules: Record<string, string[]>;
  /** Prefixes that always stay with the monolith whatever a route says: '/.well-known', '/ops', '/docs', '/health'. */
  monolithOnly: string[];
}

const prefix = z
  .string()
  .max(512)
  .regex(/^\/[^?#\s]*$/, 'must be a path starting with /')
  .refine((value) => value === '/' || !value.endsWith('/'), 'must not end with /')
  .transform((value) => value.toLowerCase());

/**
 * Not strict: a newer monolith may add fields this gateway does not know yet, and
 * should not be refused for it. What it does say must make sense, or none of it is used.
 */
const manifestSchema = z
  .object({
    modules: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a module name'), z.array(prefix).max(256)),
    monolithOnly: z.array(prefix).max(256),
  })
  .superRefine((manifest, context) => {
    const owners = new Map<string, string>();
    for (const [module, prefixes] of Object.entries(manifest.modules)) {
      prefixes.forEach((value, i) => {
        const other = owners.get(value);
        if (other !== undefined && other !== module) context.addIssue({ code: 'custom', path: ['modules', module, i], message: `${value} is also ${other}'s` });
        owners.set(value, module);
      });
    }
  });

/** The manifest is a few hundred bytes; an answer far larger is not one. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

const DEFAULT_REFRESH_MS = 15_000;
const DEFAULT_TIMEOUT_MS = 2_000;

export interface ManifestSourceOptions {
  /** How often the manifest is fetched again (a deploy may move a route), and an unreachable monolith retried. */
  refreshMs?: number;
  /** Deadline of one fetch, answer body included. */
  timeoutMs?: number;
}

/**
 * Fetches the manifest at start and every `refreshMs`, keeps the last good one, and
 * tells its listeners when it changes. A bad answer (not JSON, not a manifest) or an
 * unreachable monolith never replaces a good manifest; each is logged when it starts
 * (as a warning) and when it ends, not on every retry.
 */
export class ManifestSource {
  private readonly url: string;
  private readonly refreshMs: number;
  private readonly timeoutMs: number;
  private readonly listeners: ((manifest: RoutingManifest) => void)[] = [];
  private manifest: RoutingManifest | undefined;
  /** The last good manifest as JSON: a refresh that brings the same one changes nothing. */
  private manifestJson: string | undefined;
  /** What went wrong on the last fetch, if it did: logged once, when it changes. */
  private trouble: string | undefined;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    monolithBaseUrl: string,
    private readonly logger: Logger,
    options: ManifestSourceOptions = {},
  ) {
    this.url = `${monolithBaseUrl.replace(/\/+$/, '')}/.well-known/routing-manifest`;
    this.refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** First fetch; never throws (an unreachable monolith is logged, and retried every refreshMs). */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  current(): RoutingManifest | undefined {
    return this.manifest;
  }

  onChange(listener: (manifest: RoutingManifest) => void): void {
    this.listeners.push(listener);
  }

  /** Fetches the manifest now (the timer does it every refreshMs); never throws. Calls made meanwhile share the fetch. */
  refresh(): Promise<void> {
    this.inFlight ??= this.fetchOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, this.refreshMs);
    // The gateway's server keeps the process alive; this timer alone must not.
    this.timer.unref();
  }

  private async fetchOnce(): Promise<void> {
    let body: unknown;
    try {
      const answer = await fetch(this.url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
      if (answer.status !== 200) {
        await answer.body?.cancel();
        return this.troubled(`the monolith answered ${answer.status}`, 'unreachable');
      }
      const length = Number(answer.headers.get('content-length') ?? 0);
      if (length > MAX_MANIFEST_BYTES) {
        await answer.body?.cancel();
        return this.troubled(`the answer is ${length} bytes, not a manifest`, 'bad');
      }
      const text = await answer.text();
      if (text.length > MAX_MANIFEST_BYTES) return this.troubled(`the answer is ${text.length} characters, not a manifest`, 'bad');
      try {
        body = JSON.parse(text);
      } catch {
        return this.troubled('the answer is not JSON', 'bad');
      }
    } catch (error) {
      return this.troubled(reasonOf(error), 'unreachable');
    }
    if (this.closed) return;
    const parsed = manifestSchema.safeParse(body);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(manifest)'}: ${issue.message}`);
      return this.troubled(`the answer is not a routing manifest: ${problems.join('; ')}`, 'bad');
    }
    if (this.trouble !== undefined) {
      this.logger.info({ url: this.url }, 'routing manifest: the monolith answers again');
      this.trouble = undefined;
    }
    const manifest: RoutingManifest = { modules: parsed.data.modules, monolithOnly: parsed.data.monolithOnly };
    const json = JSON.stringify(manifest);
    if (json === this.manifestJson) return;
    const first = this.manifest === undefined;
    this.manifest = manifest;
    this.manifestJson = json;
    this.logger.info({ url: this.url, modules: manifest.modules, monolithOnly: manifest.monolithOnly }, first ? 'routing manifest loaded' : 'routing manifest changed');
    for (const listener of this.listeners) {
      try {
        listener(manifest);
      } catch (error) {
        this.logger.error({ err: reasonOf(error) }, 'routing manifest: a listener failed');
      }
    }
  }

  private troubled(reason: string, kind: 'unreachable' | 'bad'): void {
    if (this.closed || reason === this.trouble) return;
    this.trouble = reason;
    const kept = this.manifest ? 'keeping the last good manifest' : 'routes naming a module stay inactive until it arrives';
    const what = kind === 'unreachable' ? 'cannot fetch it' : 'refused it';
    this.logger.warn({ url: this.url, reason, retryInMs: this.refreshMs }, `routing manifest: ${what} (${reason}); ${kept}, retrying every ${this.refreshMs} ms`);
  }
}

/** A fetch failure's cause, without a stack: `connect ECONNREFUSED 127.0.0.1:3000`. */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  if (error instanceof Error) return error.name === 'TimeoutError' ? 'timed out' : error.message;
  return String(error);
}
