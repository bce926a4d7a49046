import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Conventions an import graph cannot see, checked on the source itself. Each test
 * would fail if a module broke the rule it names.
 */
const modulesDir = fileURLToPath(new URL('../../src/modules/', import.meta.url));
const modules = readdirSync(modulesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

function sourcesOf(module: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        out.push({ file: path.relative(modulesDir, full), text: readFileSync(full, 'utf8') });
      }
    }
  };
  walk(path.join(modulesDir, module));
  return out;
}

describe('module conventions', () => {
  it.each(modules)('%s should call other modules only through the ContractBus, never the raw Nest buses', (module) => {
    const offenders = sourcesOf(module).filter(({ text }) => /\b(QueryBus|CommandBus)\b/.test(text));
    expect(offenders.map((o) => o.file)).toEqual([]);
  });

  it.each(modules)('%s should ask for its own database handle and no other', (module) => {
    const requested = sourcesOf(module).flatMap(({ text }) =>
      [...text.matchAll(/moduleDatabaseProvider\(\s*([A-Za-z_'"][\w'"]*)\s*\)/g)].map((m) => {
        const argument = m[1]!;
        if (/^['"]/.test(argument)) return argument.slice(1, -1);
        const constant = new RegExp(`const ${argument}\\s*=\\s*['"]([a-z_]+)['"]`).exec(text);
        return constant?.[1] ?? `<unresolved ${argument}>`;
      }),
    );
    expect(requested.length).toBeGreaterThan(0);
    expect(new Set(requested)).toEqual(new Set([module]));
  });
});
