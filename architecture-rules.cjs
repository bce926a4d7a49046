// The architecture, as dependency-cruiser rules. CI runs `npm run lint:arch`
// (`depcruise src strangler-proxy --config architecture-rules.cjs`); every rule is an error.
// Paths are matched relative to the working directory, so run it from the project root.
// Each rule is proven by a planted violation in test/architecture/architecture-rules.spec.ts.

/** An npm package, resolved (`node_modules/pg/lib/index.js`, also via `@types/`) or not (`pg`). */
const npm = (names) => `(^|(^|/)node_modules/)(@types/)?(${names})(/|$)`;

/** Packages that do I/O or tie code to a framework: none of them belongs in a domain model. */
const INFRASTRUCTURE_PACKAGES = [
  '@nestjs/[^/]+',
  '@fastify/[^/]+',
  '@electric-sql/[^/]+',
  'drizzle-[^/]+',
  'pg',
  'pg-[^/]+',
  'ioredis',
  'bullmq',
  'fastify',
  'pino',
  'undici',
  'http-proxy-middleware',
].join('|');

/** Node core modules that do I/O. dependency-cruiser reports `node:fs` as `fs` (type `core`). */
const IO_CORE_MODULES =
  '^(node:)?(fs|net|http|https|http2|child_process|dgram|dns|tls|cluster|worker_threads)(/|$)';

const COMPOSITION_ROOTS = ['^src/app\\.module\\.ts$', '^src/extracted/'];
const CONTRACT_FILE = '^src/modules/[^/]+/contract\\.ts$';
const CONTRACT_KIT = '^src/platform/contracts/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'module-imports-other-module-only-via-contract',
      severity: 'error',
      comment:
        "A module talks to another only through that module's published language: " +
        'src/modules/<other>/contract.ts. Its handlers, domain, db schema and Nest module are ' +
        'private, so the owner can change them (or move them to another process) freely.',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/', pathNot: ['^src/modules/$1/', CONTRACT_FILE] },
    },
    {
      name: 'only-composition-roots-import-module-definitions',
      severity: 'error',
      comment:
        'A <module>.module.ts is wired in only by composition roots: src/app.module.ts (the ' +
        'monolith) and src/extracted/** (one module as a service). Anything else importing it ' +
        'would pull the whole module, handlers and database included, into its own graph. ' +
        'Spec files are exempt: a test building a testing module is a composition root of its ' +
        "own (a spec reaching into another module is still caught by the contract rule).",
      from: { pathNot: [...COMPOSITION_ROOTS, '\\.spec\\.ts$'] },
      to: { path: '^src/modules/[^/]+/[^/]+\\.module\\.ts$' },
    },
    {
      name: 'platform-imports-no-module',
      severity: 'error',
      comment:
        'src/platform is shared infrastructure with no domain in it: it must not know any ' +
        'module, nor the composition roots that assemble them.',
      from: { path: '^src/platform/' },
      to: {
        path: ['^src/modules/', '^src/app\\.module\\.ts$', '^src/main\\.ts$', '^src/extracted/'],
      },
    },
    {
      name: 'module-uses-only-its-database-handle',
      severity: 'error',
      comment:
        'A module reaches the database only through the ModuleDatabase handle of its own role ' +
        '(module-database.ts, module-database.provider.ts, and prepared-statement.ts, which runs ' +
        'on a handle the module already has; group-commit.ts batches work and database-unavailable.ts ' +
        'classifies errors, and neither holds a handle at all). The engine, its token and the provisioning code ' +
        'can hand out any role, so they stay inside the platform.',
      from: { path: '^src/modules/' },
      to: {
        path: '^src/platform/database/',
        pathNot: '^src/platform/database/(module-database(\\.provider)?|prepared-statement|group-commit|database-unavailable)\\.ts$',
      },
    },
    {
      name: 'only-identity-holds-signing-keys',
      severity: 'error',
      comment:
        'Only identity issues access tokens, so only identity (and the composition roots that ' +
        'hand it the key pair) may touch the private signing key; everyone else verifies with ' +
        'the public key the platform holds.',
      from: {
        path: '^src/',
        pathNot: ['^src/modules/identity/', '^src/platform/', '^src/app\\.module\\.ts$', '^src/extracted/identity/'],
      },
      to: { path: '^src/platform/auth/signing-keys\\.ts$' },
    },
    {
      name: 'module-imports-no-composition-root',
      severity: 'error',
      comment:
        'Composition roots (src/main.ts, src/app.module.ts, src/extracted/**) assemble modules; ' +
        'a module importing one would depend on every other module through it.',
      from: { path: '^src/modules/' },
      to: { path: ['^src/main\\.ts$', '^src/app\\.module\\.ts$', '^src/extracted/'] },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        "A module's domain/ is plain TypeScript: no Nest, no drizzle, no database or Redis " +
        "client, no I/O core module, and nothing from the rest of the project except its own " +
        'domain/ and the pure contract kit in src/platform/contracts/ (DomainError lives there).',
      from: { path: '^src/modules/([^/]+)/domain/' },
      to: {
        path: ['^src/', npm(INFRASTRUCTURE_PACKAGES), IO_CORE_MODULES],
        pathNot: ['^src/modules/$1/domain/', CONTRACT_KIT],
      },
    },
    {
      name: 'contract-imports-only-contracts',
      severity: 'error',
      comment:
        "A contract.ts is what other modules import, so it may depend only on other modules' " +
        'contract.ts files, the contract kit in src/platform/contracts/, and @nestjs/cqrs ' +
        '(Command/Query base classes). Anything else would leak into every caller.',
      from: { path: CONTRACT_FILE },
      to: { pathNot: [CONTRACT_FILE, CONTRACT_KIT, npm('@nestjs/cqrs')] },
    },
    {
      name: 'module-calls-other-modules-only-through-the-bus',
      severity: 'error',
      comment:
        'A module calls another only through the ContractBus (platform/dispatch/contract-bus.ts); the ' +
        'transports behind it (in-process, remote HTTP), the wire codec and the RPC endpoint are the ' +
        "platform's business. So a caller's code is the same whether the callee runs in this process " +
        'or in its own service, and moving a module changes configuration, not code.',
      from: { path: '^src/modules/' },
      to: { path: '^src/platform/dispatch/', pathNot: '^src/platform/dispatch/(contract-bus|contract-call-errors)\\.ts$' },
    },
    {
      name: 'module-stays-out-of-event-operations',
      severity: 'error',
      comment:
        "The operators' event tools (platform/events/ops: replay any outbox, re-drive any dead letter) " +
        "act as any module's database role. A module that used them would read another module's outbox, " +
        'which cannot work once that module runs elsewhere; a consumer asks the publisher to replay, ' +
        'through its contract.',
      from: { path: '^src/modules/' },
      to: { path: '^src/platform/events/ops/' },
    },
    {
      name: 'strangler-proxy-is-independent',
      severity: 'error',
      comment:
        'The strangler proxy is deployed on its own in front of the monolith and the extracted ' +
        'services; it must build and run without any application code.',
      from: { path: '^strangler-proxy/' },
      to: { path: '^src/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Cycles (type-only imports included) make modules impossible to reason about, test or ' +
        'extract one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        "An import dependency-cruiser cannot resolve is an import it cannot check: it is a " +
        'typo, a missing dependency in package.json, or a path the rules would silently miss.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports count: a type from another module's internals couples just as much.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
