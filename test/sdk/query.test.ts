import { describe, expect, it } from 'vitest';
import { runQuery } from '../../client-sdk/src/query.ts';

/** Unit tests of list filters and sorting. */

interface Order {
  id: string;
  title: string;
  status: 'OPEN' | 'DONE';
  hoursSpent: number;
  dueDate: string | null;
}
const orders: Order[] = [
  { id: '1', title: 'Pump', status: 'OPEN', hoursSpent: 2, dueDate: '2026-12-01' },
  { id: '2', title: 'Boiler', status: 'DONE', hoursSpent: 5, dueDate: null },
  { id: '3', title: 'Inspection', status: 'OPEN', hoursSpent: 0, dueDate: '2026-11-01' },
];
const ids = (list: Order[]) => list.map((o) => o.id);

describe('list queries', () => {
  it('filters by equality and by operators, combined with AND', () => {
    expect(ids(runQuery(orders, { where: { status: 'OPEN' } }))).toEqual(['1', '3']);
    expect(ids(runQuery(orders, { where: { status: 'OPEN', hoursSpent: { gt: 1 } } }))).toEqual(['1']);
    expect(ids(runQuery(orders, { where: { status: { in: ['DONE'] } } }))).toEqual(['2']);
    expect(ids(runQuery(orders, { where: { dueDate: null } }))).toEqual(['2']);
    expect(ids(runQuery(orders, { where: { dueDate: { lt: '2026-11-15' } } }))).toEqual(['3']);
    expect(ids(runQuery(orders, { where: { title: { contains: 'PUMP' } } }))).toEqual(['1']);
    expect(ids(runQuery(orders, { where: { status: { ne: 'OPEN' } } }))).toEqual(['2']);
    expect(ids(runQuery(orders, { filter: (o) => o.hoursSpent === 0 }))).toEqual(['3']);
  });

  it('sorts by several keys and directions, nulls last, then pages', () => {
    expect(ids(runQuery(orders, { orderBy: 'title' }))).toEqual(['2', '3', '1']);
    expect(ids(runQuery(orders, { orderBy: { field: 'hoursSpent', direction: 'desc' } }))).toEqual(['2', '1', '3']);
    expect(ids(runQuery(orders, { orderBy: 'dueDate' }))).toEqual(['3', '1', '2']);
    expect(ids(runQuery(orders, { orderBy: { field: 'dueDate', direction: 'desc' } }))).toEqual(['1', '3', '2']);
    expect(ids(runQuery(orders, { orderBy: ['status', { field: 'hoursSpent', direction: 'desc' }] }))).toEqual(['2', '1', '3']);
    expect(ids(runQuery(orders, { orderBy: 'id', offset: 1, limit: 1 }))).toEqual(['2']);
  });
});
