import type { SyncSdkError } from './errors.ts';

/**
 * The observable state of synchronization (R23 progress): whether a sync runs, its phase, and
 * objects and bytes done out of total, so a UI can show a progress bar.
 */

/**
 * `upload-contents`: uploading new file contents (before the change set); `upload`: sending the
 * change set; `download`: receiving the result; `download-contents`: fetching the file contents
 * it lists; `apply`: writing it locally.
 */
export type SyncPhase = 'upload-contents' | 'upload' | 'download' | 'download-contents' | 'apply';

export interface Amount {
  done: number;
  /** null when not known yet (e.g. a response without Content-Length). */
  total: number | null;
}

export interface SyncProgress {
  phase: SyncPhase;
  objects: Amount;
  bytes: Amount;
}

export interface SyncStatus {
  running: boolean;
  /** The current phase while running; null when idle. */
  progress: SyncProgress | null;
  /** When the last successful sync finished (ISO-8601). */
  lastCompletedAt: string | null;
  /** The error of the last sync, if it failed; cleared when a sync succeeds. */
  lastError: SyncSdkError | null;
}

export type SyncStatusListener = (status: SyncStatus) => void;

/** Holds the status and notifies subscribers of every change. */
export class SyncStatusEmitter {
  private status: SyncStatus = { running: false, progress: null, lastCompletedAt: null, lastError: null };
  private readonly listeners = new Set<SyncStatusListener>();

  get current(): SyncStatus {
    return this.status;
  }

  update(change: Partial<SyncStatus>): void {
    this.status = { ...this.status, ...change };
    for (const listener of [...this.listeners]) {
      try {
        listener(this.status);
      } catch (error) {
        console.error('offline-sync: a sync status listener threw', error);
      }
    }
  }

  progress(phase: SyncPhase, objects: Amount, bytes: Amount): void {
    this.update({ progress: { phase, objects, bytes } });
  }

  subscribe(listener: SyncStatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
