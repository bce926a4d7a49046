import { describe, expect, it } from 'vitest';
import { differencesBetween, ignoreRulesFor } from './json-differences.js';

const none = ignoreRulesFor([]);

describe('differencesBetween', () => {
  it('finds nothing between equal values, whatever the key order', () => {
    expect(differencesBetween({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }, none)).toEqual([]);
  });

  it('names objects by key and arrays by index from the body root', () => {
    const a = { price: 100, items: [{ id: 1, price: 5 }, { id: 2, price: 6 }] };
    const b = { price: 90, items: [{ id: 1, price: 5 }, { id: 2, price: 7 }] };
    expect(differencesBetween(a, b, none)).toEqual(['body.price', 'body.items.1.price']);
  });

  it('names a key present on one side only, and array elements past the shorter array', () => {
    expect(differencesBetween({ a: 1, gone: true }, { a: 1, added: null }, none)).toEqual(['body.gone', 'body.added']);
    expect(differencesBetween([1, 2, 3], [1], none)).toEqual(['body.1', 'body.2']);
  });

  it('names the place where kinds differ, not what lies below it', () => {
    expect(differencesBetween({ a: { b: 1 } }, { a: [1] }, none)).toEqual(['body.a']);
    expect(differencesBetween({ a: null }, { a: 0 }, none)).toEqual(['body.a']);
    expect(differencesBetween('x', 'y', none)).toEqual(['body']);
  });

  it('leaves out field names at any depth and paths with * for array indexes', () => {
    const rules = ignoreRulesFor(['createdAt', 'items.*.id', 'meta.trace']);
    const a = { createdAt: 1, items: [{ id: 'a', createdAt: 1, price: 5 }], meta: { trace: 'x', version: 1 } };
    const b = { createdAt: 2, items: [{ id: 'b', createdAt: 2, price: 6 }], meta: { trace: 'y', version: 2 } };
    expect(differencesBetween(a, b, rules)).toEqual(['body.items.0.price', 'body.meta.version']);
  });

  it('leaves out a whole subtree, and a whole body, when its path is ignored', () => {
    expect(differencesBetween({ meta: { a: 1, b: [1] } }, { meta: { a: 2 } }, ignoreRulesFor([], ['body.meta']))).toEqual([]);
    expect(differencesBetween({ a: 1 }, { a: 2 }, ignoreRulesFor([], ['body']))).toEqual([]);
  });

  it('leaves out learned noise given as full patterns', () => {
    const rules = ignoreRulesFor([], ['body.items.*.updatedAt']);
    const a = { items: [{ updatedAt: 1, sku: 'a' }, { updatedAt: 1, sku: 'b' }] };
    const b = { items: [{ updatedAt: 2, sku: 'a' }, { updatedAt: 3, sku: 'c' }] };
    expect(differencesBetween(a, b, rules)).toEqual(['body.items.1.sku']);
  });

  it('stops at a bound on a pathological answer', () => {
    const a = Array.from({ length: 10_000 }, (_, i) => i);
    const b = Array.from({ length: 10_000 }, (_, i) => i + 1);
    expect(differencesBetween(a, b, none)).toHaveLength(256);
  });
});
