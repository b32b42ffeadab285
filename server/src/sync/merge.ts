import type { EntityModel } from '../registry/registry.ts';
import type { Viewer } from '../registry/viewer.ts';
import type { Row } from './types.ts';

/** R5: attribute-level merge of a device's update onto the server's current state. */

/** Equality of attribute values as the wire sees them (dates by instant, JSON by content). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (a instanceof Date || b instanceof Date) {
    const time = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN);
    return time(a) === time(b);
  }
  if (typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

export interface MergeResult {
  /** The values to write, per attribute. */
  values: Row;
  /** Attributes whose `reject` policy found a concurrent server change. */
  conflicts: string[];
  /** The server had changed since the device's base (the update was merged onto it). */
  merged: boolean;
}

/**
 * Merges the device's changed attributes. Attributes the device did not send are never touched.
 * When the device's base version is the server's version nothing changed meanwhile, so the
 * device's values apply as they are, whatever the policy.
 */
export function mergeUpdate(
  model: EntityModel,
  viewer: Viewer,
  server: Row,
  device: Row,
  base: Row | null | undefined,
  baseVersion: number | null | undefined,
): MergeResult {
  const concurrent = baseVersion == null || baseVersion !== server.version;
  const values: Row = {};
  const conflicts: string[] = [];
  for (const [name, value] of Object.entries(device)) {
    if (value === undefined) continue;
    const attribute = model.attributes.get(name)!;
    const hasBase = base != null && Object.hasOwn(base, name);
    const serverChanged = concurrent && (!hasBase || !sameValue(base[name], server[name]));
    const policy = attribute.merge;
    if (!serverChanged || policy === 'deviceWins') {
      values[name] = value;
    } else if (policy === 'reject') {
      if (!sameValue(value, server[name])) conflicts.push(name);
    } else {
      values[name] = policy({ viewer, attribute: name, base: hasBase ? base[name] : undefined, device: value, server: server[name] });
    }
  }
  return { values, conflicts, merged: concurrent && baseVersion != null && baseVersion !== server.version };
}
