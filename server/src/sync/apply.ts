import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { BlobStore } from '../files/blob-store.ts';
import type { Db } from '../registry/define-entity.ts';
import type { EntityModel, Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { applyChange, type ApplyContext, type ChangeApplied } from './apply-change.ts';
import { directStore, type ApplyStore } from './apply-store.ts';
import { BatchAbandoned, BatchStore, idsToLock } from './batch-store.ts';
import { constraintOf, isIntegrityViolation, sqlState } from './db-errors.ts';
import { ChangeFailure } from './errors.ts';
import { insertFailures } from './failures.ts';
import type { HookErrorLogger } from './hooks.ts';
import { orderChanges } from './order-changes.ts';
import { selectRows } from './row-select.ts';
import type { ChangeInput, ChangeOutcome, FailureRecord, ObjectKey, SyncInput, UploadOutcome } from './types.ts';
import { DatabaseProbe, UserCodeNeedsDatabase } from './user-code-probe.ts';

/**
 * Stage 2 of a sync: applies a change set inside the caller's transaction so that each change
 * succeeds or fails alone (R3); a failing change is recorded (R12, R13). It collects the objects
 * whose server state the device must learn: every uploaded object, and what a committed change
 * did to others (cascaded deletes, objects hooks touched).
 *
 * Two ways to get there, with the same outcome:
 * - batched (tried first): creates and updates whose rules and hooks do not touch the database
 *   are checked in memory against rows locked set-wise and written set-wise (batch-store.ts),
 *   with no savepoint per change; a change that fails its rules has written nothing. Deletes,
 *   entities with `afterCommit` hooks and changes whose rules or hooks query the database are
 *   applied on their own, in a savepoint, after the writes before them.
 * - one by one: every change in its own savepoint. Used when a batched write is refused by the
 *   database (a constraint, a trigger), to find the one change responsible.
 */

class KeySet {
  private readonly map = new Map<string, ObjectKey>();
  add(key: ObjectKey): void {
    this.map.set(`${key.entity}:${key.id}`, key);
  }
  addAll(keys: Iterable<ObjectKey>): void {
    for (const key of keys) this.add(key);
  }
  values(): ObjectKey[] {
    return [...this.map.values()];
  }
}

/** The content a failure record keeps: exactly what the device sent for the change. */
function sentContent(change: ChangeInput): unknown {
  return JSON.parse(
    JSON.stringify({ op: change.op, baseVersion: change.baseVersion ?? null, values: change.values ?? null, base: change.base ?? null }),
  );
}

function pick(values: ChangeInput['values'], names: string[]) {
  return values ? Object.fromEntries(names.filter((n) => Object.hasOwn(values, n)).map((n) => [n, values[n]])) : null;
}

export interface ApplyOptions {
  db: Db;
  registry: Registry;
  blobs: BlobStore;
  viewer: Viewer;
  input: SyncInput;
  now: Date;
  log: HookErrorLogger;
  /**
   * Stores the upload's outcome (R4) in the same transaction, once it is known. In the batched
   * path its statement is sent behind the last writes, before they are answered.
   */
  record(db: Db, outcome: UploadOutcome): Promise<void>;
}

/** Entities whose rules or hooks were seen using the database: their changes go one by one. */
const usesDatabase = new WeakSet<EntityModel>();

/** Whether a change may go through the batched path. */
function batchable(model: EntityModel, change: ChangeInput): boolean {
  return change.op !== 'DELETE' && !model.definition.hooks?.afterCommit && !usesDatabase.has(model);
}

/** Database errors that blame the data of some change: the one-by-one path finds which. */
function blamesAChange(error: unknown): boolean {
  if (error instanceof BatchAbandoned) return true;
  const state = sqlState(error);
  return state !== undefined && /^(22|23|P0)[0-9A-Z]{3}$/.test(state);
}

/** Applies every change of the set and records the outcome; never throws for a single change's failure. */
export async function applyChanges(options: ApplyOptions): Promise<UploadOutcome> {
  const order = orderChanges(options.registry, options.input.changes);
  const anyBatchable = options.input.changes.some((c) => batchable(options.registry.get(c.entity)!, c));
  if (options.input.changes.length > 1 && anyBatchable) {
    try {
      return await options.db.transaction((savepoint) => applyBatched({ ...options, db: savepoint }, order));
    } catch (error) {
      if (!blamesAChange(error)) throw error;
    }
  }
  const outcome = await applyInOrder(options, order);
  await insertFailures(options.db, outcome.failures);
  await options.record(options.db, outcome);
  return outcome;
}

/**
 * The batched path, in the caller's savepoint. The failure records and the outcome are sent
 * behind the batch's last writes, so the server builds them while the database still writes;
 * then everything is awaited, and the first write that failed is thrown (the savepoint then
 * undoes all of it, records included).
 */
async function applyBatched(options: ApplyOptions, order: number[]): Promise<UploadOutcome> {
  const probe = new DatabaseProbe(options.db);
  const batch = new BatchStore(options.db, options.viewer, probe, idsToLock(options.input.changes, order));
  const outcome = await applyInOrder(options, order, { batch, probe });
  batch.send();
  const recorded = Promise.allSettled([insertFailures(options.db, outcome.failures), options.record(options.db, outcome)]);
  await batch.flush();
  for (const result of await recorded) if (result.status === 'rejected') throw result.reason;
  return outcome;
}

/** The result of applying one change: applied (perhaps partly denied) or failed. */
type Applied = { ok: true; applied: ChangeApplied; affected: readonly ObjectKey[] } | { ok: false; failure: ChangeFailure };

/** A batch's store and the probe its rules and hooks see the database through. */
interface Batched {
  batch: BatchStore;
  probe: DatabaseProbe;
}

/** Applies the changes in order: through the batch where it can (its writes may still be waiting), else one by one. */
async function applyInOrder(options: ApplyOptions, order: number[], batched?: Batched): Promise<UploadOutcome> {
  const { db, registry, viewer, input, now } = options;
  const affected = new KeySet();
  const failures: FailureRecord[] = [];
  const outcomes: ChangeOutcome[] = new Array(input.changes.length);
  const batch = batched?.batch;
  // One context for every batched change (they share the transaction and the store); what a
  // change touches is collected afresh for each, and kept only when it is applied.
  const touched: ObjectKey[] = [];
  const batchContext = batched && context(options, db, batched.batch, batched.probe.db, (key) => touched.push(key));
  const failure = (change: ChangeInput, reason: FailureRecord['reason'], message: string, content: unknown): FailureRecord => {
    const record: FailureRecord = {
      id: randomUUID(), entity: change.entity, objectId: change.id, reason, message, content,
      viewerId: viewer.id, clientId: input.clientId, syncId: input.syncId, createdAt: now, resolvedAt: null,
    };
    failures.push(record);
    return record;
  };

  for (const index of order) {
    const change = input.changes[index]!;
    const model = registry.get(change.entity)!;
    const key = { entity: change.entity, id: change.id };
    let result: Applied | undefined;
    if (batchContext && batchable(model, change)) {
      result = await applyOneBatched(batchContext, batched.probe, change, touched);
      if (!result) usesDatabase.add(model);
    }
    if (!result) {
      await batch?.flush();
      batch?.forget();
      result = await applyAlone(options, change);
      batch?.forget();
    }
    affected.add(key);
    if (!result.ok) {
      const record = failure(change, result.failure.reason, result.failure.message, sentContent(change));
      outcomes[index] = { ...key, status: 'FAILED', version: null, failureId: record.id };
      continue;
    }
    affected.addAll(result.affected);
    const { applied } = result;
    const denied = applied.denied
      ? failure(change, 'ACCESS_DENIED', applied.denied.message,
          sentContent({ ...change, values: pick(change.values, applied.denied.attributes), base: pick(change.base, applied.denied.attributes) }))
      : null;
    outcomes[index] = { ...key, status: applied.status, version: applied.version, failureId: denied?.id ?? null };
  }
  return { outcomes, failures, affected: affected.values() };
}

/** The context changes are applied in; `collect` is told the objects they touch or remove. */
function context(options: ApplyOptions, db: Db, store: ApplyStore, userDb: Db, collect: (key: ObjectKey) => void): ApplyContext {
  return {
    db, store, userDb,
    registry: options.registry,
    blobs: options.blobs.inTransaction(db),
    viewer: options.viewer,
    now: options.now,
    log: options.log,
    touch: (entity, id) => collect({ entity, id }),
    remove: collect,
  };
}

/**
 * Applies a change through the batch; undefined when its rules or hooks need the database.
 * `touched` is the list the context collects into.
 */
async function applyOneBatched(ctx: ApplyContext, probe: DatabaseProbe, change: ChangeInput, touched: ObjectKey[]): Promise<Applied | undefined> {
  probe.touched = false;
  touched.length = 0;
  try {
    const applied = await applyChange(ctx, change);
    return { ok: true, applied, affected: touched.slice() };
  } catch (error) {
    if (error instanceof UserCodeNeedsDatabase || probe.touched) return undefined;
    if (error instanceof ChangeFailure) return { ok: false, failure: error };
    throw error;
  }
}

async function exists(db: Db, model: EntityModel, id: string): Promise<boolean> {
  return (await selectRows(db, model.table, { where: eq(model.table.id, id), limit: 1 })).length > 0;
}

/** Applies a change in its own savepoint, so that a failure undoes everything it did. */
async function applyAlone(options: ApplyOptions, change: ChangeInput): Promise<Applied> {
  const { db, registry } = options;
  const affected = new KeySet();
  const collect = (key: ObjectKey) => affected.add(key);
  const attempt = () =>
    db.transaction((savepoint) => applyChange(context(options, savepoint, directStore(savepoint, options.viewer), savepoint, collect), change));
  try {
    const applied = await attempt().catch(async (error: unknown) => {
      // Another transaction created the same id between our lookup and insert; it has
      // committed now, so applying again finds it and merges onto it (R10). Told by the row being
      // there now, not by the constraint's name, which the developer's schema may choose.
      if (change.op === 'CREATE' && sqlState(error) === '23505' && (await exists(db, registry.get(change.entity)!, change.id))) {
        return attempt();
      }
      throw error;
    }).catch((error: unknown) => {
      // A constraint of the developer's schema (unique, check, foreign key) rejects this change only.
      if (isIntegrityViolation(error)) {
        throw new ChangeFailure('VALIDATION', `${change.entity} ${change.id} violates the constraint ${constraintOf(error) ?? 'of the database'}`);
      }
      throw error;
    });
    return { ok: true, applied, affected: affected.values() };
  } catch (error) {
    if (error instanceof ChangeFailure) return { ok: false, failure: error };
    throw error;
  }
}
