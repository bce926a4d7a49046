import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configurationVariables } from '../../src/platform/config/app-config.js';
import { placementVariables } from '../../src/platform/config/placement.js';
import { gatewayVariables } from '../../strangler-proxy/src/gateway-settings.js';

const file = (relative: string) => readFileSync(fileURLToPath(new URL(`../../${relative}`, import.meta.url)), 'utf8');

/**
 * The variables of a `| variable | default | meaning |` table under `heading`: each
 * row's backticked names, and the literal default of each (a backticked value; several
 * names share a row with one value each). A default that is not a literal ("unset",
 * "made once", "JWK thumbprint") is undefined.
 */
function documented(markdown: string, heading: string): Map<string, string | undefined> {
  const start = markdown.indexOf(heading);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const table = markdown.slice(markdown.indexOf('| variable | default | meaning |', start));
  const rows = table.split('\n').slice(2);
  const variables = new Map<string, string | undefined>();
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const [names = '', defaults = ''] = row.slice(1).split(' | ');
    const given = [...names.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
    // A literal default is the whole cell: backticked values, comma-separated.
    const literal = /^`[^`]*`(, `[^`]*`)*$/.test(defaults.trim());
    const values = literal ? [...defaults.matchAll(/`([^`]*)`/g)].map((match) => match[1]!) : [];
    given.forEach((name, i) => variables.set(name, values.length === given.length ? values[i] : undefined));
  }
  return variables;
}

function expectSame(table: Map<string, string | undefined>, schema: { name: string; default: unknown }[]) {
  expect([...table.keys()].sort(), 'the variables the table lists, against those the code reads').toEqual(schema.map((v) => v.name).sort());
  for (const variable of schema) {
    expect(table.get(variable.name), `default of ${variable.name}`).toBe(variable.default === undefined ? undefined : String(variable.default));
  }
}

describe('configuration tables', () => {
  it("should list in the README's table exactly the variables the shop reads, with their defaults", () => {
    expectSame(documented(file('README.md'), '## Configuration'), [...configurationVariables(), ...placementVariables()]);
  });

  it("should list in docs/gateway.md's table exactly the variables the gateway reads, with their defaults", () => {
    expectSame(documented(file('docs/gateway.md'), '# The strangler gateway'), gatewayVariables());
  });

  it("should list in .env.example every variable of the README's table, and no other", () => {
    const table = [...documented(file('README.md'), '## Configuration').keys()];
    const example = file('.env.example')
      .split('\n')
      .map((line) => /^#? ?([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    const perModule = (name: string) =>
      name.startsWith('SERVICE_URL_')
        ? 'SERVICE_URL_<MODULE>'
        : name.startsWith('DATABASE_URL_')
          ? 'DATABASE_URL_<MODULE>'
          : /^REMOTE_.+_[A-Z]+$/.test(name) && !table.includes(name) ? 'REMOTE_…_<MODULE>' : name;
    expect([...new Set(example.map(perModule))].sort()).toEqual([...table].sort());
  });
});
