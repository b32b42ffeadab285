import { randomUUID } from 'node:crypto';
import type { BlobStore } from '../files/blob-store.ts';
import type { Db } from '../registry/define-entity.ts';
import type { Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { applyChange, type ApplyContext, type ChangeApplied } from './apply-change.ts';
import { constraintOf, isIntegrityViolation, sqlState } from './db-errors.ts';
import { ChangeFailure } from './errors.ts';
import { recordFailure } from './failures.ts';
import type { HookErrorLogger } from './hooks.ts';
import { orderChanges } from './order-changes.ts';
import type { ChangeInput, ChangeOutcome, FailureRecord, ObjectKey, SyncInput, UploadOutcome } from './types.ts';

/**
 * Stage 2 of a sync: applies a change set inside the caller's transaction, each change in its own
 * savepoint (R3). A failing change is rolled back alone and recorded (R12, R13). It collects the
 * objects whose server state the device must learn: every uploaded object, and what a committed
 * change did to others (cascaded deletes, objects hooks touched).
 */

class KeySet {
  private readonly map = new Map<string, ObjectKey>();
  add(key: ObjectKey): void {
    this.map.set(`${key.entity}:${key.id}`, key);
  }
  addAll(other: KeySet): void {
    for (const key of other.values()) this.add(key);
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
}

/** Applies every change of the set; never throws for a single change's failure. */
export async function applyChanges({ db, registry, blobs, viewer, input, now, log }: ApplyOptions): Promise<UploadOutcome> {
  const affected = new KeySet();
  const failures: FailureRecord[] = [];
  const outcomes: ChangeOutcome[] = new Array(input.changes.length);
  const upload = { clientId: input.clientId, syncId: input.syncId };

  for (const index of orderChanges(registry, input.changes)) {
    const change = input.changes[index]!;
    const key = { entity: change.entity, id: change.id };
    const changeAffected = new KeySet();
    const attempt = () =>
      db.transaction(async (savepoint) => {
        const ctx: ApplyContext = {
          db: savepoint,
          registry,
          blobs: blobs.inTransaction(savepoint),
          viewer,
          now,
          log,
          touch: (k) => changeAffected.add(k),
          remove: (k) => changeAffected.add(k),
        };
        return applyChange(ctx, change);
      });
    try {
      const applied: ChangeApplied = await attempt().catch((error: unknown) => {
        // Another transaction created the same id between our lookup and insert; it has
        // committed now, so applying again finds it and merges onto it (R10).
        if (change.op === 'CREATE' && sqlState(error) === '23505' && constraintOf(error) === `${registry.get(change.entity)!.tableName}_pkey`) {
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
      affected.addAll(changeAffected);
      affected.add(key);
      let failureId: string | null = null;
      if (applied.denied) {
        const failure = await recordFailure(db, viewer, upload, {
          id: randomUUID(),
          entity: change.entity,
          objectId: change.id,
          reason: 'ACCESS_DENIED',
          message: applied.denied.message,
          content: sentContent({ ...change, values: pick(change.values, applied.denied.attributes), base: pick(change.base, applied.denied.attributes) }),
        }, now);
        failures.push(failure);
        failureId = failure.id;
      }
      outcomes[index] = { ...key, status: applied.status, version: applied.version, failureId };
    } catch (error) {
      if (!(error instanceof ChangeFailure)) throw error;
      const failure = await recordFailure(db, viewer, upload, {
        id: randomUUID(),
        entity: change.entity,
        objectId: change.id,
        reason: error.reason,
        message: error.message,
        content: sentContent(change),
      }, now);
      failures.push(failure);
      affected.add(key);
      outcomes[index] = { ...key, status: 'FAILED', version: null, failureId: failure.id };
    }
  }
  return { outcomes, failures, affected: affected.values() };
}
