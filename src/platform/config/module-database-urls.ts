/** `DATABASE_URL_<MODULE>`: the one variable name per module, as the README's table writes it. */
export const MODULE_DATABASE_URL_VARIABLE = 'DATABASE_URL_<MODULE>';

export const databaseUrlVariable = (module: string) => `DATABASE_URL_${module.toUpperCase()}`;

/**
 * The modules given a database of their own (`DATABASE_URL_<MODULE>`), and the problems
 * found on the way, each naming its variable: a name within two letters of a module's
 * (a typo would otherwise leave the module silently in the shared database), or a value
 * that is not a PostgreSQL connection string. A module without one uses DATABASE_URL.
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
      // Other tools' variables share the prefix (DATABASE_URL_UNPOOLED, …) and are not ours;
      // a name a letter or two from a module's is a typo, which would leave that module in
      // the shared database without a word.
      const near = modules.find((candidate) => editDistance(candidate, module) <= 2);
      if (near) problems.push(`${name}: no module is called "${module}" (did you mean ${databaseUrlVariable(near)}? the modules are ${modules.join(', ')})`);
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

/** Levenshtein distance: how many letters to add, drop or change to turn one name into the other. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
