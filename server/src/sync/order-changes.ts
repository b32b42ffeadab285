import type { Registry } from '../registry/registry.ts';
import type { ChangeInput } from './types.ts';

/**
 * The order changes are applied in, so that objects created together may reference each other
 * in any order they were sent (R9): creates first, each after the in-set creates it references;
 * then updates as sent; then deletes, referencing objects before the objects they reference.
 * Returns indexes into `changes`.
 */
export function orderChanges(registry: Registry, changes: readonly ChangeInput[]): number[] {
  const creates: number[] = [];
  const updates: number[] = [];
  const deletes: number[] = [];
  changes.forEach((c, i) => (c.op === 'CREATE' ? creates : c.op === 'UPDATE' ? updates : deletes).push(i));
  return [...orderCreates(registry, changes, creates), ...updates, ...orderDeletes(registry, changes, deletes)];
}

function key(entity: string, id: string): string {
  return `${entity}:${id}`;
}

/** Depth-first: a create comes after the creates it references; cycles keep the sent order. */
function orderCreates(registry: Registry, changes: readonly ChangeInput[], creates: number[]): number[] {
  const byKey = new Map(creates.map((i) => [key(changes[i]!.entity, changes[i]!.id), i]));
  const done = new Set<number>();
  const visiting = new Set<number>();
  const result: number[] = [];
  const visit = (i: number) => {
    if (done.has(i) || visiting.has(i)) return;
    visiting.add(i);
    const change = changes[i]!;
    const model = registry.get(change.entity)!;
    for (const attribute of model.attributeList) {
      const target = change.values?.[attribute.name];
      if (!attribute.reference || typeof target !== 'string') continue;
      const dependency = byKey.get(key(attribute.reference.entity, target));
      if (dependency !== undefined) visit(dependency);
    }
    visiting.delete(i);
    done.add(i);
    result.push(i);
  };
  creates.forEach(visit);
  return result;
}

/** Entities that reference others are deleted first (stable within an entity). */
function orderDeletes(registry: Registry, changes: readonly ChangeInput[], deletes: number[]): number[] {
  const depth = new Map<string, number>();
  const depthOf = (entity: string, seen: Set<string>): number => {
    const known = depth.get(entity);
    if (known !== undefined) return known;
    if (seen.has(entity)) return 0;
    seen.add(entity);
    const referencing = registry.list.filter((m) => m.attributeList.some((a) => a.reference?.entity === entity && m.name !== entity));
    const d = referencing.length === 0 ? 0 : 1 + Math.max(...referencing.map((m) => depthOf(m.name, seen)));
    depth.set(entity, d);
    return d;
  };
  return [...deletes].sort((a, b) => depthOf(changes[a]!.entity, new Set()) - depthOf(changes[b]!.entity, new Set()));
}
