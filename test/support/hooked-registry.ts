import { demoEntities, workOrderEntity } from '../../server/src/demo/entities.ts';
import type { EntityHooks, SyncTable } from '../../server/src/registry/define-entity.ts';
import { createRegistry, type Registry } from '../../server/src/registry/registry.ts';

/**
 * The demo registry with extra WorkOrder hooks, for tests that count or sabotage hook runs. The
 * demo's own hooks (validation, completedAt) stay; the given ones are added or replace theirs.
 */
export function demoRegistryWithWorkOrderHooks(hooks: EntityHooks<SyncTable>): Registry {
  const workOrder = { ...workOrderEntity, hooks: { ...workOrderEntity.hooks, ...hooks } };
  return createRegistry(demoEntities.map((e) => (e.name === 'WorkOrder' ? workOrder : e)));
}
