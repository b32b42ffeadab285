import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createServerAdapter } from '@whatwg-node/server';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customers } from '../support/demo.ts';
import { graphql } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * The SDK in real Chromium on real IndexedDB, against the real server over HTTP: a first sync,
 * an offline edit, a page reload (the app restarts), and the edit still there and uploaded.
 * Needs Debian's chromium (`.ci/run` installs it); without it the test is skipped with a warning
 * outside CI and fails in CI.
 */

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
if (!available) console.warn(`browser test skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);

let server: TestServer;
let http: Server;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  if (!available) return;
  server = await startTestServer();
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./page/app.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    write: false,
  });
  const script = bundle.outputFiles[0]!.text;
  const page = '<!doctype html><html><head><meta charset="utf-8"><title>SDK test</title></head><body><script type="module" src="/app.js"></script></body></html>';
  // One origin serves the page, its script and (proxied in-process) the sync server.
  http = createServer(
    createServerAdapter(async (request: Request) => {
      const path = new URL(request.url).pathname;
      if (path === '/') return new Response(page, { headers: { 'content-type': 'text/html' } });
      if (path === '/app.js') return new Response(script, { headers: { 'content-type': 'text/javascript' } });
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
      return server.fetch(request.url, { method: request.method, headers: request.headers, body });
    }),
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  if (!available) return;
  await browser?.close();
  http?.close();
  await server?.close();
});

describe.skipIf(!available)('the SDK in Chromium', () => {
  it('keeps data, pending changes and the checkpoint in IndexedDB across a reload, then syncs them', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(origin);
    await page.waitForFunction(() => 'app' in window);

    await page.evaluate(() => window.app.open('field-service:alice', 'alice'));
    const first = await page.evaluate(() => window.app.synchronize());
    expect(first.reset).toBe(true);
    expect((await page.evaluate(() => window.app.workOrders())).length).toBe(3);

    const id = await page.evaluate((customerId) => window.app.createWorkOrder('Made in Chromium', customerId), customers.harbor);
    await page.reload();
    await page.waitForFunction(() => 'app' in window);
    const reopened = await page.evaluate(() => window.app.open('field-service:alice', 'alice'));
    expect(reopened.checkpoint).toBeTruthy();
    expect(await page.evaluate(() => window.app.pending())).toEqual([{ entity: 'WorkOrder', id }]);
    expect((await page.evaluate(() => window.app.workOrders())).map((o) => o.title)).toContain('Made in Chromium');

    const second = await page.evaluate(() => window.app.synchronize());
    expect(second).toMatchObject({ reset: false, uploaded: ['applied'] });
    expect(await page.evaluate(() => window.app.pending())).toEqual([]);
    const onServer = await graphql<{ workOrder: { title: string } | null }>(server, 'alice', `{ workOrder(id: "${id}") { title } }`);
    expect(onServer.data!.workOrder).toEqual({ title: 'Made in Chromium' });
    expect(errors).toEqual([]);
    await page.close();
  });
});
