import { describe, expect, it } from 'vitest';
import { NoiseSampler } from './noise-sampler.js';

function takes(sampler: NoiseSampler, count: number): boolean[] {
  return Array.from({ length: count }, () => sampler.take());
}

describe('NoiseSampler', () => {
  it('samples the first request, then a steady share of the rest', () => {
    expect(takes(new NoiseSampler(0.25), 9)).toEqual([true, false, false, false, true, false, false, false, true]);
  });

  it('samples every request at rate 1 and none at rate 0', () => {
    expect(takes(new NoiseSampler(1), 3)).toEqual([true, true, true]);
    expect(takes(new NoiseSampler(0), 3)).toEqual([false, false, false]);
  });

  it('takes a new rate from the next request on, with no backlog', () => {
    const sampler = new NoiseSampler(0);
    takes(sampler, 100);
    sampler.setRate(0.5);
    expect(takes(sampler, 4)).toEqual([true, false, true, false]);
  });
});
