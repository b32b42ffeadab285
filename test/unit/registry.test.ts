import { pgTable, text } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { defineEntity } from '../../server/src/registry/define-entity.ts';
import { createRegistry, writableAttributes } from '../../server/src/registry/registry.ts';
import { syncColumns } from '../../server/src/registry/system-columns.ts';
import { createDemoRegistry } from '../../server/src/demo/entities.ts';

describe('createRegistry', () => {
  it('derives attributes, GraphQL types and writability from the declaration', () => {
    const registry = createDemoRegistry();
    const workOrder = registry.get('WorkOrder')!;
    expect(workOrder.attributes.get('status')!.type).toEqual({ enumName: 'WorkOrderStatus', values: ['OPEN', 'IN_PROGRESS', 'DONE'] });
    expect(workOrder.attributes.get('completedAt')!.deviceWritable).toBe(false);
    expect([...writableAttributes(registry.get('Customer')!, ['fieldworker'])]).toEqual(['phone']);
    expect(writableAttributes(registry.get('Customer')!, ['admin']).size).toBe(3);
  });

  it('refuses declarations that name unknown attributes or entities, or lack system columns', () => {
    const table = pgTable('thing', { ...syncColumns(), name: text('name') });
    const base = { name: 'Thing', table, download: { mode: 'ALL' as const }, access: { writable: {} } };
    expect(() => createRegistry([defineEntity({ ...base, access: { writable: { admin: ['nope' as 'name'] } } })])).toThrow(/unknown attribute "nope"/);
    expect(() => createRegistry([defineEntity({ ...base, references: { name: { entity: 'Missing' } } })])).toThrow(/unknown entity "Missing"/);
    expect(() => createRegistry([defineEntity(base), defineEntity(base)])).toThrow(/declared twice/);
    const bare = pgTable('bare', { id: text('id') });
    expect(() => createRegistry([{ ...base, table: bare } as never])).toThrow(/system column/);
  });
});
