import type { AttributeValues, PendingOp } from './entity-types.ts';
import type { SyncEntity } from './generated/graphql.ts';
import type { FailureRecord, LocalStore } from './local-store.ts';
import type { Transport } from './transport.ts';

/**
 * The failure records the device received (R13): what failed, why, and the content that was sent,
 * kept on the device (and across restarts) until the app dismisses or resolves them.
 */

/** The content of a failure record: the change exactly as the device sent it. */
export interface FailureContent {
  op: PendingOp;
  baseVersion: number | null;
  values: AttributeValues | null;
  base: AttributeValues | null;
}

/** Reads a failure record's `content`; null when it is not in the documented shape. */
export function failureContent(record: FailureRecord): FailureContent | null {
  const content = record.content;
  if (typeof content !== 'object' || content === null || !('op' in content)) return null;
  const { op, baseVersion, values, base } = content as Record<string, unknown>;
  if (op !== 'CREATE' && op !== 'UPDATE' && op !== 'DELETE') return null;
  const record_ = (value: unknown) => (typeof value === 'object' && value !== null ? (value as AttributeValues) : null);
  return { op, baseVersion: typeof baseVersion === 'number' ? baseVersion : null, values: record_(values), base: record_(base) };
}

/** Filters for `list()`. */
export interface FailureFilter {
  entity?: string;
  objectId?: string;
}

export class FailureRecords {
  constructor(
    private readonly store: LocalStore,
    private readonly transport: Transport,
  ) {}

  /** The failure records on the device, oldest first. */
  list(filter: FailureFilter = {}): FailureRecord[] {
    return this.store
      .allFailures()
      .filter((f) => (filter.entity === undefined || f.entity === filter.entity) && (filter.objectId === undefined || f.objectId === filter.objectId))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  get(id: string): FailureRecord | undefined {
    return this.store.failure(id);
  }

  /** Forgets a failure record on this device only (the server keeps it). */
  async dismiss(id: string): Promise<void> {
    await this.store.transact('local', () => ({ changes: { removeFailures: [id] }, result: undefined }));
  }

  /** Marks the failure resolved on the server, then forgets it here. */
  async resolve(id: string): Promise<FailureRecord> {
    const resolved = await this.transport.resolveSynchronizationFailure(id);
    await this.store.transact('local', () => ({ changes: { removeFailures: [id] }, result: undefined }));
    return resolved;
  }

  /** Downloads the viewer's unresolved failure records from the server and keeps them here. */
  async refresh(options: { entity?: SyncEntity; first?: number; offset?: number } = {}): Promise<FailureRecord[]> {
    const records = await this.transport.synchronizationFailures({
      entity: options.entity ?? null,
      includeResolved: false,
      first: options.first ?? 100,
      offset: options.offset ?? 0,
    });
    await this.store.transact('sync', () => ({ changes: { putFailures: records }, result: undefined }));
    return records;
  }

  /** Calls `listener` whenever failure records change. */
  subscribe(listener: () => void): () => void {
    return this.store.subscribe((event) => {
      if (event.failures) listener();
    });
  }
}
