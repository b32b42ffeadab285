import { sql } from 'drizzle-orm';
import type { SyncLimits } from '../config.ts';
import { queryRows } from '../db/query-rows.ts';
import type { Db } from '../registry/define-entity.ts';
import type { Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { applyChanges } from './apply.ts';
import { isTransientConflict } from './db-errors.ts';
import { decodeCursor } from './checkpoint.ts';
import { computeDownload, continueDownload, type PageSizes } from './download.ts';
import { consoleHookLogger, type HookErrorLogger } from './hooks.ts';
import type { SyncInput, SyncResultData, UploadOutcome } from './types.ts';
import { claimUpload, recordUpload } from './uploads.ts';
import { validateSyncInput } from './validate.ts';
import type { BlobStore } from '../files/blob-store.ts';
import { fileUrlsFor, type FileUrlSigner } from './file-downloads.ts';
import type { PagePrefetch } from './page-prefetch.ts';

/**
 * `synchronize`: the sync pipeline, validate → apply (one transaction, exactly once) → download.
 * Knows nothing of GraphQL or HTTP, so it is tested directly against a database.
 */

export interface SyncCore {
  db: Db;
  registry: Registry;
  limits: SyncLimits;
  /** File contents (F1); changes to file objects must reference stored content (F2). */
  blobs: BlobStore;
  /** Signs the download URLs of file contents (F3). */
  fileUrls: FileUrlSigner;
  log?: HookErrorLogger;
  /** Told how many rows each download query read: how tests prove memory stays bounded by the page size. */
  onRowsRead?: (count: number) => void;
  /** Reads the next page of a paged download while the device handles the current one. */
  prefetch?: PagePrefetch;
}

const MAX_ATTEMPTS = 4;

/** The transaction's time, and its id: the `changed_tx` of every row it writes. */
async function transactionStart(db: Db): Promise<{ now: Date; id: string }> {
  const [row] = await queryRows<{ now: Date | string; id: string }>(db, sql`select now() as now, pg_current_xact_id()::text as id`);
  return { now: new Date(row!.now), id: row!.id };
}

/** What stage 2 did: the outcome, whether it was a replay (R4), and the transaction that applied it. */
interface Uploaded {
  outcome: UploadOutcome;
  replayed: boolean;
  tx: string | null;
}

/** Stage 2 with R4: applies the change set once per `(clientId, syncId)`. */
async function upload(core: SyncCore, viewer: Viewer, input: SyncInput): Promise<Uploaded> {
  if (input.changes.length === 0) {
    return { outcome: { outcomes: [], failures: [], affected: [] }, replayed: false, tx: null };
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await core.db.transaction(async (tx): Promise<Uploaded> => {
        const { now, id } = await transactionStart(tx);
        const previous = await claimUpload(tx, viewer, input.clientId, input.syncId, now);
        if (previous) return { outcome: previous, replayed: true, tx: null };
        const outcome = await applyChanges({
          db: tx, registry: core.registry, blobs: core.blobs, viewer, input, now, log: core.log ?? consoleHookLogger,
          record: (db, applied) => recordUpload(db, input.clientId, input.syncId, applied),
        });
        return { outcome, replayed: false, tx: id };
      });
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isTransientConflict(error)) throw error;
    }
  }
}

/** Runs one synchronization for the viewer (DESIGN §5, R1–R16). */
export async function synchronize(core: SyncCore, viewer: Viewer, input: SyncInput): Promise<SyncResultData> {
  validateSyncInput(core.registry, core.limits, input);
  const { outcome, replayed, tx } = await upload(core, viewer, input);
  const download = await computeDownload({
    db: core.db,
    registry: core.registry,
    viewer,
    affected: outcome.affected,
    selection: input.selection ?? null,
    checkpoint: input.checkpoint ?? null,
    tombstoneDays: core.limits.tombstoneDays,
    pageSizes: pageSizes(core.limits),
    syncId: input.syncId,
    uploadTx: tx,
    onRowsRead: core.onRowsRead,
  });
  readAhead(core, viewer, download);
  return {
    syncId: input.syncId,
    ...download,
    files: fileUrlsFor(core, viewer, download.upserted),
    failures: outcome.failures,
    outcomes: outcome.outcomes,
    replayed,
  };
}

/** The next page of a full sync's download (`SyncResult.nextPage`), for the same viewer. */
export async function synchronizePage(core: SyncCore, viewer: Viewer, cursor: string): Promise<SyncResultData> {
  const page = (await core.prefetch?.take(viewer, cursor)) ?? (await readPage(core, viewer, cursor));
  readAhead(core, viewer, page);
  const syncId = decodeCursor(cursor)!.syncId;
  return { syncId, ...page, files: fileUrlsFor(core, viewer, page.upserted), failures: [], outcomes: [], replayed: false };
}

function readPage(core: SyncCore, viewer: Viewer, cursor: string) {
  return continueDownload(core.db, core.registry, viewer, cursor, pageSizes(core.limits), core.onRowsRead);
}

/** Starts reading the page after this one, which the device will ask for next. */
function readAhead(core: SyncCore, viewer: Viewer, page: { nextPage: string | null }): void {
  const next = page.nextPage;
  if (core.prefetch && next) core.prefetch.start(viewer, next, () => readPage(core, viewer, next));
}

function pageSizes(limits: SyncLimits): PageSizes {
  return { incremental: limits.downloadPageSize, reset: limits.downloadResetPageSize };
}
