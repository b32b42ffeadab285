import { IDBFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.ts';
import {
  createIndexedDbStorage,
  FileUploadError,
  InvalidChangeError,
  SyncRequestError,
  type Database,
  type FetchLike,
  type SyncProgress,
} from '../../client-sdk/src/index.ts';
import { createMemoryStorage } from '../../client-sdk/src/storage/memory-storage.ts';
import { customers, readObject } from '../support/demo.ts';
import { TEST_ORIGIN, startTestServer, type TestServer } from '../support/server.ts';
import { isSynchronize, openDevice } from './support/devices.ts';

/** File contents through the SDK (F1–F4): attach, upload before sync, download after, read, persist. */

const MAX_FILE_BYTES = 8 * 1024;
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { files: { ...loadConfig({ NODE_ENV: 'test' }).files, maxBytes: MAX_FILE_BYTES } } });
});
afterAll(() => server.close());

let seed = 0;
/** Distinct content for every call, so no test finds another's content on the server. */
function photoBytes(length = 3000): Uint8Array<ArrayBuffer> {
  const s = ++seed;
  return Uint8Array.from({ length }, (_, i) => (i * 31 + s * 7 + (i >> 8)) % 256);
}

interface Call {
  method: string;
  path: string;
  signed: boolean;
  /** A `synchronize` mutation. */
  synchronize?: true;
}

/** A fetch that records every request, and lets a test answer requests to /files itself. */
function recordingFetch(answer?: (call: Call, forward: () => Promise<Response>) => Promise<Response>) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const call: Call = { method: init?.method ?? (input instanceof Request ? input.method : 'GET'), path: url.pathname, signed: url.searchParams.has('sig') };
    if (url.pathname === '/graphql' && (await isSynchronize(input, init))) call.synchronize = true;
    calls.push(call);
    const forward = () => server.fetch(input, init);
    return answer && call.path.startsWith('/files/') ? answer(call, forward) : forward();
  };
  const files = (method?: string) => calls.filter((c) => c.path.startsWith('/files/') && (method === undefined || c.method === method));
  return { fetch, calls, files, synchronizes: () => calls.filter((c) => c.synchronize) };
}

/** A work order for `db`'s user and a photo of it with content, committed. */
async function takePhoto(db: Database, user: string, content: Uint8Array<ArrayBuffer>, caption = 'Before') {
  const order = await db.entity('WorkOrder').create({ title: 'Inspect valve', customerId: customers.harbor, assigneeId: user }, { commit: true });
  const blob = new Blob([content], { type: 'image/jpeg' });
  const photo = await db.entity('Photo').create({ workOrderId: order.id, caption }, { content: blob, fileName: 'valve.jpg', commit: true });
  return { orderId: order.id, photo };
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

/** What the app sees of a device's photos and work orders, to compare before and after. */
function snapshot(db: Database) {
  return {
    photos: db.entity('Photo').list({ orderBy: 'id' }),
    orders: db.entity('WorkOrder').list({ orderBy: 'id' }),
    checkpoint: db.checkpoint,
  };
}

describe('attach, upload, download', () => {
  it('F1–F3: a photo taken on one device arrives byte for byte on another, with upload progress in bytes', async () => {
    const content = photoBytes(5000);
    const recorder = recordingFetch();
    const camera = await openDevice(server, 'alice', { fetch: recorder.fetch });
    const { photo } = await takePhoto(camera, 'alice', content);

    expect(photo).toMatchObject({ fileName: 'valve.jpg', contentType: 'image/jpeg', size: 5000, contentHash: await sha256(content), version: null });
    expect(camera.entity('Photo').hasContent(photo.id)).toBe(true);
    const progress: SyncProgress[] = [];
    camera.onSyncStatus((status) => status.progress && progress.push(status.progress));

    const report = await camera.synchronize();

    expect(report.uploaded.map((o) => o.status)).toEqual(['applied', 'applied']);
    expect(report.failures).toEqual([]);
    expect(report.contents.uploaded).toBe(1);
    // HEAD (the server lacks it), then PUT, both before the change set is sent.
    const order = recorder.calls.filter((c) => c.path.startsWith('/files/') || c.path === '/graphql').map((c) => c.method);
    expect(order.slice(order.indexOf('HEAD'))).toEqual(['HEAD', 'PUT', 'POST']);
    const uploads = progress.filter((p) => p.phase === 'upload-contents');
    expect(uploads.at(0)).toEqual({ phase: 'upload-contents', objects: { done: 0, total: 1 }, bytes: { done: 0, total: 5000 } });
    expect(uploads.at(-1)).toEqual({ phase: 'upload-contents', objects: { done: 1, total: 1 }, bytes: { done: 5000, total: 5000 } });
    expect(camera.entity('Photo').get(photo.id)).toMatchObject({ version: 1, $status: { pending: null } });

    const office = await openDevice(server, 'alice');
    const received = await office.synchronize();

    expect(received.contents.downloaded).toBeGreaterThanOrEqual(1);
    expect(received.warnings).toEqual([]);
    expect(office.entity('Photo').get(photo.id)).toMatchObject({ caption: 'Before', fileName: 'valve.jpg', size: 5000, version: 1 });
    expect(await office.entity('Photo').content(photo.id)).toEqual(content);
    const blob = await office.entity('Photo').contentBlob(photo.id);
    expect(blob?.type).toBe('image/jpeg');
    expect(new Uint8Array(await blob!.arrayBuffer())).toEqual(content);
  });

  it('F3: an unchanged photo is not downloaded again, and a caption edit uploads no content', async () => {
    const content = photoBytes();
    const camera = recordingFetch();
    const office = recordingFetch();
    const a = await openDevice(server, 'bob', { fetch: camera.fetch });
    const b = await openDevice(server, 'bob', { fetch: office.fetch });
    const { photo } = await takePhoto(a, 'bob', content);
    await a.synchronize();
    await b.synchronize();
    expect(office.files('GET').length).toBeGreaterThanOrEqual(1);
    expect(await b.entity('Photo').content(photo.id)).toEqual(content);
    const [cameraFiles, officeFiles] = [camera.files().length, office.files().length];

    await b.synchronize();
    await a.entity('Photo').update(photo.id, { caption: 'After' }, { commit: true });
    const edit = await a.synchronize();
    const refreshed = await b.synchronize();

    expect(edit.contents.uploaded).toBe(0);
    expect(camera.files()).toHaveLength(cameraFiles);
    expect(refreshed.files.map((f) => f.id)).toContain(photo.id);
    expect(office.files()).toHaveLength(officeFiles);
    expect(b.entity('Photo').get(photo.id)).toMatchObject({ caption: 'After', version: 2 });
    expect(await b.entity('Photo').content(photo.id)).toEqual(content);
  });

  it('F1: new content replaces the old one, which then leaves the device; content of non-file entities is a type and runtime error', async () => {
    const db = await openDevice(server, 'alice');
    const { photo, orderId } = await takePhoto(db, 'alice', photoBytes());
    await db.synchronize();
    const first = photo.contentHash;
    const next = photoBytes(1200);

    const attached = await db.entity('Photo').attach(photo.id, new File([next], 'valve-2.png', { type: 'image/png' }));

    expect(attached).toMatchObject({ fileName: 'valve-2.png', contentType: 'image/png', size: 1200, $status: { uncommittedAttributes: ['contentHash', 'size', 'fileName', 'contentType'] } });
    expect(await db.entity('Photo').content(photo.id)).toEqual(next);
    await db.entity('Photo').commit(photo.id);
    const report = await db.synchronize();

    expect(report.contents.uploaded).toBe(1);
    expect(await readObject(server, 'alice', 'photo', photo.id, 'contentHash fileName size')).toEqual({ contentHash: await sha256(next), fileName: 'valve-2.png', size: 1200 });
    expect(await db.content(first)).toBeNull();
    expect(await db.content(await sha256(next))).toEqual(next);
    // @ts-expect-error WorkOrder is not a file entity
    await expect(db.entity('WorkOrder').attach(orderId, next)).rejects.toBeInstanceOf(InvalidChangeError);
    await expect(db.entity('Photo').create({ caption: 'x' }, { content: next })).rejects.toThrow(/needs a fileName/);
    // @ts-expect-error only file entities take content
    await expect(db.entity('WorkOrder').create({ title: 'x' }, { content: next })).rejects.toBeInstanceOf(InvalidChangeError);
  });
});

describe('failed uploads', () => {
  it('F2: a failed upload is retried once; when the retry fails too, the sync stops with device and server unchanged', async () => {
    let failures = 2;
    const recorder = recordingFetch(async (call, forward) => {
      if (call.method === 'PUT' && failures-- > 0) throw new TypeError('fetch failed: connection reset');
      return forward();
    });
    const db = await openDevice(server, 'alice', { fetch: recorder.fetch });
    await db.synchronize();
    const { photo, orderId } = await takePhoto(db, 'alice', photoBytes());
    const before = snapshot(db);
    const syncsBefore = recorder.synchronizes().length;

    const error = await db.synchronize().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(FileUploadError);
    expect(error).toMatchObject({ kind: 'network', mayHaveApplied: false, contentHash: photo.contentHash, objects: [{ entity: 'Photo', id: photo.id }] });
    expect(recorder.files('PUT')).toHaveLength(2);
    expect(recorder.synchronizes()).toHaveLength(syncsBefore);
    expect(snapshot(db)).toEqual(before);
    expect(db.inFlightSyncId).toBeNull();
    expect(db.syncStatus.lastError).toBe(error);
    expect(await readObject(server, 'admin', 'photo', photo.id, 'id')).toBeNull();
    expect(await readObject(server, 'admin', 'workOrder', orderId, 'id')).toBeNull();
    const head = await server.fetch(`${TEST_ORIGIN}/files/${photo.contentHash}`, { method: 'HEAD', headers: { authorization: 'Bearer dev:alice' } });
    expect(head.status).toBe(404);

    // One more lost PUT: the retry succeeds and the sync completes.
    failures = 1;
    const report = await db.synchronize();
    expect(report.uploaded.map((o) => o.status)).toEqual(['applied', 'applied']);
    expect(await readObject(server, 'admin', 'photo', photo.id, 'contentHash')).toEqual({ contentHash: photo.contentHash });
  });

  it('F4: content over the server limit fails the sync as payload-too-large at once (no retry), changing nothing', async () => {
    const recorder = recordingFetch();
    const db = await openDevice(server, 'alice', { fetch: recorder.fetch });
    const { photo } = await takePhoto(db, 'alice', photoBytes(MAX_FILE_BYTES + 1));
    const before = snapshot(db);

    const error = await db.synchronize().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SyncRequestError);
    expect(error).toMatchObject({ name: 'FileUploadError', kind: 'payload-too-large', status: 413, objects: [{ entity: 'Photo', id: photo.id }] });
    expect(recorder.files('PUT')).toHaveLength(1);
    expect(recorder.synchronizes()).toHaveLength(0);
    expect(snapshot(db)).toEqual(before);
    expect(db.inFlightSyncId).toBeNull();
  });
});

describe('failed downloads', () => {
  async function serverPhoto(user: string, content = photoBytes()) {
    const db = await openDevice(server, user);
    const { photo } = await takePhoto(db, user, content);
    await db.synchronize();
    return { id: photo.id, hash: photo.contentHash, content };
  }

  it('F3: a blob missing on the server skips that object with a warning; a later sync fetches it', async () => {
    const photo = await serverPhoto('bob');
    let missing = true;
    const recorder = recordingFetch(async (call, forward) => {
      if (call.method === 'GET' && missing) return new Response('{"error":"NOT_FOUND"}', { status: 404 });
      return forward();
    });
    const db = await openDevice(server, 'bob', { fetch: recorder.fetch });

    const report = await db.synchronize();

    expect(report.warnings).toContainEqual({ entity: 'Photo', id: photo.id, contentHash: photo.hash, reason: 'missing', message: expect.stringContaining('HTTP 404') });
    expect(db.entity('Photo').get(photo.id)).toMatchObject({ contentHash: photo.hash, version: 1 });
    expect(db.entity('Photo').hasContent(photo.id)).toBe(false);
    expect(await db.entity('Photo').content(photo.id)).toBeNull();

    missing = false;
    const earlier = recorder.files('GET').length;
    const later = await db.synchronize();

    expect(later.warnings).toEqual([]);
    // Not in this incremental download: fetched by hash with the token.
    expect(recorder.files('GET').slice(earlier)).toContainEqual({ method: 'GET', path: `/files/${photo.hash}`, signed: false });
    expect(await db.entity('Photo').content(photo.id)).toEqual(photo.content);
  });

  it('F3: a broken blob (hash mismatch) skips that object with a warning', async () => {
    const photo = await serverPhoto('bob');
    const recorder = recordingFetch(async (call, forward) => {
      if (call.method !== 'GET') return forward();
      const response = await forward();
      const bytes = new Uint8Array(await response.arrayBuffer());
      bytes[0] = bytes[0]! ^ 0xff;
      return new Response(bytes, { status: response.status, headers: response.headers });
    });
    const db = await openDevice(server, 'bob', { fetch: recorder.fetch });

    const report = await db.synchronize();

    expect(report.warnings.filter((w) => w.id === photo.id)).toMatchObject([{ reason: 'hash-mismatch', contentHash: photo.hash }]);
    expect(db.entity('Photo').get(photo.id)).toBeDefined();
    expect(await db.entity('Photo').content(photo.id)).toBeNull();
    expect(await db.content(photo.hash)).toBeNull();
  });

  it('F3/R21: a connection error during the content download fails the sync and leaves the device unchanged', async () => {
    const db = await openDevice(server, 'bob', {
      fetch: recordingFetch(async (call, forward) => (call.method === 'GET' && broken ? Promise.reject(new TypeError('fetch failed')) : forward())).fetch,
    });
    let broken = false;
    await db.synchronize();
    const photo = await serverPhoto('bob');
    const before = snapshot(db);
    broken = true;

    const error = await db.synchronize().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SyncRequestError);
    expect(error).toMatchObject({ kind: 'network', mayHaveApplied: true });
    expect(snapshot(db)).toEqual(before);
    expect(db.entity('Photo').get(photo.id)).toBeUndefined();
    // As for a failed download page (R17): nothing applied. The sync uploaded nothing, so no upload stays in flight.
    expect(db.inFlightSyncId).toBeNull();

    broken = false;
    const report = await db.synchronize();
    expect(report.warnings).toEqual([]);
    expect(await db.entity('Photo').content(photo.id)).toEqual(photo.content);
  });
});

it('F1/F3: data and contents survive a restart with the IndexedDB adapter', async () => {
  const indexedDB = new IDBFactory();
  const open = (name: string) => openDevice(server, 'alice', { storage: createIndexedDbStorage({ name, indexedDB }) });
  const content = photoBytes(4000);
  const camera = await open('camera:alice');
  const { photo } = await takePhoto(camera, 'alice', content);
  await camera.close();

  // Attached offline, then the app restarts: the content is still there and goes with the sync.
  const cameraAgain = await open('camera:alice');
  expect(cameraAgain.entity('Photo').get(photo.id)?.$status.pending).toBe('CREATE');
  expect(await cameraAgain.entity('Photo').content(photo.id)).toEqual(content);
  const uploaded = await cameraAgain.synchronize();
  expect(uploaded.contents.uploaded).toBe(1);
  await cameraAgain.close();

  const office = await open('office:alice');
  await office.synchronize();
  await office.close();
  const officeAgain = await open('office:alice');
  expect(officeAgain.entity('Photo').get(photo.id)).toMatchObject({ version: 1, size: 4000 });
  expect(await officeAgain.entity('Photo').content(photo.id)).toEqual(content);
  const again = await officeAgain.synchronize();
  expect(again.contents.downloaded).toBe(0);
  await officeAgain.close();
});

it('storage: a memory adapter handed to a new database keeps contents (an app restart)', async () => {
  const storage = createMemoryStorage();
  const content = photoBytes(100);
  const first = await openDevice(server, 'alice', { storage });
  const { photo } = await takePhoto(first, 'alice', content);
  await first.close();
  const second = await openDevice(server, 'alice', { storage });
  expect(await second.entity('Photo').content(photo.id)).toEqual(content);
});
