import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { contractInfoOfType } from '../../src/platform/contracts/contract-type.js';
import { z } from '../../src/platform/contracts/index.js';
import {
  declaredSubscriptions,
  integrationEventOf,
  type IntegrationEventSubscription,
  type IntegrationEventType,
} from '../../src/platform/contracts/integration-event.js';
import { subscriptionsOf } from '../../src/platform/events/subscriptions.js';

/**
 * What each module's contract.ts declares, held against the module's code: the error
 * codes it raises, the commands it takes, the events it publishes and the events it
 * consumes. A remote caller, a relay in another process and the placement test modes
 * know a module only by these declarations, so each must be complete and true.
 */
const modulesDir = fileURLToPath(new URL('../../src/modules/', import.meta.url));
const modules = readdirSync(modulesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

/** `payments` → `Payments`: the prefix of a contract's `<Module>Errors` and `<Module>Subscriptions`. */
const pascal = (module: string) => module.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

function sourceFilesOf(module: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) out.push(full);
    }
  };
  walk(path.join(modulesDir, module));
  return out;
}

type Exports = Record<string, unknown>;
const contracts = new Map<string, Exports>();
/** Every class each module's files export, loaded as the app loads them. */
const classes = new Map<string, Function[]>();

beforeAll(async () => {
  for (const module of modules) {
    contracts.set(module, (await import(pathToFileURL(path.join(modulesDir, module, 'contract.ts')).href)) as Exports);
  }
  for (const module of modules) {
    const exported: Function[] = [];
    for (const file of sourceFilesOf(module)) {
      const values = Object.values((await import(pathToFileURL(file).href)) as Exports);
      exported.push(...values.filter((value): value is Function => typeof value === 'function' && /^class\b/.test(String(value))));
    }
    classes.set(module, exported);
  }
});

const contractOf = (module: string): Exports => contracts.get(module)!;

const isEvent = (value: unknown): value is IntegrationEventType<unknown> =>
  typeof value === 'object' && value !== null && integrationEventOf((value as { wireName?: string }).wireName ?? '') === value;

const eventsOf = (module: string) => Object.values(contractOf(module)).filter(isEvent);

/** The contract's `<Module>Errors` object (a module that raises none exports it empty). */
const errorCodesOf = (module: string) => contractOf(module)[`${pascal(module)}Errors`] as Record<string, string> | undefined;

/** The `readonly code = '…'` of every DomainError subclass in the module's code. */
function raisedCodesOf(module: string): string[] {
  return sourceFilesOf(module).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/readonly code = ['"]([^'"]+)['"]/g)].map((m) => m[1]!),
  );
}

/** The subscriptions the module's providers bind to a handler, as EventRoutes reads them. */
function handledBy(module: string): IntegrationEventSubscription[] {
  return classes.get(module)!.flatMap((type) => subscriptionsOf(Object.create(type.prototype) as object).map((s) => s.declared));
}

describe('contract declarations', () => {
  it.each(modules)("%s's contract should export the code of every domain error the module raises, and no other", (module) => {
    const declared = errorCodesOf(module);
    expect(declared, `${module}/contract.ts exports no ${pascal(module)}Errors`).toBeDefined();
    expect(new Set(Object.values(declared!))).toEqual(new Set(raisedCodesOf(module)));
  });

  it.each(modules)("%s's error codes should sit in its own namespace, each under the key that ends it", (module) => {
    for (const [key, code] of Object.entries(errorCodesOf(module) ?? {})) {
      expect(code).toBe(`${module.toUpperCase()}.${key}`);
    }
  });

  it.each(modules)("%s's contract types should be its own, and each command should say whether it is idempotent", (module) => {
    const types = Object.values(contractOf(module)).flatMap((value) => {
      const info = typeof value === 'function' ? contractInfoOfType(value) : undefined;
      return info ? [info] : [];
    });
    for (const info of types) {
      expect(info.module).toBe(module);
      expect(typeof info.idempotent, info.wireName).toBe('boolean');
      if (info.kind === 'query') expect(info.idempotent, info.wireName).toBe(true);
    }
  });

  it.each(modules)("%s's events should be its own, each with a payload schema", (module) => {
    for (const event of eventsOf(module)) {
      expect(event.module, event.wireName).toBe(module);
      expect(event.payload, event.wireName).toBeInstanceOf(z.ZodType);
    }
  });

  it.each(modules)("%s should handle each subscription its contract declares exactly once, and none it does not", (module) => {
    const group = (contractOf(module)[`${pascal(module)}Subscriptions`] ?? {}) as Record<string, IntegrationEventSubscription>;
    const declared = Object.values(group);
    for (const subscription of declared) expect(subscription.consumer, subscription.name).toBe(module);
    // Declared anywhere for this module means declared in its group: the group is the module's route list.
    expect(new Set(declared)).toEqual(new Set(declaredSubscriptions().filter((s) => s.consumer === module)));

    const handled = handledBy(module);
    expect(handled.map((s) => s.name).sort()).toEqual(declared.map((s) => s.name).sort());
    for (const subscription of handled) expect(declared).toContain(subscription);
  });

  it('should route every declared subscription to an event some contract publishes', () => {
    const published = modules.flatMap(eventsOf);
    expect(declaredSubscriptions().length).toBeGreaterThan(0);
    for (const subscription of declaredSubscriptions()) expect(published, subscription.name).toContain(subscription.event);
  });
});
