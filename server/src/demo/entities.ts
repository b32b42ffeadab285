import { eq, inArray } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import { defineEntity, type Db } from '../registry/define-entity.ts';
import { createRegistry, type Registry } from '../registry/registry.ts';
import { isAdmin, type Viewer } from '../registry/viewer.ts';
import { customers, feedback, photos, workOrders } from './tables.ts';

/** The demo field-service domain of DESIGN §4: one declaration per entity. */

export const FIELDWORKER = 'fieldworker';

const ownWorkOrders = (viewer: Viewer, table: typeof workOrders) =>
  isAdmin(viewer) ? true : eq(table.assigneeId, viewer.id);

export const customerEntity = defineEntity({
  name: 'Customer',
  table: customers,
  description: 'A customer whose sites the field workers visit.',
  download: { mode: 'ALL' },
  access: {
    create: ({ viewer }) => isAdmin(viewer),
    update: true,
    delete: ({ viewer }) => isAdmin(viewer),
    writable: { admin: 'all', [FIELDWORKER]: ['phone'] },
  },
});

let lastNow: Date | null = null;
let lastDay = '';

/** `now` as YYYY-MM-DD; the objects of one download share one `now`, so it is formatted once. */
function dayOf(now: Date): string {
  if (now !== lastNow) [lastNow, lastDay] = [now, now.toISOString().slice(0, 10)];
  return lastDay;
}

export const workOrderEntity = defineEntity({
  name: 'WorkOrder',
  table: workOrders,
  description: 'A job at a customer, assigned to one field worker.',
  download: { mode: 'FILTERED', filter: ownWorkOrders },
  access: {
    read: ownWorkOrders,
    create: ({ viewer, row }) => isAdmin(viewer) || row.assigneeId === viewer.id,
    update: ({ viewer, row, previous }) =>
      isAdmin(viewer) || (previous?.assigneeId === viewer.id && row.assigneeId === viewer.id),
    delete: ({ viewer, row }) => isAdmin(viewer) || row.assigneeId === viewer.id,
    writable: { admin: 'all', [FIELDWORKER]: 'all' },
  },
  serverOnly: ['completedAt'],
  references: { customerId: { entity: 'Customer' } },
  hooks: {
    validate: ({ row }) => {
      const errors: string[] = [];
      if (row.hoursSpent < 0) errors.push(`hoursSpent must be at least 0, got ${row.hoursSpent}`);
      if (row.title.trim() === '') errors.push('title must not be empty');
      return errors;
    },
    beforeCommit: ({ row, previous, now }) => {
      if (row.status === 'DONE' && previous?.status !== 'DONE') row.completedAt = now;
      if (row.status !== 'DONE') row.completedAt = null;
    },
  },
  calculated: {
    isOverdue: {
      type: 'Boolean',
      description: 'The due date is before today and the work order is not DONE.',
      compute: (row, { now }) => row.dueDate !== null && row.dueDate < dayOf(now) && row.status !== 'DONE',
    },
  },
});

/** A fieldworker may write a photo when they may write its work order. */
async function canWriteWorkOrder(db: Db, viewer: Viewer, workOrderId: string): Promise<boolean> {
  if (isAdmin(viewer)) return true;
  const [order] = await db
    .select({ assigneeId: workOrders.assigneeId })
    .from(workOrders)
    .where(eq(workOrders.id, workOrderId));
  return order?.assigneeId === viewer.id;
}

export const photoEntity = defineEntity({
  name: 'Photo',
  table: photos,
  description: 'A photo taken on site for a work order; its content is uploaded to /files.',
  file: true,
  download: {
    mode: 'FILTERED',
    filter: (viewer, table) => isAdmin(viewer) || inArray(table.workOrderId, readableWorkOrderIds(viewer)),
    dependsOn: ['workOrderId'],
  },
  access: {
    read: (viewer, table) => isAdmin(viewer) || inArray(table.workOrderId, readableWorkOrderIds(viewer)),
    create: ({ db, viewer, row }) => canWriteWorkOrder(db, viewer, row.workOrderId),
    update: async ({ db, viewer, row, previous }) =>
      (await canWriteWorkOrder(db, viewer, row.workOrderId)) &&
      (previous === null || (await canWriteWorkOrder(db, viewer, previous.workOrderId))),
    delete: ({ db, viewer, row }) => canWriteWorkOrder(db, viewer, row.workOrderId),
    writable: { admin: 'all', [FIELDWORKER]: 'all' },
  },
  references: { workOrderId: { entity: 'WorkOrder', onDelete: 'cascade' } },
});

const queryBuilder = new QueryBuilder();

/** The ids of the work orders a fieldworker may read, as a subquery. */
function readableWorkOrderIds(viewer: Viewer) {
  return queryBuilder.select({ id: workOrders.id }).from(workOrders).where(eq(workOrders.assigneeId, viewer.id));
}

export const feedbackEntity = defineEntity({
  name: 'Feedback',
  table: feedback,
  description: 'Feedback from the field: uploaded, never downloaded.',
  download: { mode: 'NOTHING_CLEAR' },
  access: {
    read: (viewer, table) => isAdmin(viewer) || eq(table.authorId, viewer.id),
    create: true,
    writable: { admin: ['text', 'rating'], [FIELDWORKER]: ['text', 'rating'] },
  },
  serverOnly: ['authorId'],
  hooks: {
    validate: ({ row }) =>
      row.rating !== null && (row.rating < 1 || row.rating > 5) ? `rating must be between 1 and 5, got ${row.rating}` : undefined,
    beforeCommit: ({ op, row, viewer }) => {
      if (op === 'CREATE') row.authorId = viewer.id;
    },
  },
});

/** The demo entities, in the order they appear in the schema. */
export const demoEntities = [customerEntity, workOrderEntity, photoEntity, feedbackEntity];

/** The registry `npm start` serves. */
export function createDemoRegistry(): Registry {
  return createRegistry(demoEntities);
}
