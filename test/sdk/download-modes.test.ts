import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStorage, InvalidChangeError, SyncRequestError } from '../../client-sdk/src/index.ts';
import { seedDemoData } from '../../server/src/demo/seed.ts';
import { customers, readObject } from '../support/demo.ts';
import { change, graphql, sync, uuid } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { agedCheckpoint, openModesDevice } from './support/devices.ts';
import { modesDdl, modesRegistry } from './support/mode-entities.ts';

/**
 * R15 download modes through the SDK, against a server with the demo entities plus Note
 * (NOTHING_PRESERVE), Draft (NEVER) and Catalog (ONLINE), reached through an injected entity map.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ registry: modesRegistry, setupSql: modesDdl });
  await seedDemoData(server.database.db);
});
afterAll(() => server.close());

/** An object of Note, Draft or Catalog created on the server by admin for `owner`. */
async function serverOwned(entity: 'Note' | 'Draft' | 'Catalog', owner: string, text: string): Promise<string> {
  const id = uuid();
  const result = await sync(server, 'admin', { changes: [change(entity, { id, op: 'CREATE', values: { text, ownerId: owner } })] });
  expect(result.failures).toEqual([]);
  return id;
}

async function serverText(query: 'note' | 'draft' | 'catalog', id: string): Promise<unknown> {
  const response = await graphql<Record<string, { text: string } | null>>(server, 'admin', `query($id: ID!) { ${query}(id: $id) { text } }`, { id });
  return response.data?.[query]?.text ?? null;
}

/** Ages the device's checkpoint past the tombstone retention, so its next full sync is a reset (R19). */
async function expireCheckpoint(storage: ReturnType<typeof createMemoryStorage>, checkpoint: string): Promise<void> {
  await storage.write([{ store: 'meta', key: 'checkpoint', value: agedCheckpoint(checkpoint, 31) }]);
}

describe('R15 download modes', () => {
  it('the SDK learns every mode from syncEntities and keeps them', async () => {
    const db = await openModesDevice(server, 'alice');
    expect(db.downloadModes).toEqual({});
    await db.synchronize();
    expect(db.downloadModes).toEqual({
      Customer: 'ALL',
      WorkOrder: 'FILTERED',
      Photo: 'FILTERED',
      Feedback: 'NOTHING_CLEAR',
      Note: 'NOTHING_PRESERVE',
      Draft: 'NEVER',
      Catalog: 'ONLINE',
    });
  });

  it('NOTHING_CLEAR (Feedback): uploaded, then cleared from the device; uncommitted feedback stays', async () => {
    const db = await openModesDevice(server, 'alice');
    const sent = await db.entity('Feedback').create({ text: 'Great service', rating: 5 }, { commit: true });
    const typing = await db.entity('Feedback').create({ text: 'half a thought' });

    const report = await db.synchronize();

    expect(report.uploaded).toMatchObject([{ entity: 'Feedback', id: sent.id, status: 'applied', removed: true }]);
    expect(report.removed).toEqual([{ entity: 'Feedback', id: sent.id, reason: 'cleared' }]);
    expect(db.entity('Feedback').list().map((f) => f.id)).toEqual([typing.id]);
    expect(await readObject(server, 'admin', 'feedback', sent.id, 'text authorId')).toEqual({ text: 'Great service', authorId: 'alice' });
  });

  it('NOTHING_PRESERVE (Note): uploaded and kept, never downloaded, kept through a reset; selective sync refreshes it', async () => {
    const storage = createMemoryStorage();
    let db = await openModesDevice(server, 'alice', { storage });
    const notes = db.entity('Note');
    const mine = await notes.create({ text: 'gate code 1234', ownerId: 'alice' }, { commit: true });
    const onServer = await serverOwned('Note', 'alice', 'written by admin');

    const first = await db.synchronize();

    expect(first.reset).toBe(true);
    expect(first.uploaded).toMatchObject([{ entity: 'Note', id: mine.id, status: 'applied', version: 1, removed: false }]);
    expect(notes.list().map((n) => n.id)).toEqual([mine.id]);
    expect(notes.get(mine.id)).toMatchObject({ text: 'gate code 1234', version: 1, $status: { pending: null, fromServer: true } });
    expect(await serverText('note', mine.id)).toBe('gate code 1234');

    // Changed on the server: full sync does not download it; a reset does not wipe it.
    await sync(server, 'admin', { changes: [change('Note', { id: mine.id, op: 'UPDATE', baseVersion: 1, values: { text: 'admin edit' }, base: { text: 'gate code 1234' } })] });
    expect((await db.synchronize()).downloaded).toBe(0);
    await db.close();
    await expireCheckpoint(storage, db.checkpoint!);
    db = await openModesDevice(server, 'alice', { storage });
    const reset = await db.synchronize();
    expect(reset.reset).toBe(true);
    expect(reset.removed).toEqual([]);
    expect(db.entity('Note').get(mine.id)).toMatchObject({ text: 'gate code 1234', version: 1 });
    expect(db.entity('Note').get(onServer)).toBeUndefined();

    // R16: a selective sync ignores the mode and brings the server state.
    const selective = await db.synchronize({ mode: 'selected', objects: [{ entity: 'Note', id: mine.id }] });
    expect(selective.downloaded).toBe(1);
    expect(db.entity('Note').get(mine.id)).toMatchObject({ text: 'admin edit', version: 2, ownerId: 'alice' });
  });

  it('NEVER (Draft): device-only; full and unsynchronized syncs neither upload nor download it, a reset keeps it', async () => {
    const storage = createMemoryStorage();
    let db = await openModesDevice(server, 'alice', { storage });
    const draft = await db.entity('Draft').create({ text: 'private', ownerId: 'alice' }, { commit: true });
    const onServer = await serverOwned('Draft', 'alice', 'server draft');

    const full = await db.synchronize();
    const unsynchronized = await db.synchronize({ mode: 'unsynchronized' });

    expect(full.uploaded).toEqual([]);
    expect(unsynchronized.syncIds).toEqual([]);
    expect(await serverText('draft', draft.id)).toBeNull();
    expect(db.entity('Draft').list().map((d) => d.id)).toEqual([draft.id]);
    expect(db.entity('Draft').get(draft.id)?.$status.pending).toBe('CREATE');
    expect(db.unsynchronizedObjects()).toEqual([{ entity: 'Draft', id: draft.id }]);

    await db.close();
    await expireCheckpoint(storage, db.checkpoint!);
    db = await openModesDevice(server, 'alice', { storage });
    expect((await db.synchronize()).reset).toBe(true);
    expect(db.entity('Draft').get(draft.id)).toMatchObject({ text: 'private', $status: { pending: 'CREATE' } });
    expect(db.entity('Draft').get(onServer)).toBeUndefined();

    // Naming it in a selective sync is the explicit way to upload one (R16: modes do not apply).
    const selective = await db.synchronize({ mode: 'selected', objects: [{ entity: 'Draft', id: draft.id }] });
    expect(selective.uploaded).toMatchObject([{ entity: 'Draft', id: draft.id, status: 'applied', version: 1 }]);
    expect(await serverText('draft', draft.id)).toBe('private');
    expect(db.entity('Draft').get(draft.id)).toMatchObject({ version: 1, $status: { pending: null } });
  });

  it('ONLINE (Catalog): never stored; local creates refused once the mode is known; read through the server', async () => {
    // Made before the device ever talked to the server, so before it knew the mode.
    const db = await openModesDevice(server, 'alice');
    const early = await db.entity('Catalog').create({ text: 'early', ownerId: 'alice' }, { commit: true });
    const ids = [await serverOwned('Catalog', 'alice', 'drill'), await serverOwned('Catalog', 'alice', 'saw'), await serverOwned('Catalog', 'bob', 'hammer')];

    const report = await db.synchronize();

    // The early object is uploaded, then leaves the device like the rest of the entity.
    expect(report.uploaded).toMatchObject([{ entity: 'Catalog', id: early.id, status: 'applied', removed: true }]);
    expect(report.removed).toEqual([{ entity: 'Catalog', id: early.id, reason: 'cleared' }]);
    expect(await serverText('catalog', early.id)).toBe('early');
    expect(db.entity('Catalog').list()).toEqual([]);
    await expect(db.entity('Catalog').create({ text: 'later', ownerId: 'alice' })).rejects.toThrow(InvalidChangeError);
    // A selective sync of an ONLINE object does not store it either.
    await db.synchronize({ mode: 'selected', objects: [{ entity: 'Catalog', id: ids[0]! }] });
    expect(db.entity('Catalog').list()).toEqual([]);

    const online = db.online('Catalog');
    expect(await online.get(ids[0]!)).toMatchObject({ id: ids[0], text: 'drill', ownerId: 'alice', version: 1 });
    expect(await online.get(ids[2]!)).toBeNull(); // bob's: not readable by alice
    const first = await online.list({ orderBy: 'text', direction: 'DESC', first: 2 });
    expect(first.totalCount).toBe(3);
    expect(first.items.map((item) => item.text)).toEqual(['saw', 'early']);
    const second = await online.list({ orderBy: 'text', direction: 'DESC', first: 2, after: first.nextCursor });
    expect(second).toEqual({ items: [expect.objectContaining({ text: 'drill' })], totalCount: 3, nextCursor: null });
    expect((await online.list({ filter: { text: 'saw' } })).items.map((item) => item.id)).toEqual([ids[1]]);
  });

  it('online reads work for every entity under the read rules, and fail fast offline', async () => {
    let online = true;
    const db = await openModesDevice(server, 'alice', { isOnline: () => online });
    expect(await db.online('Customer').get(customers.harbor)).toMatchObject({ name: 'Harbor Logistics' });
    const orders = await db.online('WorkOrder').list({ filter: { assigneeId: 'bob' } });
    expect(orders).toEqual({ items: [], totalCount: 0, nextCursor: null });
    expect(db.entity('Customer').list()).toEqual([]);

    online = false;
    await expect(db.online('Customer').get(customers.harbor)).rejects.toMatchObject({ name: 'SyncRequestError', kind: 'offline' });
    await expect(db.online('Customer').list()).rejects.toBeInstanceOf(SyncRequestError);
  });
});
