import { describe, expect, it } from 'vitest';
import {
  commitObject,
  createObject,
  currentValues,
  deleteObject,
  editObject,
  objectStatus,
  remainingChange,
  rollbackObject,
  serverState,
  type LocalObject,
  type ServerState,
} from '../../client-sdk/src/local-object.ts';

/** Unit tests of change tracking (Mendix-style committed vs uncommitted, R2, R5, R22). */

const synced = (values: Record<string, string | number | null>, version = 1): ServerState =>
  serverState('WorkOrder', 'w1', { version, createdAt: '2026-01-01T00:00:00.000Z', changedAt: '2026-01-01T00:00:00.000Z' }, values);
const fromServer = (values: Record<string, string | number | null>): LocalObject => ({
  entity: 'WorkOrder',
  id: 'w1',
  synced: synced(values),
  pending: null,
  draft: null,
});

describe('local change tracking', () => {
  it('a new object is uncommitted until commit, then a CREATE with its values', () => {
    const created = createObject('WorkOrder', 'w1', { title: 'a' });
    expect(objectStatus(created)).toMatchObject({ isNew: true, pending: null, hasUncommittedChanges: true });
    const committed = commitObject(editObject(created, { hoursSpent: 1 }));
    expect(committed.pending).toEqual({ op: 'CREATE', values: { title: 'a', hoursSpent: 1 } });
    expect(objectStatus(committed)).toMatchObject({ isNew: false, pending: 'CREATE', hasUncommittedChanges: false });
    expect(commitObject(editObject(committed, { title: 'b' })).pending).toEqual({ op: 'CREATE', values: { title: 'b', hoursSpent: 1 } });
  });

  it('an UPDATE carries only changed attributes and their last-synced base values (R5)', () => {
    const object = commitObject(editObject(fromServer({ title: 'a', description: 'd', hoursSpent: 0 }), { title: 'b', hoursSpent: 0 }));
    expect(object.pending).toEqual({ op: 'UPDATE', values: { title: 'b' }, base: { title: 'a' } });
    const again = commitObject(editObject(object, { title: 'c', description: null }));
    expect(again.pending).toEqual({ op: 'UPDATE', values: { title: 'c', description: null }, base: { title: 'a', description: 'd' } });
  });

  it('editing back to the synced value cancels the change of that attribute', () => {
    const changed = commitObject(editObject(fromServer({ title: 'a' }), { title: 'b' }));
    expect(commitObject(editObject(changed, { title: 'a' })).pending).toBeNull();
  });

  it('uncommitted edits are visible, tracked separately, and rollback discards only them', () => {
    const committed = commitObject(editObject(fromServer({ title: 'a', hoursSpent: 0 }), { hoursSpent: 2 }));
    const edited = editObject(committed, { title: 'draft' });
    expect(currentValues(edited)).toEqual({ title: 'draft', hoursSpent: 2 });
    expect(objectStatus(edited)).toMatchObject({ changedAttributes: ['hoursSpent'], uncommittedAttributes: ['title'] });
    expect(rollbackObject(edited)).toEqual(committed);
    expect(rollbackObject(createObject('WorkOrder', 'n', { title: 'x' }))).toBeNull();
  });

  it('delete: a never-synced object disappears unless its CREATE is in flight; a synced one becomes a DELETE', () => {
    const created = commitObject(createObject('WorkOrder', 'n', { title: 'x' }));
    expect(deleteObject(created, false)).toBeNull();
    expect(deleteObject(created, true)?.pending).toEqual({ op: 'DELETE' });
    expect(deleteObject(editObject(fromServer({ title: 'a' }), { title: 'b' }), false)).toMatchObject({ pending: { op: 'DELETE' }, draft: null });
  });
});

describe('what stays pending after a sync (R22)', () => {
  const server = synced({ title: 'b', hoursSpent: 1, description: 'server' }, 2);

  it('nothing, when nothing changed during the flight', () => {
    const sent = { op: 'UPDATE' as const, values: { title: 'b' }, base: { title: 'a' } };
    expect(remainingChange(sent, sent, server)).toBeNull();
  });

  it('attributes committed during the flight, with the right base', () => {
    const sent = { op: 'UPDATE' as const, values: { title: 'b' }, base: { title: 'a' } };
    const current = { op: 'UPDATE' as const, values: { title: 'c', hoursSpent: 5 }, base: { title: 'a', hoursSpent: 0 } };
    expect(remainingChange(current, sent, server)).toEqual({ op: 'UPDATE', values: { title: 'c', hoursSpent: 5 }, base: { title: 'b', hoursSpent: 0 } });
  });

  it('a CREATE edited during the flight becomes an UPDATE of what changed since', () => {
    const sent = { op: 'CREATE' as const, values: { title: 'b', hoursSpent: 1 } };
    const current = { op: 'CREATE' as const, values: { title: 'b', hoursSpent: 3 } };
    expect(remainingChange(current, sent, server)).toEqual({ op: 'UPDATE', values: { hoursSpent: 3 }, base: { hoursSpent: 1 } });
  });

  it('a delete during the flight stays; a sent delete is done', () => {
    const sent = { op: 'UPDATE' as const, values: { title: 'b' }, base: { title: 'a' } };
    expect(remainingChange({ op: 'DELETE' }, sent, server)).toEqual({ op: 'DELETE' });
    expect(remainingChange({ op: 'DELETE' }, { op: 'DELETE' }, null)).toBeNull();
  });
});
