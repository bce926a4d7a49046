import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { modeOverrideFrom, overrideFrom, type ModeOverride, type OverrideState } from './weight-state.js';

/** The overrides a state file keeps: the same two sets Redis keeps in its two hashes. */
export interface StoredOverrides {
  weights: Map<string, OverrideState>;
  modes: Map<string, ModeOverride>;
}

/** Bumped if the layout ever changes, so an older file can be told apart. */
const FORMAT = 1;

/**
 * The operators' and rollbacks' overrides in a JSON file, so that a gateway without
 * Redis keeps them across a restart:
 *
 *     { "format": 1, "weights": { "<route>": { "weight", "source", "reason"?, "at"? } },
 *                    "modes":   { "<route>": { "mode", "at"? } } }
 *
 * Each save writes a temporary file in the same folder and renames it over the old one:
 * a rename within a file system is atomic, so a reader (or a restart after a crash)
 * finds the old file or the new one, never half of one. Saves never overlap: one asked
 * for while another is being written waits for it, and all those waiting share the next
 * write, which takes the overrides as they are when it starts (so it includes theirs).
 */
export class StateFile {
  private writing: Promise<void> | undefined;
  private waiting: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | undefined;

  /** `current` gives the overrides to write, as they are at the time of the write. */
  constructor(
    readonly file: string,
    private readonly logger: Logger,
    private readonly current: () => StoredOverrides,
  ) {}

  /**
   * The overrides the file holds. A missing file holds none. A file that cannot be read
   * or is not JSON is ignored with a warning (the gateway still starts, at the routes
   * file's values); so is each entry that is not a valid override.
   */
  async load(): Promise<StoredOverrides> {
    const empty: StoredOverrides = { weights: new Map(), modes: new Map() };
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty;
      this.logger.warn({ file: this.file, err: (error as Error).message }, `could not read the route state file ${this.file}; starting from the routes file's values`);
      return empty;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.logger.warn(
        { file: this.file, err: (error as Error).message },
        `ignoring the route state file ${this.file}: it is not JSON; starting from the routes file's values (the next change replaces it)`,
      );
      return empty;
    }
    if (!isRecord(value)) {
      this.logger.warn({ file: this.file }, `ignoring the route state file ${this.file}: it is not a JSON object; starting from the routes file's values`);
      return empty;
    }
    return {
      weights: this.entries(value, 'weights', overrideFrom),
      modes: this.entries(value, 'modes', modeOverrideFrom),
    };
  }

  /** Writes the current overrides; resolves once a write begun after this call is on disk. */
  save(): Promise<void> {
    if (!this.waiting) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      this.waiting = { promise, resolve, reject };
    }
    const { promise } = this.waiting;
    this.writing ??= this.drain();
    return promise;
  }

  /** Resolves when no write is under way or waiting (for a clean close). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    // Never finishes synchronously: `writing` is assigned before it is cleared below. The
    // last check of `waiting` and the clearing of `writing` are one synchronous step, so a
    // save() asked for in between cannot be left unwritten.
    await Promise.resolve();
    while (this.waiting) {
      const batch = this.waiting;
      this.waiting = undefined;
      try {
        await this.write(serialize(this.current()));
        batch.resolve();
      } catch (error) {
        batch.reject(error as Error);
      }
    }
    this.writing = undefined;
  }

  private async write(text: string): Promise<void> {
    const folder = path.dirname(this.file);
    // Unique per write and per process: two processes on one file never share a temporary file.
    const temporary = path.join(folder, `.${path.basename(this.file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await mkdir(folder, { recursive: true });
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(text, 'utf8');
        // On disk before the rename: after a power cut the new name never points at an empty file.
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.file);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new Error(`could not save the route state to ${this.file}: ${(error as Error).message}`, { cause: error });
    }
  }

  private entries<T>(value: Record<string, unknown>, key: 'weights' | 'modes', read: (entry: unknown) => T | undefined): Map<string, T> {
    const entries = new Map<string, T>();
    const section = value[key];
    if (section === undefined) return entries;
    if (!isRecord(section)) {
      this.logger.warn({ file: this.file, key }, `ignoring "${key}" in the route state file ${this.file}: it is not an object`);
      return entries;
    }
    for (const [route, entry] of Object.entries(section)) {
      const state = read(entry);
      if (state) entries.set(route, state);
      else this.logger.warn({ file: this.file, route, key }, `ignoring an unreadable ${key === 'weights' ? 'weight' : 'mode'} for route ${route} in the route state file ${this.file}`);
    }
    return entries;
  }
}

function serialize(overrides: StoredOverrides): string {
  // Pretty-printed: an operator may well read it.
  return `${JSON.stringify({ format: FORMAT, weights: Object.fromEntries(overrides.weights), modes: Object.fromEntries(overrides.modes) }, null, 2)}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
