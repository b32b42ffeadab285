import type { Db } from '../registry/define-entity.ts';
import type { EntityModel } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { directStore, lockRows, type ApplyStore, type LockedRow } from './apply-store.ts';
import { countUpdated, insertRows, updateStatement, type RowUpdate } from './bulk-write.ts';
import type { Row } from './types.ts';
import { UserCodeNeedsDatabase, type DatabaseProbe } from './user-code-probe.ts';

/**
 * The batched upload's store (apply.ts): row locks are taken for all the objects of an entity the
 * change set names in one statement, and writes wait in order, merged into one statement per run
 * of same-shaped writes. Once enough rows wait, their statements are sent without waiting for
 * the answer: the database writes them while the next changes are checked, and the answers are
 * awaited (the first failure thrown) when something must read the database (`flush`).
 *
 * What a change reads is what the one-by-one path would read, with one difference, documented in
 * docs/sync-api.md: the rows of an entity and their read-rule flags are read once for the run of
 * changes to that entity, so a read rule that depends on *other rows of the same entity* sees them
 * as they were before the run. Writes to any other entity, or a change applied on its own, make
 * the next lock read again.
 */

/**
 * Rows whose writes are sent together while the batch goes on. Smaller sends overlap more of the
 * database's work with the server's (only the last send is waited for alone); each costs a
 * statement and its statement-level triggers.
 */
export const SEND_ROWS = 500;

/**
 * The waiting writes of a run of changes to one entity. Rows are distinct (a second change of an
 * object flushes first), so the writes commute and updates are grouped by the attributes they set.
 */
interface PendingWrites {
  model: EntityModel;
  inserts: Row[];
  updates: Map<string, { attributes: string[]; rows: RowUpdate[] }>;
  now?: Date;
}

/** Thrown when the batch cannot go on; the caller rolls it back and applies one by one. */
export class BatchAbandoned extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchAbandoned';
  }
}

interface EntityLocks {
  rows: Map<string, LockedRow>;
  /** Writes to other entities when these rows were read. */
  otherWrites: number;
}

export class BatchStore implements ApplyStore {
  private readonly pending: PendingWrites[] = [];
  private readonly locks = new Map<string, EntityLocks>();
  /** Ids whose lock was used: a second change of the same object reads its row again. */
  private readonly used = new Set<string>();
  private readonly writesByEntity = new Map<string, number>();
  private writes = 0;
  /** Rows written since the last send. */
  private waiting = 0;
  /** The statements sent and not yet awaited, each settled with its failure (undefined: none). */
  private readonly sent: Promise<unknown>[] = [];

  constructor(
    private readonly db: Db,
    private readonly viewer: Viewer,
    private readonly probe: DatabaseProbe,
    /** The ids the change set creates or updates, per entity. */
    private readonly idsByEntity: ReadonlyMap<string, readonly string[]>,
  ) {}

  async lock(model: EntityModel, id: string): Promise<LockedRow | undefined> {
    const key = `${model.name}:${id}`;
    if (this.used.has(key)) {
      await this.flush();
      return directStore(this.db, this.viewer).lock(model, id);
    }
    this.used.add(key);
    let locks = this.locks.get(model.name);
    if (!locks || locks.otherWrites !== this.otherWrites(model)) {
      await this.flush();
      const ids = (this.idsByEntity.get(model.name) ?? [id]).filter((other) => other === id || !this.used.has(`${model.name}:${other}`));
      locks = { rows: await lockRows(this.db, model, this.viewer, ids), otherWrites: this.otherWrites(model) };
      this.locks.set(model.name, locks);
    }
    return locks.rows.get(id);
  }

  async isReadable(model: EntityModel, id: string): Promise<boolean> {
    await this.flush();
    return directStore(this.db, this.viewer).isReadable(model, id);
  }

  async insert(model: EntityModel, row: Row): Promise<void> {
    this.writesOf(model).inserts.push(row);
    this.sendWhenFull();
  }

  async update(model: EntityModel, existing: Row, diff: Row, now: Date): Promise<number> {
    const writes = this.writesOf(model);
    // In the entity's attribute order (apply-change.ts builds the diff in it), so same-shaped
    // updates share a group without sorting their names.
    const attributes = Object.keys(diff);
    const shape = attributes.join(',');
    const group = writes.updates.get(shape) ?? { attributes, rows: [] };
    group.rows.push({ id: existing.id as string, values: diff });
    writes.updates.set(shape, group);
    writes.now = now;
    this.sendWhenFull();
    // The row is locked, so the UPDATE's `version + 1` is exactly this.
    return (existing.version as number) + 1;
  }

  /** Sends the waiting writes and waits for every write sent; throws the first that failed. */
  async flush(): Promise<void> {
    this.send();
    const failures = await Promise.all(this.sent.splice(0));
    const failure = failures.find((f) => f !== undefined);
    if (failure !== undefined) throw failure;
  }

  private sendWhenFull(): void {
    if (++this.waiting >= SEND_ROWS) this.send();
  }

  /**
   * Sends the waiting writes' statements, entity by entity in the order the changes made them,
   * without waiting: the connection runs them in that order. A failure aborts the transaction, so
   * what is sent after it fails too; `flush` throws the first.
   */
  send(): void {
    this.waiting = 0;
    for (const writes of this.pending.splice(0)) {
      if (writes.inserts.length > 0) this.track(insertRows(this.db, writes.model, writes.inserts));
      for (const { attributes, rows } of writes.updates.values()) {
        const statement = updateStatement(writes.model, attributes, rows, writes.now!);
        if (!statement) {
          const direct = directStore(this.db, this.viewer);
          for (const row of rows) this.track(direct.update(writes.model, { id: row.id }, row.values, writes.now!));
          continue;
        }
        this.track(
          countUpdated(this.db, statement).then((updated) => {
            if (updated !== rows.length) throw new BatchAbandoned(`${writes.model.name}: ${rows.length - updated} locked rows were not updated`);
          }),
        );
      }
    }
  }

  /** Keeps a sent statement's outcome for `flush`; nothing is left unhandled meanwhile. */
  private track(write: Promise<unknown>): void {
    this.sent.push(write.then(noFailure, (error: unknown) => error ?? new Error('A batched write failed')));
  }

  /** Something outside this store wrote (a change applied on its own): read every lock again. */
  forget(): void {
    this.locks.clear();
  }

  private otherWrites(model: EntityModel): number {
    return this.writes - (this.writesByEntity.get(model.name) ?? 0);
  }

  /** The pending writes a new write of this entity joins, counted for the lock reads. */
  private writesOf(model: EntityModel): PendingWrites {
    this.checkProbe();
    this.writes++;
    this.writesByEntity.set(model.name, (this.writesByEntity.get(model.name) ?? 0) + 1);
    let last = this.pending.at(-1);
    if (last?.model !== model) {
      last = { model, inserts: [], updates: new Map() };
      this.pending.push(last);
    }
    return last;
  }

  /** A rule or hook that caught the probe's error must not have its change written. */
  private checkProbe(): void {
    if (this.probe.touched) throw new UserCodeNeedsDatabase();
  }
}

const noFailure = (): undefined => undefined;

/** The per-entity ids a change set creates or updates, in the order they are applied. */
export function idsToLock(changes: readonly { entity: string; id: string; op: string }[], order: readonly number[]): Map<string, string[]> {
  const ids = new Map<string, string[]>();
  for (const index of order) {
    const change = changes[index]!;
    if (change.op === 'DELETE') continue;
    const list = ids.get(change.entity) ?? [];
    list.push(change.id);
    ids.set(change.entity, list);
  }
  return ids;
}
