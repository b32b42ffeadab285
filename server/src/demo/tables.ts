import { doublePrecision, date, index, integer, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { syncColumns, syncIndexes } from '../registry/system-columns.ts';

/** The demo field-service domain of DESIGN §4: drizzle tables. */

export const workOrderStatus = pgEnum('work_order_status', ['OPEN', 'IN_PROGRESS', 'DONE']);

export const customers = pgTable(
  'customer',
  {
    ...syncColumns(),
    name: text('name').notNull(),
    address: text('address'),
    phone: text('phone'),
  },
  (t) => [...syncIndexes(t)],
);

export const workOrders = pgTable(
  'work_order',
  {
    ...syncColumns(),
    title: text('title').notNull(),
    description: text('description'),
    status: workOrderStatus('status').notNull().default('OPEN'),
    customerId: uuid('customer_id').notNull(),
    assigneeId: text('assignee_id').notNull(),
    dueDate: date('due_date', { mode: 'string' }),
    hoursSpent: doublePrecision('hours_spent').notNull().default(0),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [...syncIndexes(t), index('work_order_assignee').on(t.assigneeId, t.id), index('work_order_customer').on(t.customerId)],
);

export const photos = pgTable(
  'photo',
  {
    ...syncColumns(),
    workOrderId: uuid('work_order_id').notNull(),
    caption: text('caption'),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    contentHash: text('content_hash').notNull(),
  },
  (t) => [...syncIndexes(t), index('photo_work_order').on(t.workOrderId, t.id)],
);

export const feedback = pgTable(
  'feedback',
  {
    ...syncColumns(),
    text: text('text').notNull(),
    rating: integer('rating'),
    authorId: text('author_id').notNull(),
  },
  (t) => [...syncIndexes(t), index('feedback_author').on(t.authorId, t.id)],
);
