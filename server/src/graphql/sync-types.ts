import { downloadModes } from '../registry/define-entity.ts';
import type { Registry } from '../registry/registry.ts';
import { failureReasons } from '../sync/errors.ts';
import { listFailures, resolveFailure } from '../sync/failures.ts';
import { synchronize, synchronizePage } from '../sync/synchronize.ts';
import type { ChangeInput, ChangeOutcome, FailureRecord, FileUrlData, ObjectKey, SyncInput, SyncResultData } from '../sync/types.ts';
import type { Builder, GraphQLContext } from './builder.ts';
import type { EntityRefs } from './entity-types.ts';
import type { RecordReaders } from './object-lists.ts';

/** The wire contract of DESIGN §5 around the generated entity types. */

type TypeRef = never;

/** How `ObjectKey`'s fields are read, by their resolvers and by the serialized `deleted` list alike. */
const keyFields = { entity: (k: ObjectKey) => k.entity, id: (k: ObjectKey) => k.id };
export const keyReaders: RecordReaders<ObjectKey> = new Map(Object.entries(keyFields));

/** How `ChangeOutcome`'s fields are read, by their resolvers and by the serialized `outcomes` list alike. */
const outcomeFields = {
  entity: (o: ChangeOutcome) => o.entity,
  id: (o: ChangeOutcome) => o.id,
  status: (o: ChangeOutcome) => o.status,
  version: (o: ChangeOutcome) => o.version,
  failureId: (o: ChangeOutcome) => o.failureId,
};
export const outcomeReaders: RecordReaders<ChangeOutcome> = new Map(Object.entries(outcomeFields));

/** How `SynchronizationFailure`'s fields are read, by their resolvers and by the sync lane alike. */
const failureFields = {
  id: (f: FailureRecord) => f.id,
  entity: (f: FailureRecord) => f.entity,
  objectId: (f: FailureRecord) => f.objectId,
  reason: (f: FailureRecord) => f.reason,
  message: (f: FailureRecord) => f.message,
  content: (f: FailureRecord) => f.content,
  syncId: (f: FailureRecord) => f.syncId,
  clientId: (f: FailureRecord) => f.clientId,
  viewerId: (f: FailureRecord) => f.viewerId,
  createdAt: (f: FailureRecord) => f.createdAt,
  resolvedAt: (f: FailureRecord) => f.resolvedAt,
};
export const failureReaders: RecordReaders<FailureRecord> = new Map(Object.entries(failureFields));

/** How `FileUrl`'s fields are read, by their resolvers and by the sync lane alike; `url` is made absolute with the request's base URL. */
const fileUrlFields = {
  entity: (f: FileUrlData) => f.entity,
  id: (f: FileUrlData) => f.id,
  contentHash: (f: FileUrlData) => f.contentHash,
  size: (f: FileUrlData) => f.size,
  expiresAt: (f: FileUrlData) => f.expiresAt,
};
const absoluteFileUrl = (f: FileUrlData, baseUrl: string) => new URL(f.url, baseUrl).toString();

/** `FileUrl`'s readers for the requests to one base URL. */
export function fileUrlReaders(baseUrl: string): RecordReaders<FileUrlData> {
  return new Map<string, (f: FileUrlData) => unknown>([...Object.entries(fileUrlFields), ['url', (f) => absoluteFileUrl(f, baseUrl)]]);
}

/** `ObjectChange` is a one-of keyed by entity name; the core wants the entity named inside. */
function toChangeInput(change: Record<string, unknown>): ChangeInput {
  const entries = Object.entries(change).filter(([, v]) => v != null);
  const [entity, value] = entries[0]!;
  return { entity, ...(value as Omit<ChangeInput, 'entity'>) };
}

/** What `synchronize` and `download` share of the core's input: the sync's ids, its checkpoint and the selected objects. */
function toSyncInput(input: DownloadArgs['input'], selection: DownloadArgs['selection']): Omit<SyncInput, 'changes'> {
  return {
    clientId: String(input.clientId),
    syncId: String(input.syncId),
    checkpoint: input.checkpoint ?? null,
    selection: selection ? selection.map((r) => ({ entity: String(r.entity), id: String(r.id) })) : null,
  };
}

/** The arguments of the `download` query, as graphql-js coerces them. */
interface DownloadArgs {
  input: { clientId: string | number; syncId: string | number; checkpoint?: string | null };
  selection?: readonly { entity: unknown; id: string | number }[] | null;
}

/** The arguments of the `synchronize` mutation, as graphql-js coerces them. */
interface SynchronizeArgs {
  input: DownloadArgs['input'] & { changes: readonly Record<string, unknown>[] };
  selection?: DownloadArgs['selection'];
}

/**
 * The resolvers of the operations every sync makes, shared by the schema and the sync lane
 * (`sync-lane.ts`), which runs them without graphql-js. In the schema each answers the lane's
 * outcome instead when the lane ran it already (`GraphQLContext.laneOutcome`).
 */
export const syncOperations = {
  synchronize: ({ input, selection }: SynchronizeArgs, { viewer, services }: GraphQLContext) =>
    synchronize(services, viewer, { ...toSyncInput(input, selection), changes: input.changes.map(toChangeInput) }),
  download: ({ input, selection }: DownloadArgs, { viewer, services }: GraphQLContext) =>
    synchronize(services, viewer, { ...toSyncInput(input, selection), changes: [] }),
  downloadPage: ({ cursor }: { cursor: string }, { viewer, services }: GraphQLContext) => synchronizePage(services, viewer, cursor),
};

/** The operations the sync lane can run. */
export type SyncOperationName = keyof typeof syncOperations;

export function addSyncTypes(builder: Builder, registry: Registry, refs: EntityRefs): void {
  const { syncEntity, syncObject, lists } = refs;
  const objectChange = builder.inputType('ObjectChange', {
    isOneOf: true,
    description: 'One change; exactly one field, named after the entity, is set.',
    fields: (t) =>
      Object.fromEntries(registry.list.map((m) => [m.name, t.field({ type: refs.changeInputs.get(m.name)!, required: false })])) as never,
  }) as TypeRef;
  const changeSet = builder.inputType('ChangeSet', {
    fields: (t) => ({
      clientId: t.id({ required: true, description: 'One per device installation.' }),
      syncId: t.id({ required: true, description: 'One per upload; a retry of the same upload sends the same syncId.' }),
      checkpoint: t.string({ required: false, description: 'From the last completed full sync; null on the first sync.' }),
      changes: t.field({ type: [objectChange], required: true }),
    }),
  });
  const downloadRequest = builder.inputType('DownloadRequest', {
    description: 'A change set with nothing to upload: what the `download` query takes.',
    fields: (t) => ({
      clientId: t.id({ required: true, description: 'One per device installation.' }),
      syncId: t.id({ required: true, description: 'One per sync (for its download pages).' }),
      checkpoint: t.string({ required: false, description: 'From the last completed full sync; null on the first sync.' }),
    }),
  });
  const objectRef = builder.inputType('ObjectRef', {
    fields: (t) => ({ entity: t.field({ type: syncEntity, required: true }), id: t.id({ required: true }) }),
  });

  const objectKey = builder.objectRef<ObjectKey>('ObjectKey').implement({
    fields: (t) => ({ entity: t.field({ type: syncEntity, resolve: (k) => keyFields.entity(k) as never }), id: t.id({ resolve: keyFields.id }) }),
  });
  const fileUrl = builder.objectRef<FileUrlData>('FileUrl').implement({
    fields: (t) => ({
      entity: t.field({ type: syncEntity, resolve: (f) => fileUrlFields.entity(f) as never }),
      id: t.id({ resolve: fileUrlFields.id }),
      contentHash: t.string({ resolve: fileUrlFields.contentHash }),
      size: t.int({ resolve: fileUrlFields.size }),
      url: t.string({ description: 'A signed URL that works until expiresAt.', resolve: (f, _, { baseUrl }) => absoluteFileUrl(f, baseUrl) }),
      expiresAt: t.field({ type: 'DateTime', resolve: fileUrlFields.expiresAt }),
    }),
  });
  const failureReason = builder.enumType('FailureReason', { values: [...failureReasons] }) as TypeRef;
  const failure = builder.objectRef<FailureRecord>('SynchronizationFailure').implement({
    description: 'A change that could not be applied, with what was sent (R13).',
    fields: (t) => ({
      id: t.id({ resolve: failureFields.id }),
      entity: t.field({ type: syncEntity, resolve: (f) => failureFields.entity(f) as never }),
      objectId: t.id({ resolve: failureFields.objectId }),
      reason: t.field({ type: failureReason, resolve: (f) => failureFields.reason(f) as never }),
      message: t.string({ resolve: failureFields.message }),
      content: t.field({ type: 'JSON', description: 'What was sent: { op, baseVersion, values, base }.', resolve: failureFields.content }),
      syncId: t.id({ resolve: failureFields.syncId }),
      clientId: t.id({ resolve: failureFields.clientId }),
      viewerId: t.id({ resolve: failureFields.viewerId }),
      createdAt: t.field({ type: 'DateTime', resolve: failureFields.createdAt }),
      resolvedAt: t.field({ type: 'DateTime', nullable: true, resolve: failureFields.resolvedAt }),
    }),
  });
  const changeStatus = builder.enumType('ChangeStatus', {
    values: {
      APPLIED: { description: 'Applied as sent.' },
      MERGED: { description: 'Applied onto a server state that had changed since the device last synced.' },
      FAILED: { description: 'Not applied; see the failure record.' },
    },
  });
  const outcome = builder.objectRef<ChangeOutcome>('ChangeOutcome').implement({
    description: 'What happened to one uploaded change, in the order sent (R23).',
    fields: (t) => ({
      entity: t.field({ type: syncEntity, resolve: (o) => outcomeFields.entity(o) as never }),
      id: t.id({ resolve: outcomeFields.id }),
      status: t.field({ type: changeStatus, resolve: outcomeFields.status }),
      version: t.int({ nullable: true, resolve: outcomeFields.version }),
      failureId: t.id({ nullable: true, description: 'Set when the change failed or some attributes were denied.', resolve: outcomeFields.failureId }),
    }),
  });
  const syncResult = builder.objectRef<SyncResultData>('SyncResult').implement({
    fields: (t) => ({
      syncId: t.exposeID('syncId'),
      checkpoint: t.exposeString('checkpoint', {
        description: 'For the next full sync. Selective syncs return the checkpoint they were given ("" when none).',
      }),
      hasMore: t.exposeBoolean('hasMore', { description: 'The download continues: fetch downloadPage(cursor: nextPage) and apply all pages at once.' }),
      nextPage: t.exposeString('nextPage', { nullable: true, description: 'The cursor of the next download page, when hasMore.' }),
      reset: t.exposeBoolean('reset', {
        description: "The download is complete: the device replaces its data of the downloaded entities with it, pending changes kept.",
      }),
      upserted: t.field({ type: [syncObject], resolve: (r, _, context, info) => lists.resolve(r.upserted, context, info) as never }),
      deleted: t.field({ type: [objectKey], resolve: (r, _, context, info) => lists.resolveRecords('ObjectKey', r.deleted, keyReaders, context, info) as never }),
      files: t.field({ type: [fileUrl], resolve: (r) => r.files }),
      failures: t.field({ type: [failure], resolve: (r) => r.failures }),
      outcomes: t.field({
        type: [outcome],
        resolve: (r, _, context, info) => lists.resolveRecords('ChangeOutcome', r.outcomes, outcomeReaders, context, info) as never,
      }),
      replayed: t.exposeBoolean('replayed', {
        description: 'This (clientId, syncId) was applied before: the recorded outcome is returned and nothing was applied again.',
      }),
    }),
  });

  builder.mutationField('synchronize', (t) =>
    t.field({
      type: syncResult,
      description: 'Uploads a change set and downloads what the device must know (full sync, or selective when selection is given).',
      args: { input: t.arg({ type: changeSet, required: true }), selection: t.arg({ type: [objectRef], required: false }) },
      resolve: (_, args, context) => context.laneOutcome?.() ?? syncOperations.synchronize(args as SynchronizeArgs, context),
    }),
  );

  builder.queryField('download', (t) =>
    t.field({
      type: syncResult,
      description:
        '`synchronize` with nothing to upload, as a query, so that it can be sent by GET: an idle sync, or a selective one of objects without pending changes. It writes nothing.',
      args: { input: t.arg({ type: downloadRequest, required: true }), selection: t.arg({ type: [objectRef], required: false }) },
      resolve: (_, args, context) => context.laneOutcome?.() ?? syncOperations.download(args, context),
    }),
  );

  builder.queryField('downloadPage', (t) =>
    t.field({
      type: syncResult,
      description: "The next page of a full sync's download (R17): pass the previous page's nextPage.",
      args: { cursor: t.arg.string({ required: true }) },
      resolve: (_, args, context) => context.laneOutcome?.() ?? syncOperations.downloadPage(args, context),
    }),
  );

  builder.queryField('synchronizationFailures', (t) =>
    t.field({
      type: [failure],
      description: 'Your failure records, newest first (admins: everyone\'s).',
      args: {
        entity: t.arg({ type: syncEntity, required: false }),
        includeResolved: t.arg.boolean({ required: false, defaultValue: false }),
        first: t.arg.int({ required: false, defaultValue: 100 }),
        offset: t.arg.int({ required: false, defaultValue: 0 }),
      },
      resolve: (_, args, { viewer, services }) =>
        listFailures(services.db, viewer, {
          entity: (args.entity as string | null | undefined) ?? null,
          includeResolved: args.includeResolved,
          first: Math.max(0, Math.min(args.first ?? 100, services.limits.maxPageSize)),
          offset: Math.max(0, args.offset ?? 0),
        }),
    }),
  );
  builder.mutationField('resolveSynchronizationFailure', (t) =>
    t.field({
      type: failure,
      description: 'Marks one of your failure records resolved (admins: any).',
      args: { id: t.arg.id({ required: true }) },
      resolve: (_, { id }, { viewer, services }) => resolveFailure(services.db, viewer, String(id), new Date()),
    }),
  );

  const downloadMode = builder.enumType('DownloadMode', { values: [...downloadModes] });
  const entityInfo = builder.objectRef<{ entity: string; downloadMode: (typeof downloadModes)[number]; isFile: boolean }>('SyncEntityInfo').implement({
    description: 'How full sync treats one entity (R15), and whether it carries file contents (F1).',
    fields: (t) => ({
      entity: t.field({ type: syncEntity, resolve: (i) => i.entity as never }),
      downloadMode: t.field({ type: downloadMode, resolve: (i) => i.downloadMode }),
      isFile: t.exposeBoolean('isFile'),
    }),
  });
  builder.queryField('syncEntities', (t) =>
    t.field({
      type: [entityInfo],
      description: 'Every synced entity and its download mode.',
      resolve: () => registry.list.map((m) => ({ entity: m.name, downloadMode: m.definition.download.mode, isFile: m.isFile })),
    }),
  );

  const viewerType = builder.objectRef<{ id: string; roles: readonly string[] }>('Viewer').implement({
    fields: (t) => ({ id: t.exposeID('id'), roles: t.stringList({ resolve: (v) => [...v.roles] }) }),
  });
  builder.queryField('viewer', (t) => t.field({ type: viewerType, description: 'Who you are.', resolve: (_, __, { viewer }) => viewer }));
}
