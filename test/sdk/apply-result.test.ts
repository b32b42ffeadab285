import { describe, expect, it } from 'vitest';
import { applySyncResult } from '../../client-sdk/src/apply-result.ts';
import { planChangeSet, type InFlightSync, type SyncMode } from '../../client-sdk/src/change-set.ts';
import { stagePage, type StagedDownload } from '../../client-sdk/src/download-stage.ts';
import { freezeRecord } from '../../client-sdk/src/frozen.ts';
import type { SyncResultData } from '../../client-sdk/src/transport.ts';
import type { DownloadMode } from '../../client-sdk/src/generated/graphql.ts';
import {
  commitObject,
  createObject,
  editObject,
  objectKey,
  serverState,
  syncedObject,
  type LocalObject,
} from '../../client-sdk/src/local-object.ts';
import type { FailureRecord, ObjectSource, StoreChanges } from '../../client-sdk/src/local-store.ts';
import { objectWrites, type ObjectWrites } from '../../client-sdk/src/object-writes.ts';

/** Unit tests of the outbox (R2, R16) and of merging a sync result into the device (R17, R22, R23). */

const modes: Record<string, DownloadMode> = { Customer: 'ALL', WorkOrder: 'FILTERED', Feedback: 'NOTHING_CLEAR', Note: 'NEVER' };
const synced = (entity: string, id: string, values: Record<string, string | number | null>, version = 1): LocalObject =>
  syncedObject(serverState(entity, id, { version, createdAt: '2026-01-01T00:00:00.000Z', changedAt: '2026-01-02T00:00:00.000Z' }, values));
const changed = (object: LocalObject, values: Record<string, string | number | null>) => commitObject(editObject(object, values));

/** The objects of a device, as the store gives them to planning and applying. */
function sourceOf(objects: readonly LocalObject[]): ObjectSource {
  return {
    object: (entity, id) => objects.find((object) => object.entity === entity && object.id === id),
    objectsOf: (entity) => objects.filter((object) => object.entity === entity),
    pendingObjects: () => objects.filter((object) => object.pending !== null),
  };
}

function inflightFor(objects: LocalObject[], mode: SyncMode, selection?: { entity: string; id: string }[]): InFlightSync {
  const plan = planChangeSet(sourceOf(objects), mode === 'selected' ? { mode, objects: selection ?? [] } : { mode }, modes);
  return { syncId: 's1', mode, input: { clientId: 'c', syncId: 's1', checkpoint: null, changes: plan.changes }, selection: plan.selection, startedAt: '2026-01-03T00:00:00.000Z' };
}

/** A complete download of these objects and deletes. */
function download(partial: Omit<Partial<StagedDownload>, 'upserted' | 'deleted'> & { upserted?: LocalObject[]; deleted?: { entity: string; id: string }[] }): StagedDownload {
  const { upserted = [], deleted = [], ...rest } = partial;
  return {
    syncId: 's1',
    checkpoint: 'cp2',
    reset: false,
    replayed: false,
    complete: true,
    nextPage: null,
    stagedObjects: 0,
    files: [],
    failures: [],
    outcomes: [],
    ...rest,
    upserted: objectWrites(upserted.map((object) => [object.entity, object.id, object])) as ObjectWrites<LocalObject>,
    plain: upserted.every((object) => freezeRecord(object)),
    deleted: new Map(deleted.map((key) => [objectKey(key.entity, key.id), key])),
  };
}

/** The objects a sync result puts, and the keys of those it removes. */
const written = (changes: StoreChanges) => [...(changes.objects ?? [])].flatMap(([entity, byId]) => [...byId].map(([id, object]) => ({ entity, id, object })));
const puts = (changes: StoreChanges) => written(changes).flatMap(({ object }) => object ?? []);
const removals = (changes: StoreChanges) => written(changes).flatMap(({ entity, id, object }) => (object === null ? [{ entity, id }] : []));

const failure = (id: string, objectId: string, reason: FailureRecord['reason']): FailureRecord => ({
  id,
  entity: 'WorkOrder',
  objectId,
  reason,
  message: reason,
  content: {},
  syncId: 's1',
  clientId: 'c',
  viewerId: 'alice',
  createdAt: '2026-01-03T00:00:00.000Z',
  resolvedAt: null,
});

describe('planning a change set', () => {
  const newDraft = createObject('WorkOrder', 'draft', { title: 'x' });
  const created = commitObject(createObject('WorkOrder', 'created', { title: 'y' }));
  const edited = changed(synced('WorkOrder', 'w1', { title: 'a' }), { title: 'b' });
  const untouched = synced('Customer', 'c1', { name: 'n' });
  const deviceOnly = commitObject(createObject('Note', 'n1', { text: 't' }));
  const objects = [newDraft, created, edited, untouched, deviceOnly];

  it('full: every committed change except device-only entities; no selection', () => {
    const plan = planChangeSet(sourceOf(objects), { mode: 'full' }, modes);
    expect(plan.selection).toBeNull();
    expect(plan.changes).toEqual([
      { WorkOrder: { id: 'created', op: 'CREATE', baseVersion: null, values: { title: 'y' } } },
      { WorkOrder: { id: 'w1', op: 'UPDATE', baseVersion: 1, values: { title: 'b' }, base: { title: 'a' } } },
    ]);
  });

  it('selected: the selected objects, uncommitted new ones skipped silently (R2)', () => {
    const plan = planChangeSet(sourceOf(objects), { mode: 'selected', objects: [{ entity: 'WorkOrder', id: 'draft' }, { entity: 'WorkOrder', id: 'w1' }, { entity: 'Customer', id: 'c1' }] }, modes);
    expect(plan.skipped).toEqual([{ entity: 'WorkOrder', id: 'draft' }]);
    expect(plan.selection).toEqual([{ entity: 'WorkOrder', id: 'w1' }, { entity: 'Customer', id: 'c1' }]);
    expect(plan.changes).toHaveLength(1);
  });

  it('unsynchronized: all pending changes, with only those objects selected', () => {
    const plan = planChangeSet(sourceOf(objects), { mode: 'unsynchronized' }, modes);
    expect(plan.selection).toEqual([{ entity: 'WorkOrder', id: 'created' }, { entity: 'WorkOrder', id: 'w1' }]);
  });
});

describe('applying a sync result', () => {
  it('reports applied, merged, failed and removed per object, and refreshes from the server state', () => {
    const a = changed(synced('WorkOrder', 'a', { title: 'a', hoursSpent: 0 }), { hoursSpent: 1 });
    const b = changed(synced('WorkOrder', 'b', { title: 'b', description: 'x' }), { description: 'y' });
    const c = changed(synced('WorkOrder', 'c', { title: 'c', hoursSpent: 0 }), { hoursSpent: -1 });
    const d = changed(synced('WorkOrder', 'd', { title: 'd' }), { title: 'gone' });
    const inflight = inflightFor([a, b, c, d], 'unsynchronized');
    const failures = [failure('f1', 'c', 'VALIDATION'), failure('f2', 'd', 'NOT_FOUND')];
    const result = applySyncResult({
      objects: sourceOf([a, b, c, d]),
      inflight,
      modes,
      download: download({
        upserted: [
          synced('WorkOrder', 'a', { title: 'a', hoursSpent: 1 }, 2),
          synced('WorkOrder', 'b', { title: 'server title', description: 'y' }, 3),
          synced('WorkOrder', 'c', { title: 'c', hoursSpent: 0 }, 1),
        ],
        deleted: [{ entity: 'WorkOrder', id: 'd' }],
        failures,
        outcomes: [
          { entity: 'WorkOrder', id: 'a', status: 'APPLIED', version: 2, failureId: null },
          { entity: 'WorkOrder', id: 'b', status: 'MERGED', version: 3, failureId: null },
          { entity: 'WorkOrder', id: 'c', status: 'FAILED', version: 1, failureId: 'f1' },
          { entity: 'WorkOrder', id: 'd', status: 'FAILED', version: null, failureId: 'f2' },
        ],
      }),
    });
    expect(result.outcomes.map((o) => [o.id, o.status, o.version, o.failure?.id ?? null, o.removed])).toEqual([
      ['a', 'applied', 2, null, false],
      ['b', 'merged', 3, null, false],
      ['c', 'failed', 1, 'f1', false],
      ['d', 'failed', null, 'f2', true],
    ]);
    expect(result.removed).toEqual([{ entity: 'WorkOrder', id: 'd', reason: 'deleted' }]);
    const put = new Map(puts(result.changes).map((o) => [o.id, o]));
    expect(put.get('b')).toMatchObject({ synced: { version: 3, title: 'server title', description: 'y' }, pending: null });
    expect(put.get('c')).toMatchObject({ synced: { hoursSpent: 0 }, pending: null });
    expect(removals(result.changes)).toEqual([{ entity: 'WorkOrder', id: 'd' }]);
    expect(result.changes.putFailures).toEqual(failures);
    // A selective-style sync does not move the checkpoint; every sync clears the in-flight record.
    expect(result.changes.meta).toEqual({ inflight: null });
  });

  it('keeps changes and uncommitted edits made during the flight (R2, R22)', () => {
    const sentVersion = changed(synced('WorkOrder', 'a', { title: 'a', hoursSpent: 0 }), { hoursSpent: 1 });
    const inflight = inflightFor([sentVersion], 'unsynchronized');
    const now = editObject(changed(sentVersion, { title: 'during' }), { description: 'typing' });
    const result = applySyncResult({
      objects: sourceOf([now]),
      inflight,
      modes,
      download: download({ upserted: [synced('WorkOrder', 'a', { title: 'a', hoursSpent: 1, description: null }, 2)] }),
    });
    expect(puts(result.changes)[0]).toMatchObject({
      synced: { version: 2 },
      pending: { op: 'UPDATE', values: { title: 'during' }, base: { title: 'a' } },
      draft: { description: 'typing' },
    });
  });

  it('reset: replaces the data of downloaded entities, keeping pending and never-synced objects; clears upload-only ones', () => {
    const stale = synced('Customer', 'stale', { name: 's' });
    const kept = synced('Customer', 'kept', { name: 'k' });
    const pendingEdit = changed(synced('WorkOrder', 'p', { title: 'p' }), { title: 'q' });
    const local = createObject('WorkOrder', 'local', { title: 'l' });
    const feedback = commitObject(createObject('Feedback', 'fb', { text: 't' }));
    const inflight = inflightFor([feedback], 'full');
    const objects = [stale, kept, pendingEdit, local, feedback];
    const result = applySyncResult({
      objects: sourceOf(objects),
      inflight: { ...inflight, input: { ...inflight.input, changes: inflight.input.changes.filter((c) => 'Feedback' in c) } },
      modes,
      download: download({
        reset: true,
        upserted: [
          synced('Customer', 'kept', { name: 'k2' }, 2),
          synced('Customer', 'new', { name: 'n' }),
          synced('Feedback', 'fb', { text: 't' }),
        ],
        outcomes: [{ entity: 'Feedback', id: 'fb', status: 'APPLIED', version: 1, failureId: null }],
      }),
    });
    expect(result.removed).toEqual([
      { entity: 'Feedback', id: 'fb', reason: 'cleared' },
      { entity: 'Customer', id: 'stale', reason: 'reset' },
    ]);
    expect(puts(result.changes).map((o) => o.id).sort()).toEqual(['kept', 'new']);
    expect(result.changes.meta).toEqual({ inflight: null, checkpoint: 'cp2' });
  });
});

describe('staging a paged download', () => {
  const object = (id: string, name: string, version: number) =>
    ({ __typename: 'Customer', id, version, createdAt: 'c', changedAt: 'd', name, address: null, phone: null }) as const;
  const page = (partial: Partial<SyncResultData>): SyncResultData => ({
    syncId: 's1',
    checkpoint: 'cp2',
    reset: false,
    replayed: false,
    hasMore: false,
    nextPage: null,
    upserted: [],
    deleted: [],
    files: [],
    failures: [],
    outcomes: [],
    ...partial,
  });

  it('R17: collects pages until the last; a later page replaces what an earlier one said of the same object', () => {
    let stage = stagePage(null, page({ hasMore: true, nextPage: 'p2', upserted: [object('a', 'a1', 1), object('b', 'b1', 1)] }));
    expect(stage).toMatchObject({ complete: false, nextPage: 'p2' });
    stage = stagePage(stage, page({ hasMore: true, nextPage: 'p3', upserted: [object('a', 'a2', 2)], deleted: [{ entity: 'Customer', id: 'b' }] }));
    stage = stagePage(stage, page({ upserted: [object('b', 'b3', 3)], deleted: [{ entity: 'Customer', id: 'c' }] }));
    expect(stage).toMatchObject({ complete: true, nextPage: null });
    expect([...stage.upserted.get('Customer')!.values()].map((o) => [o.id, o.synced?.version, o.synced?.name])).toEqual([
      ['a', 2, 'a2'],
      ['b', 3, 'b3'],
    ]);
    expect([...stage.deleted.values()]).toEqual([{ entity: 'Customer', id: 'c' }]);
  });

  it('tells which entities it staged and whether every record is frozen plain data', () => {
    const workOrder = { ...object('w', 'w', 1), __typename: 'WorkOrder' } as unknown as SyncResultData['upserted'][number];
    let stage = stagePage(null, page({ hasMore: true, nextPage: 'p2', upserted: [object('a', 'a', 1), workOrder] }));
    stage = stagePage(stage, page({ upserted: [object('b', 'b', 1)] }));
    expect(stage).toMatchObject({ complete: true, plain: true });
    expect([...stage.upserted.keys()]).toEqual(['Customer', 'WorkOrder']);
    expect([...stage.upserted.values()].flatMap((byId) => [...byId.values()]).every((record) => Object.isFrozen(record) && Object.isFrozen(record.synced))).toBe(true);

    // A custom transport may hand over values JSON never makes.
    const odd = { ...object('d', 'd', 1), address: new Date(0) } as unknown as SyncResultData['upserted'][number];
    expect(stagePage(null, page({ upserted: [object('e', 'e', 1), odd] })).plain).toBe(false);
  });
});

describe('applying a staged download: what the store is told', () => {
  it('says the records are frozen plain data when they are, including those the apply makes', () => {
    const mine = changed(synced('Customer', 'c1', { name: 'old' }), { name: 'mine' });
    const result = applySyncResult({
      objects: sourceOf([mine]),
      // Changed after the upload was planned: the change stays pending over the new server state.
      inflight: inflightFor([], 'full'),
      download: download({ upserted: [synced('Customer', 'c1', { name: 'old' }, 2), synced('WorkOrder', 'w1', { title: 't' })] }),
      modes,
    });
    expect(result.changes.frozenPlain).toBe(true);
    expect(puts(result.changes).every((record) => Object.isFrozen(record))).toBe(true);
    expect(puts(result.changes).find((record) => record.id === 'c1')?.pending).not.toBeNull();

    const odd = syncedObject({ ...serverState('Customer', 'c2', { version: 1, createdAt: 'c', changedAt: 'd' }, {}), when: new Date(0) } as never);
    const impure = applySyncResult({ objects: sourceOf([]), inflight: inflightFor([], 'full'), download: download({ upserted: [odd] }), modes });
    expect(impure.changes.frozenPlain).toBe(false);
  });
});
