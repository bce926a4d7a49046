/**
 * Polls `probe` until it returns a value other than undefined/false, or fails after
 * the deadline with the last value seen. This is how tests wait for asynchronous
 * delivery: on a condition, never on a fixed sleep.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last !== undefined && last !== false) return last as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}; last: ${String(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
