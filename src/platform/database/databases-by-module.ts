import type { DatabaseEngine } from './database-engine.js';
import type { ModuleDatabase } from './module-database.js';

/**
 * The engine of a process whose modules do not all share one database: each module
 * with DATABASE_URL_<MODULE> is on its own engine (its role, schema, migrations,
 * outbox, inbox and dead letters there), the rest on the shared one. Callers see one
 * engine, as before: migrations run per database (each under its own advisory lock),
 * a module's handle comes from its database, the outbox's NOTIFY is heard from every
 * database (a module's commits notify in its own), and the process is ready only when
 * every database answers.
 */
export class DatabasesByModule implements DatabaseEngine {
  readonly kind: DatabaseEngine['kind'];
  readonly description: string;

  constructor(
    /** Each database, with the modules it holds; modules named nowhere are refused. */
    private readonly databases: readonly { engine: DatabaseEngine; modules: readonly string[] }[],
  ) {
    if (databases.length === 0) throw new Error('DatabasesByModule needs at least one database');
    this.kind = databases.some((d) => d.engine.kind === 'postgres') ? 'postgres' : 'pglite';
    this.description = databases.map((d) => `${d.modules.join(', ')}: ${d.engine.description}`).join('; ');
  }

  private engineOf(module: string): DatabaseEngine {
    const database = this.databases.find((d) => d.modules.includes(module));
    if (!database) throw new Error(`${module} has no database in this process`);
    return database.engine;
  }

  async migrate(modules: readonly string[]): Promise<void> {
    for (const module of modules) this.engineOf(module);
    // One database after the other: each takes its own migration lock, and a failure
    // stops the start before any module runs.
    for (const { engine, modules: held } of this.databases) {
      const here = modules.filter((module) => held.includes(module));
      if (here.length > 0) await engine.migrate(here);
    }
  }

  forModule(module: string): ModuleDatabase {
    return this.engineOf(module).forModule(module);
  }

  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const started = await Promise.allSettled(this.databases.map((d) => d.engine.listen(channel, onMessage)));
    const stops = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      // All or none: the listeners already started are stopped again.
      await Promise.allSettled(stops.map((stop) => stop()));
      throw failed.reason;
    }
    return async () => {
      await Promise.all(stops.map((stop) => stop()));
    };
  }

  /** Every database hears it: a process listening on any of them is told. */
  async notify(channel: string, payload: string): Promise<void> {
    await Promise.all(this.databases.map((d) => d.engine.notify(channel, payload)));
  }

  async ping(): Promise<void> {
    await Promise.all(this.databases.map((d) => d.engine.ping()));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.databases.map((d) => d.engine.close()));
  }
}
