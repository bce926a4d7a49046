import { describe, expect, it } from 'vitest';
import { CredentialsBusyError, HashingSlots } from './hashing-slots.js';

describe('HashingSlots', () => {
  it('should run at most N at once, queue up to the limit and refuse beyond it', async () => {
    const slots = new HashingSlots(2, 1);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const job = () =>
      slots.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      });
    const accepted = [job(), job(), job()];
    await expect(job()).rejects.toBeInstanceOf(CredentialsBusyError);
    expect(running).toBe(2);
    while (releases.length) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(accepted);
    expect(peak).toBe(2);
  });
});
