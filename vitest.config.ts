import swc from 'unplugin-swc';
import { configDefaults, defineConfig } from 'vitest/config';

/** The placements the scenario suite runs in (test/support/placement.ts), one project each. */
const PLACEMENTS = ['monolith', 'serializing', 'payments-inventory', 'all-but-ordering', 'payments-handover'] as const;

// Nest's dependency injection reads decorator metadata, which esbuild does not emit:
// unplugin-swc compiles the TypeScript instead (see ../shared/STACK.md, trap 3).
export default defineConfig({
  plugins: [
    swc.vite({
      module: { type: 'es6' },
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        keepClassNames: true,
      },
    }),
  ],
  test: {
    // The run's template database, role prefix and log folder, once per run, whichever
    // projects run (test/support/global-setup.ts); each project inherits it, and the
    // run is prepared and torn down once all the same.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'shop',
          include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
          exclude: [...configDefaults.exclude, 'test/scenarios/**', 'test/placement/**', 'test/gateway/**', 'test/image/**'],
        },
      },
      // The strangler gateway (strangler-proxy/): its units, and the gateway as a child
      // process in front of real upstreams (test/gateway/).
      {
        extends: true,
        test: {
          name: 'gateway',
          include: ['strangler-proxy/**/*.spec.ts', 'test/gateway/**/*.spec.ts'],
        },
      },
      // The Dockerfile built and booted with Docker: `npm run test:image` only (it needs a
      // Docker daemon, which .ci/run starts), not part of `npm test`.
      ...(process.env.TEST_IMAGE === '1'
        ? [{ extends: true as const, test: { name: 'image', include: ['test/image/**/*.spec.ts'], testTimeout: 120_000 } }]
        : []),
      // Placements of their own (a killed payments service, services of every module, each
      // module booted alone): after the scenario groups, one file at a time, so their
      // processes never share the database server's connections with another group's.
      {
        extends: true,
        test: {
          name: 'placement',
          include: ['test/placement/**/*.spec.ts'],
          fileParallelism: false,
          sequence: { groupOrder: PLACEMENTS.length + 1 },
        },
      },
      // The scenario suite once per placement (test/support/placement.ts). Every scenario
      // file of a project shares one set of the placement's processes, booted when its
      // first file asks (test/support/placement-setup.ts). Each placement runs in a group
      // of its own, after the rest of the suite: one placement's processes at a time.
      ...PLACEMENTS.map((placement, index) => ({
        extends: true as const,
        test: {
          name: `scenarios:${placement}`,
          include: ['test/scenarios/**/*.spec.ts'],
          globalSetup: ['test/support/placement-setup.ts'],
          provide: { placementName: placement },
          sequence: { groupOrder: index + 1 },
        },
      })),
    ],
  },
});
