#!/usr/bin/env node
// Generates SQL migrations for every module that has a drizzle schema (or only the
// modules named as arguments): `npm run db:generate [-- catalog identity]`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const all = readdirSync(path.join(root, 'src/modules')).filter((m) =>
  existsSync(path.join(root, 'src/modules', m, 'db/schema.ts')),
);
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));
for (const module of wanted.length ? wanted : all) {
  if (!all.includes(module)) throw new Error(`no drizzle schema for module "${module}"`);
  console.log(`\n== ${module}`);
  execFileSync('npx', ['drizzle-kit', 'generate', '--config', 'drizzle.config.ts', ...extra], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, DRIZZLE_MODULE: module },
  });
}

// The schema exists before a module's first migration runs: the platform creates it
// to grant the module's role, and drizzle's migrator creates it for its own table.
// So the generated `CREATE SCHEMA` must tolerate that.
for (const module of all) {
  const folder = path.join(root, 'drizzle', module);
  if (!existsSync(folder)) continue;
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.sql'))) {
    const full = path.join(folder, file);
    const sql = readFileSync(full, 'utf8');
    const fixed = sql.replace(/CREATE SCHEMA "([^"]+)";/g, 'CREATE SCHEMA IF NOT EXISTS "$1";');
    if (fixed !== sql) writeFileSync(full, fixed);
  }
}
