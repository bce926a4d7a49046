/**
 * The privileged connection used only for provisioning: roles, schemas, grants and
 * migrations. Module code never receives it.
 */
export interface AdminSession {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

/** Quotes an SQL identifier. Module and role names are validated too, this is defence in depth. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
