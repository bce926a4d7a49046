/** `DATABASE_URL_<MODULE>`: the one variable name per module, as the README's table writes it. */
export const MODULE_DATABASE_URL_VARIABLE = 'DATABASE_URL_<MODULE>';

export const databaseUrlVariable = (module: string) => `DATABASE_URL_${module.toUpperCase()}`;

/**
 * The modules given a database of their own (`DATABASE_URL_<MODULE>`), and the problems
 * found on the way, each naming its variable: a name that is no module's (a typo would
 * otherwise leave the module silently in the shared database), or a value that is not a
 * PostgreSQL connection string. A module without one uses DATABASE_URL.
 */
export function moduleDatabaseUrls(
  env: Record<string, string | undefined>,
  modules: readonly string[],
): { urls: Map<string, string>; problems: string[] } {
  const urls = new Map<string, string>();
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    const match = /^DATABASE_URL_(.+)$/.exec(name);
    const value = raw?.trim();
    if (!match || !value) continue;
    const module = match[1]!.toLowerCase();
    if (!modules.includes(module)) {
      problems.push(`${name}: no module is called "${module}" (the modules are ${modules.join(', ')})`);
      continue;
    }
    if (!isPostgresUrl(value)) {
      problems.push(`${name}: must be a PostgreSQL connection string such as postgres://user@host:5432/shop_${module}`);
      continue;
    }
    urls.set(module, value);
  }
  return { urls, problems };
}

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '' && url.pathname.length > 1;
  } catch {
    return false;
  }
}
