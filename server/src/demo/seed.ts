import { count } from 'drizzle-orm';
import type { Db } from '../registry/define-entity.ts';
import { customers, workOrders } from './tables.ts';

/** The demo data set (DESIGN §4): a few customers and open work orders for alice and bob. */

export const seedIds = {
  customers: {
    harbor: '00000000-0000-4000-8000-000000000001',
    bakery: '00000000-0000-4000-8000-000000000002',
    school: '00000000-0000-4000-8000-000000000003',
  },
  workOrders: {
    alicePump: '00000000-0000-4000-8000-000000000101',
    aliceBoiler: '00000000-0000-4000-8000-000000000102',
    aliceInspection: '00000000-0000-4000-8000-000000000103',
    bobOven: '00000000-0000-4000-8000-000000000201',
    bobHeating: '00000000-0000-4000-8000-000000000202',
  },
} as const;

/** Inserts the demo data when the database has no customers yet; returns whether it did. */
export async function seedDemoData(db: Db): Promise<boolean> {
  const [existing] = await db.select({ n: count() }).from(customers);
  if (Number(existing?.n ?? 0) > 0) return false;
  const c = seedIds.customers;
  const w = seedIds.workOrders;
  await db.transaction(async (tx) => {
    await tx.insert(customers).values([
      { id: c.harbor, name: 'Harbor Logistics', address: 'Quay 4, Rotterdam', phone: '+31 10 555 0101' },
      { id: c.bakery, name: 'Bakkerij de Vries', address: 'Markt 12, Utrecht', phone: '+31 30 555 0202' },
      { id: c.school, name: 'Montessori School Oost', address: 'Parkweg 3, Amsterdam', phone: null },
    ]);
    await tx.insert(workOrders).values([
      { id: w.alicePump, title: 'Replace bilge pump', customerId: c.harbor, assigneeId: 'alice', dueDate: '2026-12-01' },
      { id: w.aliceBoiler, title: 'Service boiler', customerId: c.bakery, assigneeId: 'alice', dueDate: '2026-12-05', description: 'Annual maintenance' },
      { id: w.aliceInspection, title: 'Fire safety inspection', customerId: c.school, assigneeId: 'alice' },
      { id: w.bobOven, title: 'Repair oven thermostat', customerId: c.bakery, assigneeId: 'bob', dueDate: '2026-11-30' },
      { id: w.bobHeating, title: 'Bleed radiators', customerId: c.school, assigneeId: 'bob' },
    ]);
  });
  return true;
}
