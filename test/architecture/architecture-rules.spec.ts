import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOP_TREE, type FileTree } from './fixtures/shop-tree.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULES_FILE = join(PROJECT_ROOT, 'architecture-rules.cjs');

interface Violation {
  rule: string;
  from: string;
  to: string;
}

/**
 * Cruises `targets` under `baseDir` with the project's rules, as `npm run lint:arch` does from
 * the project root: rule paths are relative to `baseDir`, and so is the rules' tsconfig.
 */
async function cruiseWithProjectRules(baseDir: string, targets: string[]): Promise<Violation[]> {
  const options = await extractDepcruiseOptions(RULES_FILE);
  const tsConfigFile = join(baseDir, options.tsConfig?.fileName ?? 'tsconfig.json');
  const { output } = await cruise(
    targets,
    { ...options, baseDir, tsConfig: { fileName: tsConfigFile } },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  const result: ICruiseResult = typeof output === 'string' ? JSON.parse(output) : output;
  return result.summary.violations.map(({ rule, from, to }) => ({ rule: rule.name, from, to }));
}

let scratch: string;
let treeCount = 0;

/** Writes the clean shop tree plus `planted` (added or replacing files) to a fresh folder. */
async function writeTree(planted: FileTree = {}): Promise<string> {
  const root = join(scratch, `tree-${++treeCount}`);
  for (const [path, text] of Object.entries({ ...SHOP_TREE, ...planted })) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), `${text}\n`);
  }
  return root;
}

async function violationsOf(planted: FileTree = {}): Promise<Violation[]> {
  return cruiseWithProjectRules(await writeTree(planted), ['src', 'strangler-proxy']);
}

/** A shop-tree file with one more line. */
const plus = (path: string, line: string): FileTree => ({ [path]: `${SHOP_TREE[path]}\n${line}` });

interface PlantedCase {
  readonly case: string;
  readonly planted: FileTree;
  readonly expected: Violation[];
}

/** One planted file, `from`, with one import that breaks `rule` by reaching `to`. */
const planted = (rule: string, title: string, from: string, importLine: string, to: string): PlantedCase => ({
  case: title,
  planted: SHOP_TREE[from] === undefined ? { [from]: importLine } : plus(from, importLine),
  expected: [{ rule, from, to }],
});

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'architecture-rules-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('architecture rules', () => {
  it('should find no violation in a tree that follows the layout', async () => {
    expect(await violationsOf()).toEqual([]);
  });

  it('should have every rule named, explained and failing the build', async () => {
    const { ruleSet, tsPreCompilationDeps, doNotFollow, exclude } = await extractDepcruiseOptions(RULES_FILE);
    const rules = ruleSet?.forbidden ?? [];
    expect(rules.map((rule) => rule.name)).toEqual(expect.arrayContaining([
      'module-imports-other-module-only-via-contract',
      'only-composition-roots-import-module-definitions',
      'platform-imports-no-module',
      'module-uses-only-its-database-handle',
      'only-identity-holds-signing-keys',
      'domain-is-pure',
      'contract-imports-only-contracts',
      'module-calls-other-modules-only-through-the-bus',
      'module-stays-out-of-event-operations',
      'strangler-proxy-is-independent',
      'no-circular',
    ]));
    expect(new Set(rules.map((rule) => rule.name)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.severity, rule.name).toBe('error');
      expect(rule.comment?.length, rule.name).toBeGreaterThan(20);
    }
    expect(tsPreCompilationDeps).toBe(true);
    expect(doNotFollow).toEqual({ path: 'node_modules' });
    expect(exclude).toBeUndefined();
  });

  describe.each<{ rule: string; cases: PlantedCase[] }>([
    {
      rule: 'module-imports-other-module-only-via-contract',
      cases: [
        ["another module's domain", "import { requireA } from '../../a/domain/a.js';", 'src/modules/a/domain/a.ts'],
        ["a type from another module's db (type-only import)", "import type { findA } from '../../a/db/a-table.js';", 'src/modules/a/db/a-table.ts'],
        ["another module's handler re-exported (export type … from)", "export type { GetAHandler } from '../../a/get-a/get-a.handler.js';", 'src/modules/a/get-a/get-a.handler.ts'],
      ].map(([title, line, to]) => planted('module-imports-other-module-only-via-contract', title!, 'src/modules/b/place-b/peek.ts', line!, to!)),
    },
    {
      rule: 'only-composition-roots-import-module-definitions',
      cases: [
        planted('only-composition-roots-import-module-definitions', 'a use case importing its own Nest module', 'src/modules/b/place-b/wire.ts', "import { BModule } from '../b.module.js';", 'src/modules/b/b.module.ts'),
        planted('only-composition-roots-import-module-definitions', 'main.ts wiring a module past app.module.ts', 'src/main.ts', "import { AModule } from './modules/a/a.module.js';", 'src/modules/a/a.module.ts'),
      ],
    },
    {
      rule: 'platform-imports-no-module',
      cases: [
        ["a module's contract", "import { GetA } from '../../modules/a/contract.js';", 'src/modules/a/contract.ts'],
        ['the app module', "import { AppModule } from '../../app.module.js';", 'src/app.module.ts'],
        ['an extracted service', "import '../../extracted/b/main.js';", 'src/extracted/b/main.ts'],
      ].map(([title, line, to]) => planted('platform-imports-no-module', title!, 'src/platform/dispatch/peek.ts', line!, to!)),
    },
    {
      rule: 'module-uses-only-its-database-handle',
      cases: [
        planted('module-uses-only-its-database-handle', 'a use case reaching for the database engine token', 'src/modules/b/place-b/steal.ts', "import { DATABASE_ENGINE } from '../../../platform/database/database.tokens.js';", 'src/platform/database/database.tokens.ts'),
      ],
    },
    {
      rule: 'only-identity-holds-signing-keys',
      cases: [
        planted('only-identity-holds-signing-keys', 'another module importing the signing keys', 'src/modules/b/place-b/mint.ts', "import { SIGNING_KEYS } from '../../../platform/auth/signing-keys.js';", 'src/platform/auth/signing-keys.ts'),
      ],
    },
    {
      rule: 'module-imports-no-composition-root',
      cases: [
        planted('module-imports-no-composition-root', 'a use case importing the app module', 'src/modules/a/get-a/boot.ts', "import { AppModule } from '../../../app.module.js';", 'src/app.module.ts'),
      ],
    },
    {
      rule: 'domain-is-pure',
      cases: [
        ['@nestjs/common', "import { Injectable } from '@nestjs/common';", 'node_modules/@nestjs/common/index.js'],
        ['drizzle-orm', "import { pgSchema } from 'drizzle-orm/pg-core';", 'node_modules/drizzle-orm/pg-core/index.js'],
        ['a pg type (type-only import)', "import type { Pool } from 'pg';", 'node_modules/pg/index.js'],
        ['node:fs', "import { readFileSync } from 'node:fs';", 'fs'],
        ['fs/promises', "import { readFile } from 'fs/promises';", 'fs/promises'],
        ['node:http', "import { request } from 'node:http';", 'http'],
        ["its module's db", "import { findA } from '../db/a-table.js';", 'src/modules/a/db/a-table.ts'],
        ["its module's contract", "import type { GetA } from '../contract.js';", 'src/modules/a/contract.ts'],
        ['platform code outside the contract kit', "import { log } from '../../../platform/logging/logger.js';", 'src/platform/logging/logger.ts'],
      ].map(([title, line, to]) => planted('domain-is-pure', title!, 'src/modules/a/domain/planted.ts', line!, to!)),
    },
    {
      rule: 'contract-imports-only-contracts',
      cases: [
        ["its module's domain", "import { ANotFound } from './domain/a-not-found.js';", 'src/modules/a/domain/a-not-found.ts'],
        ['platform code outside the contract kit', "import { log } from '../../platform/logging/logger.js';", 'src/platform/logging/logger.ts'],
        ['zod', "import { z } from 'zod';", 'node_modules/zod/index.js'],
        ['@nestjs/common', "import { Injectable } from '@nestjs/common';", 'node_modules/@nestjs/common/index.js'],
      ].map(([title, line, to]) => planted('contract-imports-only-contracts', title!, 'src/modules/a/contract.ts', line!, to!)),
    },
    {
      rule: 'module-calls-other-modules-only-through-the-bus',
      cases: [
        planted('module-calls-other-modules-only-through-the-bus', 'a use case calling a transport itself', 'src/modules/b/place-b/direct.ts', "import { RemoteTransport } from '../../../platform/dispatch/remote-transport.js';", 'src/platform/dispatch/remote-transport.ts'),
      ],
    },
    {
      rule: 'module-stays-out-of-event-operations',
      cases: [
        planted('module-stays-out-of-event-operations', "a use case replaying another module's outbox", 'src/modules/b/place-b/replay.ts', "import { EventOperations } from '../../../platform/events/ops/event-operations.js';", 'src/platform/events/ops/event-operations.ts'),
      ],
    },
    {
      rule: 'strangler-proxy-is-independent',
      cases: [
        ['platform code', "import { log } from '../src/platform/logging/logger.js';", 'src/platform/logging/logger.ts'],
        ['a contract type (type-only import)', "import type { GetA } from '../src/modules/a/contract.js';", 'src/modules/a/contract.ts'],
      ].map(([title, line, to]) => planted('strangler-proxy-is-independent', title!, 'strangler-proxy/route.ts', line!, to!)),
    },
    {
      rule: 'no-circular',
      cases: [
        {
          // dependency-cruiser reports a cycle once, on the edge that closes it.
          case: 'two domain files importing each other (one edge type-only)',
          planted: plus('src/modules/a/domain/a-not-found.ts', "import type { requireA } from './a.js';"),
          expected: [{ rule: 'no-circular', from: 'src/modules/a/domain/a-not-found.ts', to: 'src/modules/a/domain/a.ts' }],
        },
      ],
    },
    {
      rule: 'not-to-unresolvable',
      cases: [
        ['a missing file', "import { gone } from './missing.js';", './missing.js'],
        ['a package that is not installed', "import { Redis } from 'ioredis';", 'ioredis'],
      ].map(([title, line, to]) => planted('not-to-unresolvable', title!, 'src/modules/a/get-a/get-a.handler.ts', line!, to!)),
    },
  ])('$rule', ({ cases }) => {
    it.each(cases)('should report exactly this violation for $case', async ({ planted: files, expected }) => {
      const violations = await violationsOf(files);
      const byPath = (x: Violation, y: Violation) => `${x.from} ${x.to}`.localeCompare(`${y.from} ${y.to}`);
      expect(violations.sort(byPath)).toEqual(expected);
    });
  });

  it('should find no violation in the project itself (src and strangler-proxy)', async () => {
    const targets = ['src', 'strangler-proxy'].filter((target) => existsSync(join(PROJECT_ROOT, target)));
    const violations = await cruiseWithProjectRules(PROJECT_ROOT, targets);
    expect(violations.map(({ rule, from, to }) => `${rule}: ${from} -> ${to}`)).toEqual([]);
  });
});
