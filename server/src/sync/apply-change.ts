import { eq, is, SQL } from 'drizzle-orm';
import { isContentHash, type BlobStore } from '../files/blob-store.ts';
import type { Db, HookContext, SyncTable } from '../registry/define-entity.ts';
import { writableAttributes, type EntityModel, type Registry } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import { allowed } from './access.ts';
import type { ApplyStore, LockedRow } from './apply-store.ts';
import { ChangeFailure } from './errors.ts';
import { runHook, runValidate, type HookErrorLogger } from './hooks.ts';
import { mergeUpdate, sameValue } from './merge.ts';
import type { ChangeInput, ObjectKey, Row } from './types.ts';

/**
 * Applies one change inside its own savepoint (R3). Every rule that fails throws a
 * `ChangeFailure`; the caller rolls the savepoint back and records it (R13).
 */

/** What the apply stage shares across the changes of one upload. */
export interface ApplyContext {
  /** The transaction (or savepoint) of this change: deletes and their cascades run on it. */
  db: Db;
  /** Row locks, reads and writes of created and updated objects: immediate or batched. */
  store: ApplyStore;
  /** The database as rules and hooks see it (a probe in batched mode, see user-code-probe.ts). */
  userDb: Db;
  registry: Registry;
  blobs: BlobStore;
  viewer: Viewer;
  now: Date;
  log: HookErrorLogger;
  /** Objects whose state must reach the device; handed to hooks as it is (`HookContext.touch`). */
  touch(entity: string, id: string): void;
  /** Objects the device must remove. */
  remove(key: ObjectKey): void;
}

/** A change that was applied, perhaps with some attributes denied (attribute-level R7). */
export interface ChangeApplied {
  status: 'APPLIED' | 'MERGED';
  version: number | null;
  denied?: { attributes: string[]; message: string };
}

function hookContext(ctx: ApplyContext, op: HookContext<SyncTable>['op'], row: Row, previous: Row | null, changed: Iterable<string>) {
  return {
    viewer: ctx.viewer,
    db: ctx.userDb,
    op,
    row,
    previous,
    changed: new Set(changed),
    now: ctx.now,
    touch: ctx.touch,
  } as HookContext<SyncTable>;
}

function defaultValue(model: EntityModel, name: string): unknown {
  const column = model.attributes.get(name)!.column;
  if (column.defaultFn) return column.defaultFn();
  if (column.default !== undefined && !is(column.default, SQL)) return column.default;
  return null;
}

function checkRequired(model: EntityModel, id: string, row: Row, names: Iterable<string>): void {
  let missing: string[] | undefined;
  for (const name of names) {
    if (model.attributes.get(name)?.required && row[name] == null) (missing ??= []).push(name);
  }
  if (missing) {
    throw new ChangeFailure('VALIDATION', `${model.name} ${id}: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} required`);
  }
}

/** R9: every reference set by the change must name an object the viewer can see on the server. */
async function checkReferences(ctx: ApplyContext, model: EntityModel, id: string, row: Row, names: Iterable<string>) {
  for (const name of names) {
    const reference = model.attributes.get(name)?.reference;
    const target = row[name];
    if (!reference || typeof target !== 'string') continue;
    const targetModel = ctx.registry.get(reference.entity)!;
    if (!(await ctx.store.isReadable(targetModel, target))) {
      throw new ChangeFailure(
        'DANGLING_REFERENCE',
        `${model.name} ${id}: ${name} references ${reference.entity} ${target}, which neither exists on the server nor is created in this synchronization`,
      );
    }
  }
}

function denyMessage(model: EntityModel, id: string, attributes: string[]): string {
  return `${model.name} ${id}: you may not write ${attributes.join(', ')}`;
}

/** F2: a file object must name content the server holds, by a well-formed SHA-256. */
async function checkFileContent(ctx: ApplyContext, model: EntityModel, id: string, row: Row, previous: Row | null): Promise<void> {
  if (!model.isFile || (previous && previous.contentHash === row.contentHash)) return;
  const hash = row.contentHash;
  if (!isContentHash(hash)) {
    throw new ChangeFailure('VALIDATION', `${model.name} ${id}: contentHash must be a SHA-256 in lowercase hex`);
  }
  const size = await ctx.blobs.sizeOf(hash);
  if (size === null) {
    throw new ChangeFailure('FILE_MISSING', `${model.name} ${id}: the server has no content with hash ${hash}; upload it with PUT /files/${hash} first`);
  }
  if (row.size !== size) {
    throw new ChangeFailure('VALIDATION', `${model.name} ${id}: size is ${String(row.size)} but the content with hash ${hash} has ${size} bytes`);
  }
}

/** Applies one change; throws `ChangeFailure` when a rule rejects it. */
export async function applyChange(ctx: ApplyContext, change: ChangeInput): Promise<ChangeApplied> {
  const model = ctx.registry.get(change.entity)!;
  const locked = await ctx.store.lock(model, change.id);
  if (change.op === 'DELETE') return applyDelete(ctx, model, change, locked);
  if (change.op === 'CREATE' && !locked) return applyCreate(ctx, model, change);
  return applyUpdate(ctx, model, change, locked);
}

async function applyCreate(ctx: ApplyContext, model: EntityModel, change: ChangeInput): Promise<ChangeApplied> {
  const { id } = change;
  const sent = Object.fromEntries(Object.entries(change.values ?? {}).filter(([, v]) => v !== undefined));
  const writable = writableAttributes(model, ctx.viewer.roles);
  const denied = Object.keys(sent).filter((name) => !writable.has(name));
  if (denied.length > 0) throw new ChangeFailure('ACCESS_DENIED', denyMessage(model, id, denied));
  const row: Row = { id };
  for (const attribute of model.attributeList) {
    row[attribute.name] = Object.hasOwn(sent, attribute.name) ? sent[attribute.name] : defaultValue(model, attribute.name);
  }
  const deviceAttributes = model.attributeList.filter((a) => a.deviceWritable).map((a) => a.name);
  checkRequired(model, id, row, deviceAttributes);
  await checkReferences(ctx, model, id, row, Object.keys(sent));
  if (!(await allowed(model.definition.access.create, { viewer: ctx.viewer, db: ctx.userDb, row, previous: null }))) {
    throw new ChangeFailure('ACCESS_DENIED', `${model.name} ${id}: you may not create this object`);
  }
  const hookCtx = hookContext(ctx, 'CREATE', row, null, Object.keys(sent));
  await runValidate(model, hookCtx, ctx.log);
  await runHook(model, 'beforeCommit', hookCtx, ctx.log);
  checkRequired(model, id, row, model.attributeNames);
  await checkFileContent(ctx, model, id, row, null);
  await ctx.store.insert(model, { ...row, id, version: 1, createdAt: ctx.now, changedAt: ctx.now });
  await runHook(model, 'afterCommit', hookCtx, ctx.log);
  return { status: 'APPLIED', version: 1 };
}

/** An UPDATE, or a CREATE of an id that already exists (R10: applied onto it, never duplicated). */
async function applyUpdate(ctx: ApplyContext, model: EntityModel, change: ChangeInput, locked: LockedRow | undefined): Promise<ChangeApplied> {
  const { id } = change;
  if (!locked) {
    throw new ChangeFailure('NOT_FOUND', `${model.name} ${id} no longer exists on the server`);
  }
  if (!locked.readable) {
    throw new ChangeFailure('ACCESS_DENIED', `${model.name} ${id} is not accessible to you`);
  }
  const existing = locked.row;
  const writable = writableAttributes(model, ctx.viewer.roles);
  // The attributes sent (undefined is not sent), split into those the viewer may write and not.
  const denied: string[] = [];
  const permitted: Row = {};
  let permits = false;
  const values = change.values ?? {};
  for (const name of Object.keys(values)) {
    const value = values[name];
    if (value === undefined) continue;
    if (writable.has(name)) {
      permitted[name] = value;
      permits = true;
    } else denied.push(name);
  }
  if (denied.length > 0 && !permits) {
    throw new ChangeFailure('ACCESS_DENIED', denyMessage(model, id, denied));
  }
  const baseVersion = change.op === 'CREATE' ? null : change.baseVersion;
  const merge = mergeUpdate(model, ctx.viewer, existing, permitted, change.base, baseVersion);
  if (merge.conflicts.length > 0) {
    throw new ChangeFailure(
      'CONFLICT',
      `${model.name} ${id}: ${merge.conflicts.join(', ')} changed on the server since your last synchronization`);
  }
  const row: Row = { ...existing, ...merge.values };
  const changedNames = Object.keys(merge.values);
  checkRequired(model, id, row, changedNames);
  await checkReferences(ctx, model, id, row, changedNames);
  if (!(await allowed(model.definition.access.update, { viewer: ctx.viewer, db: ctx.userDb, row, previous: existing }))) {
    throw new ChangeFailure('ACCESS_DENIED', `${model.name} ${id}: you may not change this object`);
  }
  const hookCtx = hookContext(ctx, 'UPDATE', row, existing, changedNames);
  await runValidate(model, hookCtx, ctx.log);
  await runHook(model, 'beforeCommit', hookCtx, ctx.log);
  checkRequired(model, id, row, model.attributeNames);
  await checkFileContent(ctx, model, id, row, existing);
  const diff: Row = {};
  let differs = false;
  for (const name of model.attributeNames) {
    if (!sameValue(row[name], existing[name])) {
      diff[name] = row[name];
      differs = true;
    }
  }
  const version = differs ? await ctx.store.update(model, existing, diff, ctx.now) : (existing.version as number);
  await runHook(model, 'afterCommit', hookCtx, ctx.log);
  const status = merge.merged || change.op === 'CREATE' ? 'MERGED' : 'APPLIED';
  return denied.length > 0 ? { status, version, denied: { attributes: denied, message: denyMessage(model, id, denied) } } : { status, version };
}

async function applyDelete(ctx: ApplyContext, model: EntityModel, change: ChangeInput, locked: LockedRow | undefined): Promise<ChangeApplied> {
  const { id } = change;
  // R10: deleting what is already gone succeeds and does nothing.
  if (!locked) return { status: 'APPLIED', version: null };
  if (!locked.readable) {
    throw new ChangeFailure('ACCESS_DENIED', `${model.name} ${id} is not accessible to you`);
  }
  const existing = locked.row;
  if (!(await allowed(model.definition.access.delete, { viewer: ctx.viewer, db: ctx.userDb, row: existing, previous: null }))) {
    throw new ChangeFailure('ACCESS_DENIED', `${model.name} ${id}: you may not delete this object`);
  }
  await deleteObject(ctx, model, existing);
  return { status: 'APPLIED', version: null };
}

/** Deletes an object: references (restrict or cascade), hooks and the row (its tombstone is the trigger's). */
async function deleteObject(ctx: ApplyContext, model: EntityModel, row: Row): Promise<void> {
  const id = row.id as string;
  for (const other of ctx.registry.list) {
    for (const attribute of other.attributeList) {
      if (attribute.reference?.entity !== model.name) continue;
      const column = attribute.column;
      const referencing = await ctx.db.select().from(other.table).where(eq(column, id)).for('update');
      if (referencing.length === 0) continue;
      if (attribute.reference.onDelete !== 'cascade') {
        throw new ChangeFailure(
          'VALIDATION',
          `${model.name} ${id} cannot be deleted: ${referencing.length} ${other.name} object(s) still reference it through ${attribute.name}`);
      }
      for (const child of referencing) await deleteObject(ctx, other, child);
    }
  }
  const hookCtx = hookContext(ctx, 'DELETE', row, row, []);
  await runHook(model, 'beforeDelete', hookCtx, ctx.log);
  await ctx.db.delete(model.table).where(eq(model.table.id, id));
  await runHook(model, 'afterDelete', hookCtx, ctx.log);
  ctx.remove({ entity: model.name, id });
}
