import { describe, expect, it } from 'vitest';
import { perHeaderValue } from '../../server/src/http/per-header-value.ts';

describe('perHeaderValue', () => {
  it('computes once per value, null answers included, and forgets everything when full', () => {
    const seen: string[] = [];
    const parse = perHeaderValue((value) => {
      seen.push(value);
      return value === 'none' ? null : value.length;
    }, 2);
    expect([parse('ab'), parse('ab'), parse('none'), parse('none')]).toEqual([2, 2, null, null]);
    expect(seen).toEqual(['ab', 'none']);
    parse('abc'); // full: starts over
    parse('ab');
    expect(seen).toEqual(['ab', 'none', 'abc', 'ab']);
  });
});
