import { describe, expect, it } from 'vitest';
import { createDemoRegistry } from '../../server/src/demo/entities.ts';
import { mergeUpdate, sameValue } from '../../server/src/sync/merge.ts';

const workOrder = createDemoRegistry().get('WorkOrder')!;
const viewer = { id: 'alice', roles: ['fieldworker'] };
const server = { version: 3, title: 'server title', description: 'server', hoursSpent: 2 };

describe('mergeUpdate', () => {
  it('applies the device values as they are when the base version is current', () => {
    const result = mergeUpdate(workOrder, viewer, { ...server, version: 1 }, { title: 'device' }, { title: 'old' }, 1);
    expect(result).toEqual({ values: { title: 'device' }, conflicts: [], merged: false });
  });

  it('lets the device win by default and reports the merge onto a newer version', () => {
    const result = mergeUpdate(workOrder, viewer, server, { title: 'device' }, { title: 'old' }, 1);
    expect(result).toEqual({ values: { title: 'device' }, conflicts: [], merged: true });
  });

  it('ignores attributes the device did not send', () => {
    const result = mergeUpdate(workOrder, viewer, server, { hoursSpent: 5 }, { hoursSpent: 2 }, 1);
    expect(Object.keys(result.values)).toEqual(['hoursSpent']);
  });
});

describe('sameValue', () => {
  it('compares dates by instant and JSON by content', () => {
    expect(sameValue(new Date('2026-01-01T00:00:00Z'), '2026-01-01T00:00:00.000Z')).toBe(true);
    expect(sameValue({ a: [1] }, { a: [1] })).toBe(true);
    expect(sameValue(null, undefined)).toBe(false);
    expect(sameValue(1, 2)).toBe(false);
  });
});
