import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULTANEOUS_SYNC_MESSAGE, SyncRequestError, type Clock, type SyncStatus } from '../../client-sdk/src/index.ts';
import { createWorkOrder, customers, readObject } from '../support/demo.ts';
import { change, sync } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { deferred, interceptSynchronize, openDevice } from './support/devices.ts';

/** SDK scenarios against the real server around the network: R17, R20, R21, R22, errors, progress. */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ limits: { maxBodyBytes: 16_000 } });
});
afterAll(() => server.close());

async function serverWorkOrder(assignee: string, values: Record<string, unknown> = {}): Promise<string> {
  const wo = createWorkOrder(assignee, values);
  await sync(server, 'admin', { changes: [wo.change] });
  return wo.id;
}

/** Everything the app can see of the device's objects, to compare before and after. */
function snapshot(db: Awaited<ReturnType<typeof openDevice>>) {
  return {
    orders: db.entity('WorkOrder').list({ orderBy: 'id' }),
    customers: db.entity('Customer').list({ orderBy: 'id' }),
    checkpoint: db.checkpoint,
    failures: db.failures.list(),
  };
}

describe('R20 one sync at a time', () => {
  it('R20: a second synchronize() during one fails with the exact message while the first completes', async () => {
    const id = await serverWorkOrder('alice');
    const arrived = deferred();
    const release = deferred();
    const db = await openDevice(server, 'alice', {
      fetch: interceptSynchronize(server.fetch, async (forward) => {
        arrived.resolve();
        await release.promise;
        return forward();
      }),
    });
    const first = db.synchronize();
    await arrived.promise;

    await expect(db.synchronize()).rejects.toThrow(SIMULTANEOUS_SYNC_MESSAGE);
    await expect(db.synchronize({ mode: 'unsynchronized' })).rejects.toMatchObject({
      name: 'SimultaneousSynchronizationError',
      message: 'Performing simultaneous synchronizations is not supported. Please try again after the current synchronization is completed.',
    });
    expect(db.syncStatus.running).toBe(true);

    release.resolve();
    const report = await first;
    expect(report.reset).toBe(true);
    expect(db.entity('WorkOrder').get(id)).toBeDefined();
    expect(db.syncStatus).toMatchObject({ running: false, lastError: null });
  });
});

describe('R21 lost responses', () => {
  it('R21: a lost response is retried once with the same syncId and applied once', async () => {
    const id = await serverWorkOrder('alice');
    const sent: unknown[] = [];
    let loseNext = false;
    const db = await openDevice(server, 'alice', {
      fetch: interceptSynchronize(server.fetch, async (forward, body) => {
        sent.push(body.variables);
        const response = await forward();
        if (!loseNext) return response;
        loseNext = false;
        throw new TypeError('fetch failed: connection reset');
      }),
    });
    await db.synchronize();
    await db.entity('WorkOrder').update(id, { status: 'DONE' }, { commit: true });
    sent.length = 0;
    loseNext = true;

    const lost = await db.synchronize({ mode: 'selected', objects: [{ entity: 'WorkOrder', id }] }).catch((e: unknown) => e);

    expect(lost).toBeInstanceOf(SyncRequestError);
    expect(lost).toMatchObject({ kind: 'network', mayHaveApplied: true });
    const syncId = db.inFlightSyncId;
    expect(syncId).toEqual(expect.any(String));
    expect(db.entity('WorkOrder').get(id)).toMatchObject({ status: 'DONE', version: 1, $status: { pending: 'UPDATE' } });
    const serverState = await readObject(server, 'admin', 'workOrder', id, 'version completedAt');
    expect(serverState).toMatchObject({ version: 2 });

    const report = await db.synchronize({ mode: 'selected', objects: [{ entity: 'WorkOrder', id }] });

    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(sent[0]);
    expect(report).toMatchObject({ retried: true, replayed: true, syncIds: [syncId] });
    expect(report.uploaded).toMatchObject([{ id, status: 'applied', version: 2 }]);
    expect(db.inFlightSyncId).toBeNull();
    expect(db.entity('WorkOrder').get(id)).toMatchObject({ status: 'DONE', version: 2, completedAt: serverState?.completedAt, $status: { pending: null } });
    expect(await readObject(server, 'admin', 'workOrder', id, 'version completedAt')).toEqual(serverState);
  });

  it('R17: a download that fails midway leaves the local DB unchanged; a later sync completes it', async () => {
    const id = await serverWorkOrder('alice', { description: 'v1' });
    let breakNext = false;
    const db = await openDevice(server, 'alice', {
      fetch: interceptSynchronize(server.fetch, async (forward) => {
        const response = await forward();
        if (!breakNext) return response;
        breakNext = false;
        const text = await response.text();
        // Half of the body arrives, then the connection drops.
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(text.slice(0, text.length / 2)));
            controller.error(new TypeError('terminated'));
          },
        });
        return new Response(body, { status: response.status, headers: response.headers });
      }),
    });
    await db.synchronize();
    await db.entity('WorkOrder').update(id, { hoursSpent: 3 }, { commit: true });
    await sync(server, 'admin', {
      changes: [change('WorkOrder', { id, op: 'UPDATE', baseVersion: 1, values: { description: 'v2' }, base: { description: 'v1' } })],
    });
    const before = snapshot(db);
    breakNext = true;

    await expect(db.synchronize()).rejects.toMatchObject({ kind: 'network', mayHaveApplied: true });

    expect(snapshot(db)).toEqual(before);
    expect(db.entity('WorkOrder').get(id)).toMatchObject({ description: 'v1', hoursSpent: 3, $status: { pending: 'UPDATE' } });
    const report = await db.synchronize();
    expect(report.replayed).toBe(true);
    expect(db.entity('WorkOrder').get(id)).toMatchObject({ description: 'v2', hoursSpent: 3, version: 3, $status: { pending: null } });
  });
});

describe('R22 changes during a sync', () => {
  it('R22: changes made while a sync is in flight are kept and go with the next sync', async () => {
    const id = await serverWorkOrder('alice');
    const arrived = deferred();
    const release = deferred();
    let hold = false;
    const db = await openDevice(server, 'alice', {
      fetch: interceptSynchronize(server.fetch, async (forward) => {
        if (hold) {
          arrived.resolve();
          await release.promise;
        }
        return forward();
      }),
    });
    await db.synchronize();
    const orders = db.entity('WorkOrder');
    await orders.update(id, { hoursSpent: 1, description: 'first' }, { commit: true });
    hold = true;
    const running = db.synchronize();
    await arrived.promise;
    await orders.update(id, { hoursSpent: 2, title: 'Retitled' }, { commit: true });
    const created = await orders.create({ title: 'During sync', customerId: customers.harbor, assigneeId: 'alice' }, { commit: true });
    release.resolve();
    hold = false;
    await running;

    expect(orders.get(id)).toMatchObject({ hoursSpent: 2, title: 'Retitled', description: 'first', version: 2 });
    expect(orders.get(id)?.$status).toMatchObject({ pending: 'UPDATE', changedAttributes: ['hoursSpent', 'title'] });
    expect(orders.get(created.id)?.$status.pending).toBe('CREATE');
    expect(await readObject(server, 'admin', 'workOrder', id, 'hoursSpent title')).toMatchObject({ hoursSpent: 1 });

    const next = await db.synchronize({ mode: 'unsynchronized' });
    expect(next.uploaded.map((o) => [o.id, o.op, o.status])).toEqual([
      [id, 'UPDATE', 'applied'],
      [created.id, 'CREATE', 'applied'],
    ]);
    expect(await readObject(server, 'admin', 'workOrder', id, 'hoursSpent title')).toEqual({ hoursSpent: 2, title: 'Retitled' });
    expect(db.unsynchronizedObjects()).toEqual([]);
  });
});

describe('request errors', () => {
  it('HTTP 401: a bad token is reported as unauthorized and changes nothing', async () => {
    const db = await openDevice(server, 'alice', { token: 'not-a-token' });
    await expect(db.synchronize()).rejects.toMatchObject({ name: 'SyncRequestError', kind: 'unauthorized', status: 401 });
  });

  it('offline: nothing is sent and the error says so', async () => {
    let requests = 0;
    const db = await openDevice(server, 'alice', {
      isOnline: () => false,
      fetch: (input, init) => {
        requests++;
        return server.fetch(input, init);
      },
    });
    await db.entity('Feedback').create({ text: 'offline' }, { commit: true });
    await expect(db.synchronize()).rejects.toMatchObject({ kind: 'offline', mayHaveApplied: false });
    expect(requests).toBe(0);
    expect(db.unsynchronizedObjects()).toHaveLength(1);
  });

  it('HTTP 413: a change set over the size limit is refused, nothing applied, changes kept for later', async () => {
    const id = await serverWorkOrder('alice');
    const db = await openDevice(server, 'alice');
    await db.synchronize();
    await db.entity('WorkOrder').update(id, { description: 'x'.repeat(20_000) }, { commit: true });

    await expect(db.synchronize()).rejects.toMatchObject({ kind: 'payload-too-large', status: 413, mayHaveApplied: false });
    expect(db.inFlightSyncId).toBeNull();
    expect(db.entity('WorkOrder').get(id)?.$status.pending).toBe('UPDATE');

    await db.entity('WorkOrder').update(id, { description: 'short' }, { commit: true });
    expect((await db.synchronize()).uploaded).toMatchObject([{ id, status: 'applied' }]);
  });

  it('timeout: a request without a complete response in time fails as timeout, and its upload is kept for a retry', async () => {
    const timers: (() => void)[] = [];
    const clock: Clock = { now: () => new Date(), setTimeout: (callback) => timers.push(callback), clearTimeout: () => undefined };
    const arrived = deferred();
    let hang = false;
    const db = await openDevice(server, 'alice', {
      clock,
      fetch: interceptSynchronize(server.fetch, async (forward) => {
        if (!hang) return forward();
        arrived.resolve();
        return new Promise<Response>(() => undefined);
      }),
    });
    await db.entity('Feedback').create({ text: 'slow network' }, { commit: true });
    hang = true;
    const running = db.synchronize();
    await arrived.promise;
    timers.at(-1)?.();

    await expect(running).rejects.toMatchObject({ kind: 'timeout', mayHaveApplied: true });
    expect(db.inFlightSyncId).toEqual(expect.any(String));
    hang = false;
    const report = await db.synchronize();
    expect(report).toMatchObject({ retried: true, replayed: false });
    expect(report.uploaded).toMatchObject([{ entity: 'Feedback', status: 'applied' }]);
  });
});

describe('R23 progress', () => {
  it('R23: progress goes through upload, download and apply with objects and bytes', async () => {
    const db = await openDevice(server, 'alice');
    await db.entity('Feedback').create({ text: 'progress' }, { commit: true });
    const seen: SyncStatus[] = [];
    db.onSyncStatus((status) => seen.push(status));

    await db.synchronize();

    const phases = seen.flatMap((s) => (s.progress ? [s.progress.phase] : []));
    expect(phases.filter((phase, i) => phase !== phases[i - 1])).toEqual(['upload', 'download', 'apply']);
    const lastUpload = seen.filter((s) => s.progress?.phase === 'upload').at(-1)?.progress;
    expect(lastUpload?.objects).toEqual({ done: 1, total: 1 });
    expect(lastUpload?.bytes.done).toBe(lastUpload?.bytes.total);
    const download = seen.filter((s) => s.progress?.phase === 'download').at(-1)?.progress;
    expect(download?.bytes.done).toBeGreaterThan(0);
    const upload = seen.find((s) => s.progress?.phase === 'upload' && s.progress.bytes.total !== null)?.progress;
    expect(upload?.objects.total).toBe(1);
    expect(upload?.bytes.total).toBeGreaterThan(0);
    const applied = seen.filter((s) => s.progress?.phase === 'apply').at(-1)?.progress;
    expect(applied?.objects.done).toBe(applied?.objects.total);
    expect(applied?.objects.total).toBeGreaterThan(0);
    expect(seen.at(-1)).toMatchObject({ running: false, progress: null, lastError: null });
  });
});
