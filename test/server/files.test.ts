import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config.ts';
import { change, graphql, sync, upsertedOf, uuid } from '../support/graphql.ts';
import { createWorkOrder, uploadContent } from '../support/demo.ts';
import { startTestServer, TEST_ORIGIN, type TestServer } from '../support/server.ts';

/** File contents (F1–F4) through /files and SyncResult.files, on the PostgreSQL and directory stores. */

const blobDir = mkdtempSync(join(tmpdir(), 'sync-blobs-'));
let clock = Date.now();
const files = { ...loadConfig({ NODE_ENV: 'test' }).files, maxBytes: 64 * 1024, urlTtlSeconds: 600 };
let server: TestServer;
let directoryServer: TestServer;
beforeAll(async () => {
  [server, directoryServer] = await Promise.all([
    startTestServer({ config: { files }, now: () => clock }),
    startTestServer({ config: { files: { ...files, blobDir } }, now: () => clock }),
  ]);
});
afterAll(async () => {
  await Promise.all([server.close(), directoryServer.close()]);
  rmSync(blobDir, { recursive: true, force: true });
});

const bytes = (n: number, seed = 7): Uint8Array<ArrayBuffer> => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256);
const auth = (user: string) => ({ authorization: `Bearer dev:${user}` });

async function photoOf(s: TestServer, user: string, content: Uint8Array<ArrayBuffer>) {
  const wo = createWorkOrder(user);
  const upload = await uploadContent(s, user, content);
  expect(upload.status).toBe(201);
  const id = uuid();
  const values = { workOrderId: wo.id, fileName: 'site.jpg', contentType: 'image/jpeg', size: content.byteLength, contentHash: upload.hash, caption: 'Before' };
  const result = await sync(s, user, { changes: [wo.change, change('Photo', { id, op: 'CREATE', values })] });
  expect(result.failures).toEqual([]);
  return { id, hash: upload.hash, workOrderId: wo.id, result };
}

for (const [store, get] of [['PostgreSQL', () => server], ['directory', () => directoryServer]] as const) {
  describe(`files in the ${store} blob store`, () => {
    it('F2/F3: an uploaded photo syncs with a signed URL that returns its content byte for byte', async () => {
      const s = get();
      const content = bytes(50_000);
      const photo = await photoOf(s, 'alice', content);
      const full = await sync(s, 'alice');
      const url = full.files.find((f) => (f as { id: string }).id === photo.id) as { url: string; contentHash: string; size: number; expiresAt: string };
      expect(url).toMatchObject({ contentHash: photo.hash, size: content.byteLength });
      expect(url.url.startsWith(`${TEST_ORIGIN}/files/${photo.hash}?`)).toBe(true);
      expect(Date.parse(url.expiresAt) - clock).toBeGreaterThan(500_000);
      const response = await s.fetch(url.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(content);
    });

    it('F2: PUT is idempotent and HEAD tells whether the server has the content', async () => {
      const s = get();
      const content = bytes(100, 3);
      const first = await uploadContent(s, 'bob', content);
      const again = await uploadContent(s, 'bob', content);
      expect([first.status, again.status]).toEqual([201, 200]);
      const head = await s.fetch(`${TEST_ORIGIN}/files/${first.hash}`, { method: 'HEAD', headers: auth('bob') });
      expect(head.status).toBe(200);
      const absent = await s.fetch(`${TEST_ORIGIN}/files/${'0'.repeat(64)}`, { method: 'HEAD', headers: auth('bob') });
      expect(absent.status).toBe(404);
    });

    it('F2: a wrong hash is refused and nothing is stored', async () => {
      const s = get();
      const claimed = 'f'.repeat(64);
      const upload = await uploadContent(s, 'alice', 'not what the hash says', claimed);
      expect(upload.status).toBe(400);
      expect(upload.body).toContain('HASH_MISMATCH');
      expect((await s.fetch(`${TEST_ORIGIN}/files/${claimed}`, { method: 'HEAD', headers: auth('alice') })).status).toBe(404);
    });

    it('F4: an oversized upload gets 413 and nothing is stored', async () => {
      const s = get();
      const upload = await uploadContent(s, 'alice', bytes(64 * 1024 + 1));
      expect(upload.status).toBe(413);
      expect((await s.fetch(`${TEST_ORIGIN}/files/${upload.hash}`, { method: 'HEAD', headers: auth('alice') })).status).toBe(404);
    });
  });
}

describe('file access', () => {
  it('F2: a change referencing content the server lacks is a FILE_MISSING failure', async () => {
    const wo = createWorkOrder('alice');
    const id = uuid();
    const missing = 'a'.repeat(64);
    const result = await sync(server, 'alice', {
      changes: [wo.change, change('Photo', { id, op: 'CREATE', values: { workOrderId: wo.id, fileName: 'x.jpg', contentType: 'image/jpeg', size: 1, contentHash: missing } })],
    });
    expect(result.failures[0]).toMatchObject({ reason: 'FILE_MISSING', objectId: id });
    expect(result.failures[0]!.message).toContain(missing);
  });

  it('F1: a size that does not match the stored content is a VALIDATION failure', async () => {
    const wo = createWorkOrder('alice');
    const upload = await uploadContent(server, 'alice', bytes(40, 17));
    const id = uuid();
    const result = await sync(server, 'alice', {
      changes: [wo.change, change('Photo', { id, op: 'CREATE', values: { workOrderId: wo.id, fileName: 'x.jpg', contentType: 'image/jpeg', size: 41, contentHash: upload.hash } })],
    });
    expect(result.failures[0]).toMatchObject({ reason: 'VALIDATION', objectId: id });
    expect(result.failures[0]!.message).toContain('has 40 bytes');
  });

  it('F3: editing only the caption needs no content and gets a URL for the unchanged content', async () => {
    const photo = await photoOf(server, 'alice', bytes(10, 9));
    const result = await sync(server, 'alice', {
      selection: [{ entity: 'Photo', id: photo.id }],
      changes: [change('Photo', { id: photo.id, op: 'UPDATE', baseVersion: 1, values: { caption: 'After' }, base: { caption: 'Before' } })],
    });
    expect(result.failures).toEqual([]);
    expect(upsertedOf(result, 'Photo', photo.id)).toMatchObject({ caption: 'After', contentHash: photo.hash });
    expect(result.files).toHaveLength(1);
  });

  it("F4: bob cannot fetch alice's photo with his token, nor with her URL once it expired or was tampered with", async () => {
    const photo = await photoOf(server, 'alice', bytes(20, 11));
    const url = (await sync(server, 'alice')).files.find((f) => (f as { id: string }).id === photo.id) as { url: string };
    const withToken = await server.fetch(`${TEST_ORIGIN}/files/${photo.hash}`, { headers: auth('bob') });
    expect(withToken.status).toBe(404);
    const aliceToken = await server.fetch(`${TEST_ORIGIN}/files/${photo.hash}`, { headers: auth('alice') });
    expect(aliceToken.status).toBe(200);
    const tampered = url.url.replace('viewer=alice', 'viewer=bob');
    expect((await server.fetch(tampered)).status).toBe(403);
    const noAuth = await server.fetch(`${TEST_ORIGIN}/files/${photo.hash}`);
    expect(noAuth.status).toBe(401);
    clock += 601_000;
    try {
      const expired = await server.fetch(url.url);
      expect(expired.status).toBe(403);
      expect(await expired.text()).toContain('expired');
    } finally {
      clock -= 601_000;
    }
  });

  it('F4: a URL stops working when its viewer loses access to the object', async () => {
    const photo = await photoOf(server, 'alice', bytes(30, 13));
    const url = (await sync(server, 'alice')).files.find((f) => (f as { id: string }).id === photo.id) as { url: string };
    await sync(server, 'admin', {
      changes: [change('WorkOrder', { id: photo.workOrderId, op: 'UPDATE', baseVersion: 1, values: { assigneeId: 'bob' }, base: { assigneeId: 'alice' } })],
    });
    expect((await server.fetch(url.url)).status).toBe(403);
  });

  it('F1: Photo is a file entity: SyncEntityInfo says so, and an unauthenticated upload is refused', async () => {
    const info = await graphql<{ syncEntities: { entity: string; isFile: boolean }[] }>(server, 'alice', '{ syncEntities { entity isFile } }');
    expect(info.data!.syncEntities.filter((e) => e.isFile).map((e) => e.entity)).toEqual(['Photo']);
    const anonymous = await server.fetch(`${TEST_ORIGIN}/files/${'b'.repeat(64)}`, { method: 'PUT', body: 'x' });
    expect(anonymous.status).toBe(401);
    const badPath = await server.fetch(`${TEST_ORIGIN}/files/not-a-hash`, { method: 'PUT', headers: auth('alice'), body: 'x' });
    expect(badPath.status).toBe(400);
  });
});
