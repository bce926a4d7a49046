import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { parseGatewayConfig, type GatewayConfig } from './route-config.js';

/** The routes file could not be used at start: every problem, each named by its path in the file. */
export class RouteFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`routes file ${file} cannot be used:\n  ${problems.join('\n  ')}`);
    this.name = 'RouteFileError';
  }
}

export interface RouteFileOptions {
  /** Changes are read this long after the last event, so a save of many writes is read once, whole. */
  debounceMs?: number;
}

const DEFAULT_DEBOUNCE_MS = 100;
/** While the file is missing (an editor deletes, then writes it), look again this many times before saying so. */
const MISSING_RETRIES = 20;
/** A reload's log line names at most this many changes (and how many more there were). */
const MAX_CHANGES_LOGGED = 20;
const MAX_VALUE_LENGTH = 120;

/**
 * The gateway's routes file, reloaded on change without a restart. It watches the
 * file's directory, not the file: editors and `mv` replace the file with another, and
 * a watch on the old one would go quiet. A file that does not pass (bad JSON, a field
 * out of range, an unknown field) keeps the last good config and logs a warning listing
 * every problem; a good one is logged with what changed, and handed to the listeners.
 */
export class RouteFile {
  private readonly listeners: ((config: GatewayConfig) => void)[] = [];
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private reading = false;
  /** An event arrived while a read was under way: read again after it. */
  private again = false;
  private missingFor = 0;
  /** The last text refused, so a file left bad is reported once, not at every event. */
  private refusedText: string | undefined;

  private constructor(
    private readonly file: string,
    private readonly logger: Logger,
    private config: GatewayConfig,
    private text: string,
    private readonly debounceMs: number,
  ) {}

  /** Reads and validates the file; throws RouteFileError naming every problem if the first read is bad. */
  static async open(file: string, logger: Logger, options: RouteFileOptions = {}): Promise<RouteFile> {
    const absolute = path.resolve(file);
    let text: string;
    try {
      text = await readFile(absolute, 'utf8');
    } catch (error) {
      throw new RouteFileError(absolute, [`(file): cannot be read: ${(error as Error).message}`]);
    }
    const parsed = parseGatewayConfig(text);
    if (!parsed.ok) throw new RouteFileError(absolute, parsed.problems);
    const routeFile = new RouteFile(absolute, logger, parsed.config, text, options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
    routeFile.watch();
    logger.info({ file: absolute, routes: parsed.config.routes.map((route) => route.name) }, `routes file ${absolute} loaded`);
    return routeFile;
  }

  get current(): GatewayConfig {
    return this.config;
  }

  /** Called with each new good config after the file changed. */
  onChange(listener: (config: GatewayConfig) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private watch(): void {
    const name = path.basename(this.file);
    // Not persistent: the gateway's server keeps the process alive, the watch alone must not.
    this.watcher = watch(path.dirname(this.file), { persistent: false }, (_event, changed) => {
      // Some platforms do not say which file changed: then it may have been ours. A
      // Kubernetes ConfigMap volume updates by swapping its `..data` symlink, under
      // which routes.json is itself a symlink: that swap is a change of ours too.
      if (changed === null || changed === name || changed.startsWith('..data')) this.schedule();
    });
    this.watcher.on('error', (error) => {
      this.logger.warn({ file: this.file, err: error.message }, `routes file ${this.file}: cannot watch its directory any more; keeping the current config until a restart`);
    });
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, this.debounceMs);
    this.timer.unref();
  }

  private async reload(): Promise<void> {
    if (this.closed) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      await this.readAndApply();
    } finally {
      this.reading = false;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    }
  }

  private async readAndApply(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && ++this.missingFor <= MISSING_RETRIES) {
        // Mid-write (deleted, not yet written again): look again shortly.
        this.schedule();
      } else if (code === 'ENOENT') {
        if (this.missingFor === MISSING_RETRIES + 1) this.logger.warn({ file: this.file }, `routes file ${this.file} is missing; keeping the last good config`);
      } else {
        this.logger.warn({ file: this.file, err: (error as Error).message }, `routes file ${this.file} cannot be read; keeping the last good config`);
      }
      return;
    }
    this.missingFor = 0;
    if (this.closed) return;
    if (text === this.text) {
      // Back to the config in force (a bad edit undone): a later bad edit is news again.
      this.refusedText = undefined;
      return;
    }
    const parsed = parseGatewayConfig(text);
    if (!parsed.ok) {
      if (text !== this.refusedText) {
        this.refusedText = text;
        this.logger.warn(
          { file: this.file, problems: parsed.problems },
          `routes file ${this.file} is not valid; keeping the last good config. Problems: ${parsed.problems.join('; ')}`,
        );
      }
      return;
    }
    this.refusedText = undefined;
    const changes = changesBetween(this.config, parsed.config);
    this.text = text;
    if (changes.length === 0) return; // reformatted, same config
    this.config = parsed.config;
    const shown = changes.length > MAX_CHANGES_LOGGED ? [...changes.slice(0, MAX_CHANGES_LOGGED), `and ${changes.length - MAX_CHANGES_LOGGED} more`] : changes;
    this.logger.info({ file: this.file, changes: shown }, `routes file reloaded: ${shown.join('; ')}`);
    for (const listener of this.listeners) {
      try {
        listener(parsed.config);
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'routes file: a listener of reloads failed');
      }
    }
  }
}

/**
 * What a reload changed, one line each: `route payments added`,
 * `routes.payments.weight: 10 → 30`. Routes are compared by name, not position, so
 * reordering them is no change and a removed route does not shift the others.
 */
function changesBetween(before: GatewayConfig, after: GatewayConfig): string[] {
  const changes: string[] = [];
  const { routes: beforeRoutes, ...beforeRest } = before;
  const { routes: afterRoutes, ...afterRest } = after;
  differences(beforeRest, afterRest, '', changes);
  const old = new Map(beforeRoutes.map((route) => [route.name, route]));
  const now = new Map(afterRoutes.map((route) => [route.name, route]));
  for (const [name, route] of now) {
    const previous = old.get(name);
    if (previous) differences(previous, route, `routes.${name}`, changes);
    else changes.push(`route ${name} added`);
  }
  for (const name of old.keys()) if (!now.has(name)) changes.push(`route ${name} removed`);
  return changes;
}

function differences(before: unknown, after: unknown, at: string, out: string[]): void {
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) differences(before[key], after[key], at ? `${at}.${key}` : key, out);
    return;
  }
  const was = shown(before);
  const is = shown(after);
  if (was !== is) out.push(`${at}: ${was} → ${is}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value for a log line: short, and an URL's credentials (`http://user:secret@…`) masked. */
function shown(value: unknown): string {
  if (value === undefined) return '(none)';
  const text = JSON.stringify(value).replace(/(\/\/)[^/@\s"]*@/g, '$1***@');
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH)}…` : text;
}
