import { applySyncResult, type ObjectOutcome, type RemovedObject } from './apply-result.ts';
import { planChangeSet, type InFlightSync, type SyncMode, type SyncRequest } from './change-set.ts';
import { downloadContents, type ContentWarning } from './content-download.ts';
import type { ContentTransport } from './content-transport.ts';
import { uploadContents } from './content-upload.ts';
import { stagePage, type FileUrlData, type StagedDownload } from './download-stage.ts';
import type { ObjectKey } from './entity-types.ts';
import type { Clock, IdGenerator } from './environment.ts';
import { SimultaneousSynchronizationError, SyncRequestError, SyncSdkError } from './errors.ts';
import type { DownloadMode, ObjectRef } from './generated/graphql.ts';
import { contentsOfUploadsAndFailures } from './file-content.ts';
import type { FailureRecord, LocalStore, StoreChanges } from './local-store.ts';
import { writeCount } from './object-writes.ts';
import type { SyncStatusEmitter } from './sync-status.ts';
import type { SyncResultData, Transport } from './transport.ts';

/**
 * Runs `synchronize()`: one sync at a time (R20), an unanswered upload resent identically before
 * anything else (R21), new file contents uploaded before the change set that refers to them (F2),
 * the change set persisted before it is sent, and the result, all download pages together, applied
 * to the device in one step (R17) once the file contents it refers to are stored (F3).
 */

/** What one `synchronize()` call did (R23). */
export interface SyncReport {
  mode: SyncMode;
  /** The syncIds sent, in order; two when an unanswered upload was resent first. */
  syncIds: string[];
  /** An upload whose response was lost was resent with its original syncId. */
  retried: boolean;
  /** The server had already applied a resent upload and answered with its recorded outcome. */
  replayed: boolean;
  /** The download replaced the device's data of the downloaded entities. */
  reset: boolean;
  /** Per uploaded change, what happened. */
  uploaded: ObjectOutcome[];
  /** Objects removed from the device, and why. */
  removed: RemovedObject[];
  /** Objects received from the server. */
  downloaded: number;
  /** Failure records received (also kept in `db.failures`). */
  failures: FailureRecord[];
  /** The file URLs the server offered (F3). */
  files: FileUrlData[];
  /** File contents sent to the server (PUT) and fetched from it. */
  contents: { uploaded: number; downloaded: number };
  /** File objects stored without their content (missing or broken on the server), per object. */
  warnings: ContentWarning[];
  /** Selected objects not synchronized because they were never committed (R2). */
  skipped: ObjectKey[];
}

function emptyReport(mode: SyncMode): SyncReport {
  return { mode, syncIds: [], retried: false, replayed: false, reset: false, uploaded: [], removed: [], downloaded: 0, failures: [], files: [], contents: { uploaded: 0, downloaded: 0 }, warnings: [], skipped: [] };
}

function sameRefs(a: readonly ObjectRef[] | null, b: readonly ObjectRef[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((ref, i) => ref.entity === b[i]?.entity && ref.id === b[i]?.id);
}

export interface SynchronizerDeps {
  store: LocalStore;
  transport: Transport;
  contents: ContentTransport;
  status: SyncStatusEmitter;
  clock: Clock;
  generateId: IdGenerator;
}

export class Synchronizer {
  private running = false;
  private modes: Record<string, DownloadMode> | null = null;
  private fileEntities: ReadonlySet<string> = new Set();

  constructor(private readonly deps: SynchronizerDeps) {}

  /** Starts a sync; rejects at once with the R20 error while another one runs. */
  synchronize(request: SyncRequest): Promise<SyncReport> {
    if (this.running) return Promise.reject(new SimultaneousSynchronizationError());
    this.running = true;
    const { status, clock } = this.deps;
    status.update({ running: true, progress: null });
    return this.run(request).then(
      (report) => {
        this.running = false;
        status.update({ running: false, progress: null, lastCompletedAt: clock.now().toISOString(), lastError: null });
        return report;
      },
      (error: unknown) => {
        this.running = false;
        const lastError = error instanceof SyncSdkError ? error : new SyncSdkError(String(error), { cause: error });
        status.update({ running: false, progress: null, lastError });
        throw error;
      },
    );
  }

  private async run(request: SyncRequest): Promise<SyncReport> {
    const { store } = this.deps;
    const modes = await this.downloadModes();
    const report = emptyReport(request.mode);
    const previous = store.meta('inflight');
    if (previous) {
      report.retried = true;
      await this.round(previous, report, false);
    }
    // Planned and persisted in one transaction (R21: before sending), so that a local edit can
    // never slip between what is planned and what is recorded as in flight.
    const inflight = await store.transact('sync', () => {
      const plan = planChangeSet(store, request, modes);
      report.skipped = plan.skipped;
      const nothingToDo =
        plan.changes.length === 0 &&
        (request.mode === 'unsynchronized' ||
          (request.mode === 'selected' && plan.selection?.length === 0) ||
          (previous !== undefined && previous.mode === request.mode && sameRefs(previous.selection, plan.selection)));
      if (nothingToDo) return { changes: {}, result: null };
      const syncId = this.deps.generateId();
      const next: InFlightSync = {
        syncId,
        mode: request.mode,
        input: { clientId: store.meta('clientId') ?? '', syncId, checkpoint: store.meta('checkpoint') ?? null, changes: plan.changes },
        selection: plan.selection,
        startedAt: this.deps.clock.now().toISOString(),
      };
      // An empty change set has nothing to resend (R21), so it is not recorded: a lost answer only
      // means the next sync downloads again. That saves a storage write per idle or selective sync.
      return { changes: plan.changes.length > 0 ? { meta: { inflight: next } } : {}, result: next };
    });
    if (inflight) await this.round(inflight, report, true);
    return report;
  }

  /**
   * The download modes, asked once per session (they only change with a server upgrade) and
   * persisted, so that the local API knows them offline (ONLINE entities are not stored).
   */
  private async downloadModes(): Promise<Record<string, DownloadMode>> {
    if (this.modes) return this.modes;
    const infos = await this.deps.transport.syncEntities();
    const modes = Object.fromEntries(infos.map((info) => [info.entity, info.downloadMode]));
    this.fileEntities = new Set(infos.filter((info) => info.isFile).map((info) => info.entity));
    await this.deps.store.transact('sync', () => ({ changes: { meta: { modes } }, result: undefined }));
    this.modes = modes;
    return modes;
  }

  /**
   * Uploads the new file contents of one persisted change set, sends it, downloads every page of
   * its result and the file contents it lists, and applies them at once. `fresh`: this change set
   * was planned by this call and never sent.
   */
  private async round(inflight: InFlightSync, report: SyncReport, fresh: boolean): Promise<void> {
    const { store, status, contents } = this.deps;
    const modes = this.modes ?? {};
    report.contents.uploaded += await this.uploadContentsOf(inflight, fresh);
    const progress = new DownloadProgress(status);
    const first = await this.send(inflight, progress);
    const download = await this.download(first, progress);
    // Fails like a download page: nothing applied, the upload stays in flight for the next sync.
    const fetched = await downloadContents(download, { store, contents, status, modes, fileEntities: this.fileEntities });
    const downloaded = writeCount(download.upserted);
    const total = downloaded + download.deleted.size;
    status.progress('apply', { done: 0, total }, { done: 0, total: null });
    const applied = await store.transact('sync', () => {
      const result = applySyncResult({ objects: store, inflight, download, modes });
      return { changes: withContentCleanup(store, result.changes), result };
    });
    status.progress('apply', { done: total, total }, { done: 0, total: null });
    report.syncIds.push(inflight.syncId);
    report.replayed ||= download.replayed;
    report.reset ||= download.reset && inflight.mode === 'full';
    report.uploaded.push(...applied.outcomes);
    report.removed.push(...applied.removed);
    report.downloaded += downloaded;
    report.failures.push(...download.failures);
    report.files.push(...download.files);
    report.contents.downloaded += fetched.downloaded;
    report.warnings.push(...fetched.warnings);
  }

  /**
   * F2: uploads the contents the change set needs before it is sent. When that fails, a change
   * set never sent is dropped (its changes stay pending), so device and server are unchanged.
   */
  private async uploadContentsOf(inflight: InFlightSync, fresh: boolean): Promise<number> {
    const { store, contents, status } = this.deps;
    try {
      return await uploadContents(inflight, { store, contents, status });
    } catch (error) {
      if (fresh) await store.transact('sync', () => ({ changes: { meta: { inflight: null } }, result: undefined }));
      throw error;
    }
  }

  /** The `synchronize` request: the upload, and the first page of the download. */
  private async send(inflight: InFlightSync, progress: DownloadProgress): Promise<SyncResultData> {
    const { store, transport, status } = this.deps;
    const objectCount = inflight.input.changes.length;
    let uploadBytes = 0;
    let uploaded = false;
    status.progress('upload', { done: 0, total: objectCount }, { done: 0, total: null });
    // The upload is done when the first response bytes arrive (fetch reports no upload progress).
    const finishUpload = () => {
      if (uploaded) return;
      uploaded = true;
      status.progress('upload', { done: objectCount, total: objectCount }, { done: uploadBytes, total: uploadBytes });
    };
    try {
      const page = await transport.synchronize(
        { input: inflight.input, selection: inflight.selection },
        {
          sending: (bytes) => {
            uploadBytes = bytes;
            status.progress('upload', { done: 0, total: objectCount }, { done: 0, total: bytes });
          },
          receiving: (bytes, total) => {
            finishUpload();
            progress.receiving(bytes, total);
          },
        },
      );
      finishUpload();
      return page;
    } catch (error) {
      if (error instanceof SyncRequestError && !error.mayHaveApplied) {
        // The server refused the request before applying it: rebuild it from the pending changes next time.
        await store.transact('sync', () => ({ changes: { meta: { inflight: null } }, result: undefined }));
      }
      throw error;
    }
  }

  /**
   * R17: stages the first page and fetches the further ones into the stage. The next page is
   * asked for as soon as a page's cursor is known, before that page is staged, so that the server
   * prepares it while the device stages (one request at a time, in order). When one fails, nothing
   * is applied and the upload stays in flight whatever the error: the server did apply it, and the
   * next sync resends it, gets the recorded outcome and a fresh download from the start.
   */
  private async download(first: SyncResultData, progress: DownloadProgress): Promise<StagedDownload> {
    let stage: StagedDownload | null = null;
    let page = first;
    for (;;) {
      progress.received();
      const cursor = page.hasMore ? page.nextPage : null;
      if (page.hasMore && !cursor) throw new SyncRequestError('protocol', 'The server announced more download pages (hasMore) without a nextPage cursor');
      const next = cursor ? this.fetchPage(cursor, progress) : null;
      try {
        stage = stagePage(stage, page);
        progress.staged(stage);
      } catch (error) {
        // No request outlives the sync that made it.
        await next?.catch(() => undefined);
        throw error;
      }
      if (next === null) return stage;
      page = await next;
    }
  }

  private fetchPage(cursor: string, progress: DownloadProgress): Promise<SyncResultData> {
    return this.deps.transport.downloadPage(cursor, {
      sending: () => undefined,
      receiving: (bytes, total) => progress.receiving(bytes, total),
    });
  }
}

/**
 * Adds to a sync's writes the removal of stored file contents that nothing on the device refers
 * to any more after them (deleted objects, replaced contents, resolved failures), and forgets
 * them in the list of contents the server is known to have. Looks at what the sync writes, and
 * at uploads and failure records, not at every object.
 */
function withContentCleanup(store: LocalStore, changes: StoreChanges): StoreChanges {
  const unreferenced = store.contentsFreedBy(changes.objects ?? new Map());
  if (unreferenced.size === 0) return changes;
  const failures = new Map(store.allFailures().map((failure) => [failure.id, failure]));
  for (const id of changes.removeFailures ?? []) failures.delete(id);
  for (const failure of changes.putFailures ?? []) failures.set(failure.id, failure);
  const inflight = changes.meta?.inflight === null ? undefined : (changes.meta?.inflight ?? store.meta('inflight'));
  for (const hash of contentsOfUploadsAndFailures(inflight, failures.values())) unreferenced.delete(hash);
  if (unreferenced.size === 0) return changes;
  const uploaded = (store.meta('uploadedContents') ?? []).filter((hash) => !unreferenced.has(hash));
  return { ...changes, removeContents: [...unreferenced], meta: { ...changes.meta, uploadedContents: uploaded } };
}

/**
 * Download progress over all pages (R23): objects staged and bytes received so far. Totals are
 * known once the last page is in; before, only a single page's Content-Length is.
 */
class DownloadProgress {
  /** Bytes of the pages received in full. */
  private bytesBefore = 0;
  private bytes = 0;
  private objects = 0;
  private pages = 0;

  constructor(private readonly status: SyncStatusEmitter) {}

  /** Bytes of the page being received. */
  receiving(bytes: number, pageTotal: number | null): void {
    this.bytes = this.bytesBefore + bytes;
    const total = this.pages === 0 ? pageTotal : null;
    this.status.progress('download', { done: this.objects, total: null }, { done: this.bytes, total });
  }

  /** A page is in: the bytes received from now on are the next page's. */
  received(): void {
    this.pages++;
    this.bytesBefore = this.bytes;
  }

  /** A page is staged. */
  staged(stage: StagedDownload): void {
    this.objects = stage.stagedObjects;
    const done = (amount: number) => ({ done: amount, total: stage.complete ? amount : null });
    this.status.progress('download', done(this.objects), done(this.bytes));
  }
}
