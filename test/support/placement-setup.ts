import type { TestProject } from 'vitest/node';
import { testRun } from './global-setup.js';
import { PLACEMENT_NAMES, superviseSharedPlacements, type PlacementControl, type PlacementName } from './placement.js';

const SUPERVISOR = Symbol.for('modular-shop.placement-supervisor');

/**
 * Global setup of each scenario project (vitest.config.ts): `provide`s where its files
 * acquire their placement from the run's one supervisor (superviseSharedPlacements),
 * which boots a placement when the first of its files asks and stops it at the end of
 * the run (or when another placement needs the machine). The run's teardown stops the
 * supervisor's processes, and drops their databases, before it drops the run's roles
 * and searches the logs.
 */
export default async function setup(project: TestProject): Promise<void> {
  const name = project.config.provide?.placementName as PlacementName | undefined;
  if (!name || !PLACEMENT_NAMES.includes(name)) {
    throw new Error(`project ${project.name}: provide.placementName must be one of ${PLACEMENT_NAMES.join(', ')} (got ${name})`);
  }
  // One supervisor per run, whichever scenario projects run; kept on globalThis since
  // each project loads its global setup files apart.
  const holder = globalThis as { [SUPERVISOR]?: Promise<PlacementControl> };
  holder[SUPERVISOR] ??= (async () => {
    const run = await testRun();
    const supervisor = await superviseSharedPlacements(run);
    run.beforeTeardown(() => supervisor.close());
    return supervisor.control;
  })();
  project.provide('placementControl', await holder[SUPERVISOR]);
}
