import { describe, expect, it } from 'vitest';
import {
  createSyncDatabase,
  openSyncDatabase,
  ObjectNotFoundError,
  InvalidChangeError,
  syncEntityMetadata,
  type Database,
  type StoreEvent,
  type SyncEntityTypes,
  type Transport,
} from '../../client-sdk/src/index.ts';

/** The typed local API without a server: create, edit, commit, rollback, delete, list, subscribe. */

const noNetwork: Transport = {
  synchronize: () => Promise.reject(new Error('no network in this test')),
  downloadPage: () => Promise.reject(new Error('no network in this test')),
  read: () => Promise.reject(new Error('no network in this test')),
  syncEntities: () => Promise.reject(new Error('no network in this test')),
  synchronizationFailures: () => Promise.reject(new Error('no network in this test')),
  resolveSynchronizationFailure: () => Promise.reject(new Error('no network in this test')),
};

let ids = 0;
const open = (): Promise<Database> => openSyncDatabase({ url: 'http://unused', transport: noNetwork, generateId: () => `id-${++ids}` });

describe('typed local database', () => {
  it('creates, edits, commits, rolls back and deletes objects, typed by the schema', async () => {
    const db = await open();
    const orders = db.entity('WorkOrder');
    const order = await orders.create({ title: 'x', status: 'DONE', customerId: 'c', assigneeId: 'alice' });
    expect(order).toMatchObject({ title: 'x', status: 'DONE', version: null, completedAt: null, $status: { isNew: true } });
    // @ts-expect-error: not a WorkOrderStatus
    await expect(orders.update(order.id, { status: 'FINISHED' })).resolves.toBeDefined();
    // @ts-expect-error: completedAt is set by the server, not writable by the device
    await expect(orders.update(order.id, { completedAt: 'now' })).rejects.toBeInstanceOf(InvalidChangeError);
    // @ts-expect-error: no such entity
    expect(() => db.entity('Invoice')).toThrow(InvalidChangeError);

    await orders.commit(order.id);
    expect(orders.get(order.id)?.$status).toMatchObject({ isNew: false, pending: 'CREATE' });
    await orders.update(order.id, { title: 'draft' });
    expect(orders.get(order.id)).toMatchObject({ title: 'draft', $status: { uncommittedAttributes: ['title'] } });
    await orders.rollback(order.id);
    expect(orders.get(order.id)?.title).toBe('x');
    expect(db.unsynchronizedObjects()).toEqual([{ entity: 'WorkOrder', id: order.id }]);
    await orders.delete(order.id);
    expect(orders.get(order.id)).toBeUndefined();
    expect(db.unsynchronizedObjects()).toEqual([]);
    await expect(orders.update(order.id, { title: 'y' })).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('lists with filters and sorting, and tells subscribers what changed', async () => {
    const db = await open();
    const orders = db.entity('WorkOrder');
    const events: string[][] = [];
    const all: StoreEvent[] = [];
    orders.subscribe((event) => events.push([...event.ids]));
    db.subscribe((event) => all.push(event));
    const a = await orders.create({ title: 'b', hoursSpent: 3 }, { commit: true });
    const b = await orders.create({ title: 'a', hoursSpent: 1 }, { commit: true });
    await db.entity('Customer').create({ name: 'n' });
    expect(orders.list({ orderBy: 'title' }).map((o) => o.id)).toEqual([b.id, a.id]);
    expect(orders.list({ where: { hoursSpent: { gte: 2 } } }).map((o) => o.id)).toEqual([a.id]);
    expect(events).toEqual([[a.id], [b.id]]);
    expect(all).toHaveLength(3);
  });

  it('copies JSON values in and out: neither the values an app passed nor the views it got change the device', async () => {
    type Note = { id: string; version: number; createdAt: string; changedAt: string; tags: { list: string[] } };
    type Entities = SyncEntityTypes & { Note: { object: Note; values: { tags?: { list: string[] } | null } } };
    const db = await createSyncDatabase<Entities>({
      url: 'http://unused',
      transport: noNetwork,
      metadata: { ...syncEntityMetadata, Note: { fields: ['id', 'version', 'createdAt', 'changedAt', 'tags'], writable: ['tags'], queries: { get: 'note', list: 'notes' } } },
    });
    const tags = { list: ['a'] };
    const note = await db.entity('Note').create({ tags }, { commit: true });
    tags.list.push('changed by the app');
    note.tags.list.push('changed in a view');
    db.entity('Note').get(note.id)!.tags.list.push('changed in another view');
    expect(db.entity('Note').get(note.id)?.tags).toEqual({ list: ['a'] });
  });

  it('keeps a stable client id per storage', async () => {
    const db = await open();
    expect(db.clientId).toMatch(/^id-/);
    expect(db.checkpoint).toBeNull();
    expect(db.inFlightSyncId).toBeNull();
  });
});
