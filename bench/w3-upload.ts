import type { Database } from '@offline-sync/client-sdk';
import { fetchBaseline, openClient } from './clients.ts';
import { users } from './data.ts';
import { interleave, median } from './harness.ts';
import { ratioRow } from './results.ts';
import type { Workload } from './workload.ts';

/**
 * W3: uploading N changed objects in one sync (the SDK's `synchronize()`: change set, one
 * server transaction, rows locked and written set-wise, merge, hooks, and the post-commit state sent
 * back), against one `INSERT … ON CONFLICT DO UPDATE` of the same rows posted as JSON to the
 * bare handler, into a plain copy of the table. The edits are made (and committed) on the device
 * before each timed sync; building the baseline's rows is likewise untimed, serializing them is timed.
 *
 * A second reference, reported without a target, separates the database's share: the statements
 * the sync's rules need (claim and record the upload, lock and read the rows, the tracked write,
 * the post-commit read-back) run by hand from the bare handler on a tracked copy of the rows
 * (`POST /upsert-tracked`), timed the same way. Against the bulk upsert it is what the rules cost
 * the database; the sync against it is what the sync's own code costs.
 */
export const upload: Workload = {
  id: 'W3',
  title: 'upload of changed objects vs bulk upsert',
  async run({ options, main }) {
    const count = options.uploadObjects;
    const client: Database = await openClient(main.syncUrl, users.uploader);
    try {
      await client.synchronize();
      const orders = client.entity('WorkOrder');
      const ids = orders
        .list({ where: { assigneeId: users.uploader } })
        .map((order) => order.id)
        .slice(0, count);
      let round = 0;
      let baselineRows: Record<string, unknown>[] = [];
      let trackedRows: Record<string, unknown>[] = [];
      let trackedAnswered = 0;
      const statuses = new Map<string, number>();
      const samples = await interleave(
        {
          sdk: {
            prepare: async () => {
              round++;
              for (const [i, id] of ids.entries()) await orders.update(id, { hoursSpent: round + (i % 7), title: `Work order ${i} rev ${round}` }, { commit: true });
            },
            run: async () => {
              const report = await client.synchronize();
              for (const outcome of report.uploaded) statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
            },
          },
          tracked: {
            prepare: async () => {
              round++;
              trackedRows = ids.map((id, i) => ({ id, title: `Work order ${i} rev ${round}`, hours_spent: round + (i % 7) }));
            },
            run: async () => (trackedAnswered = ((await fetchBaseline(`${main.baselineUrl}/upsert-tracked`, users.uploader, { method: 'POST', body: JSON.stringify(trackedRows) })) as unknown[]).length),
          },
          baseline: {
            prepare: async () => {
              round++;
              baselineRows = ids.map((id, i) => {
                const order = orders.get(id)!;
                return {
                  id,
                  title: `Work order ${i} rev ${round}`,
                  description: order.description,
                  status: order.status,
                  customer_id: order.customerId,
                  assignee_id: order.assigneeId,
                  due_date: order.dueDate,
                  hours_spent: round + (i % 7),
                };
              });
            },
            run: () => fetchBaseline(`${main.baselineUrl}/upsert`, users.uploader, { method: 'POST', body: JSON.stringify(baselineRows) }),
          },
        },
        options.uploadRuns,
      );
      const [sdk, tracked, baseline] = [median(samples.sdk), median(samples.tracked), median(samples.baseline)];
      return {
        rows: [
          ratioRow({ case: `${ids.length} objects`, subject: sdk, baseline, unit: 'ms', target: { op: '<=', value: 2.0 } }),
          ratioRow({ case: `${ids.length} objects, the sync's SQL by hand`, against: 'bulk upsert', subject: tracked, baseline, unit: 'ms' }),
          ratioRow({ case: `${ids.length} objects`, against: "the sync's SQL by hand", subject: sdk, baseline: tracked, unit: 'ms' }),
        ],
        notes: { objects: ids.length, outcomesOverAllRuns: Object.fromEntries(statuses), trackedRowsAnswered: trackedAnswered, samples },
      };
    } finally {
      await client.close();
    }
  },
};
