import type { Db } from './module-database.js';

const hooksOf = new WeakMap<object, (() => void)[]>();

/**
 * Runs `work` in a transaction of `db` and, once it has committed, the callbacks that
 * code inside registered with `afterCommit`. Used by every ModuleDatabase, so work
 * that must follow a commit (waking the outbox relay) never runs for a rollback.
 */
export async function transactionWithHooks<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  const hooks: (() => void)[] = [];
  const result = await db.transaction(async (tx) => {
    hooksOf.set(tx, hooks);
    return work(tx);
  });
  for (const hook of hooks) {
    // The transaction has committed: a failing hook must not make it look failed to
    // the caller (a group-committed batch would then be run again). Hooks are
    // best-effort wake-ups; say so loudly and go on.
    try {
      hook();
    } catch (error) {
      process.emitWarning(`a hook after a commit failed: ${error instanceof Error ? error.message : String(error)}`, 'AfterCommitHookWarning');
    }
  }
  return result;
}

/**
 * Registers `hook` to run after `tx` commits. Returns false when `tx` was not opened
 * by a ModuleDatabase (a nested savepoint, say): the caller then needs another way.
 */
export function afterCommit(tx: Db, hook: () => void): boolean {
  const hooks = hooksOf.get(tx);
  if (!hooks) return false;
  hooks.push(hook);
  return true;
}

