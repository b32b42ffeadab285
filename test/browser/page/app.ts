import { createIndexedDbStorage, openSyncDatabase, type Database } from '../../../client-sdk/src/index.ts';

/**
 * The page the browser test drives: the SDK on real IndexedDB in Chromium, exposed on `window`
 * so the test can act as an app would (open, edit offline, reload, synchronize).
 */

let db: Database | undefined;

function opened(): Database {
  if (!db) throw new Error('open() first');
  return db;
}

const app = {
  async open(name: string, user: string) {
    db = await openSyncDatabase({
      url: new URL('/graphql', location.origin).toString(),
      token: `dev:${user}`,
      storage: createIndexedDbStorage({ name }),
    });
    return { checkpoint: db.checkpoint };
  },
  async synchronize() {
    const report = await opened().synchronize();
    return { reset: report.reset, downloaded: report.downloaded, uploaded: report.uploaded.map((u) => u.status) };
  },
  async createWorkOrder(title: string, customerId: string) {
    const order = await opened().entity('WorkOrder').create({ title, customerId, assigneeId: 'alice' }, { commit: true });
    return order.id;
  },
  workOrders() {
    return opened()
      .entity('WorkOrder')
      .list({ orderBy: 'title' })
      .map((o) => ({ id: o.id, title: o.title, version: o.version }));
  },
  pending() {
    return opened().unsynchronizedObjects();
  },
};

declare global {
  interface Window {
    app: typeof app;
  }
}
window.app = app;
