import { describe, expect, it } from 'vitest';
import { createDemoRegistry } from '../../server/src/demo/entities.ts';
import { orderChanges } from '../../server/src/sync/order-changes.ts';
import type { ChangeInput } from '../../server/src/sync/types.ts';

const registry = createDemoRegistry();
const c = (entity: string, id: string, op: ChangeInput['op'], values?: Record<string, unknown>): ChangeInput => ({ entity, id, op, values });

describe('orderChanges', () => {
  it('creates referenced objects before the objects referencing them, whatever the sent order', () => {
    const changes = [
      c('Photo', 'p', 'CREATE', { workOrderId: 'w' }),
      c('WorkOrder', 'w', 'CREATE', { customerId: 'c' }),
      c('Customer', 'c', 'CREATE', { name: 'x' }),
    ];
    expect(orderChanges(registry, changes).map((i) => changes[i]!.id)).toEqual(['c', 'w', 'p']);
  });

  it('applies updates after creates and deletes last, referencing entities first', () => {
    const changes = [
      c('Customer', 'c', 'DELETE'),
      c('WorkOrder', 'u', 'UPDATE', { title: 't' }),
      c('WorkOrder', 'w', 'DELETE'),
      c('Customer', 'n', 'CREATE', { name: 'x' }),
      c('Photo', 'p', 'DELETE'),
    ];
    expect(orderChanges(registry, changes).map((i) => changes[i]!.id)).toEqual(['n', 'u', 'p', 'w', 'c']);
  });

  it('keeps the sent order for unrelated changes', () => {
    const changes = [c('Customer', 'a', 'CREATE', {}), c('Customer', 'b', 'CREATE', {}), c('Customer', 'c', 'CREATE', {})];
    expect(orderChanges(registry, changes)).toEqual([0, 1, 2]);
  });
});
