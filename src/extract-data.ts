import { parseArgs } from 'node:util';
import { MONOLITH_MODULES } from './app.module.js';
import { ConfigError, loadConfig } from './platform/config/app-config.js';
import { databaseUrlVariable, moduleDatabaseUrls } from './platform/config/module-database-urls.js';
import { copyModule, MoveRefused } from './platform/database/module-move/copy-module.js';
import { verificationTable } from './platform/database/module-move/verification-table.js';
import { storedModuleRoleSecret } from './platform/database/module-role-secret.js';
import { errorText, withoutSecrets } from './platform/logging/safe-error.js';

const USAGE = `Usage: npm run extract:data -- <module> --to <postgres-url> [--from <postgres-url>] [--replace]

Copies a module's schema, data, sequences and migration history to another PostgreSQL
database, creates its role there, and verifies the copy table by table. The source is
the module's database now (DATABASE_URL_<MODULE>, else DATABASE_URL) unless --from names
it; it is only read. Stop the module's writers first (docs/extraction.md, "Moving a
module's data"). Safe to run again: a stopped run leaves nothing on the target, and a
target that already holds an identical copy is left as it is.

  --to <url>     the database the module moves to (a login that can create roles and schemas)
  --from <url>   the database it uses now
  --replace      overwrite the module's data on the target when it holds different data

Exit codes: 0 copied (or already identical), 1 failed, 2 bad usage, 3 refused (nothing changed).`;

/** Host, port and database of a connection string: what an operator may read (no user, no password). */
function describe(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { to: { type: 'string' }, from: { type: 'string' }, replace: { type: 'boolean', default: false }, help: { type: 'boolean' } },
    });
  } catch (error) {
    console.error(`${withoutSecrets((error as Error).message)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [module, ...extra] = positionals;
  const modules: readonly string[] = MONOLITH_MODULES;
  const problems: string[] = [];
  if (!module) problems.push('the module to move is missing');
  else if (!modules.includes(module)) problems.push(`no module is called "${module}" (the modules are ${modules.join(', ')})`);
  if (extra.length) problems.push(`unexpected argument(s): ${extra.join(' ')}`);
  if (!values.to) problems.push('--to <postgres-url> is missing: the database the module moves to');
  const config = loadConfig(process.env);
  const configured = moduleDatabaseUrls(process.env, modules);
  problems.push(...configured.problems);
  const from = values.from ?? (module ? configured.urls.get(module) : undefined) ?? config.databaseUrl;
  if (module && !from) problems.push(`the source is unknown: pass --from, or set ${databaseUrlVariable(module)} or DATABASE_URL as the shop has them`);
  for (const [name, url] of [['--to', values.to], ['--from', from]] as const) {
    if (url && !/^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(url)) problems.push(`${name}: must be a PostgreSQL connection string such as postgres://user@host:5432/shop_${module ?? 'module'}`);
  }
  // The role's password derives from the shop's secret: one made up here would lock the shop out of its own role.
  const roleSecret = config.moduleDbSecret ?? storedModuleRoleSecret(config.dataDir);
  if (!roleSecret) {
    problems.push(
      `MODULE_DB_SECRET is not set, and DATA_DIR (${config.dataDir}) holds no secret a shop generated: run this with the shop's MODULE_DB_SECRET ` +
        '(or its DATA_DIR), so that the role made on the target has the password the shop derives',
    );
  }
  if (problems.length === 0 && describe(from!) === describe(values.to!)) {
    problems.push(`--to names the database ${module} uses now (${describe(from!)}): there is nowhere to move`);
  }
  if (problems.length) {
    // An argument in the wrong place may be a connection string with its password.
    console.error(`${problems.map((p) => `error: ${withoutSecrets(p)}`).join('\n')}\n\n${USAGE}`);
    return 2;
  }

  console.log(`Moving the data of ${module} from ${describe(from!)} to ${describe(values.to!)}`);
  try {
    const result = await copyModule({
      module: module!,
      fromUrl: from!,
      toUrl: values.to!,
      replace: values.replace,
      rolePrefix: config.moduleRolePrefix,
      roleSecret: roleSecret!,
      previousRoleSecret: config.moduleDbSecretPrevious,
      progress: (line) => console.log(`  ${line}`),
    });
    console.log(`\n${verificationTable(result.verified)}\n`);
    console.log(
      result.outcome === 'identical'
        ? `The target already holds exactly this copy of ${module}: nothing was changed.`
        : `Copied and verified: every table and sequence of ${module} matches.`,
    );
    if (result.unpublishedEvents > 0) {
      console.log(`${result.unpublishedEvents} event(s) in the copied outbox are not yet published: the relay of ${module} publishes them from the new database.`);
    }
    console.log(
      `Next: set ${databaseUrlVariable(module!)} to the new database in every process hosting ${module}, and start them again.\n` +
        `The source keeps its copy as it was; drop it (DROP SCHEMA ${module} CASCADE) once ${module} runs on the new database, or keep it until then to move back.`,
    );
    return 0;
  } catch (error) {
    if (error instanceof MoveRefused) {
      if (error.verified) console.log(`\n${verificationTable(error.verified)}\n`);
      console.error(`refused: ${withoutSecrets(error.message)}`);
      return 3;
    }
    console.error(
      `failed: ${error instanceof ConfigError ? error.message : errorText(error)}\n` +
        'The copy is committed only as its very last step, so the target most likely holds nothing of it; run this again once the cause is fixed (a complete copy is reported as identical).',
    );
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : errorText(error));
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
