import type { SyncLimits } from '../config.ts';
import type { AttributeModel, EntityModel, Registry } from '../registry/registry.ts';
import { SyncRequestError } from './errors.ts';
import type { ChangeInput, Row, SyncInput } from './types.ts';

/**
 * Stage 1 of a sync: refuse a malformed request whole, before anything touches the database
 * (R11). GraphQL already checks types; this stage also guards direct callers of the core and
 * checks what GraphQL cannot: limits, UUIDs, attribute sets per operation.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_TOKEN_LENGTH = 200;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

function bad(message: string): never {
  throw new SyncRequestError('BAD_REQUEST', message);
}

function checkToken(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TOKEN_LENGTH) {
    bad(`${name} must be a non-empty string of at most ${MAX_TOKEN_LENGTH} characters`);
  }
}

/** A YYYY-MM-DD string naming a real day (2026-02-30 is not one). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** Whether a value fits the attribute's type (null is handled by the required checks later). */
function valueFits(attribute: AttributeModel, value: unknown): boolean {
  if (value === null) return true;
  const { type } = attribute;
  if ('enumName' in type) return typeof value === 'string' && type.values.includes(value);
  switch (type.scalar) {
    case 'ID':
      return typeof value === 'string' && (attribute.column.columnType !== 'PgUUID' || UUID.test(value));
    case 'String':
      return typeof value === 'string';
    case 'Int':
      return Number.isInteger(value) && (value as number) >= -2_147_483_648 && (value as number) <= 2_147_483_647;
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'Boolean':
      return typeof value === 'boolean';
    case 'Date':
      return isCalendarDate(value);
    case 'DateTime':
      return value instanceof Date && !Number.isNaN(value.getTime());
    case 'JSON':
      return true;
  }
}

function checkValues(model: EntityModel, change: ChangeInput, field: 'values' | 'base', values: Row): void {
  for (const name of Object.keys(values)) {
    const value = values[name];
    const attribute = model.attributes.get(name);
    if (!attribute || !attribute.deviceWritable) bad(`${model.name} ${change.id}: ${field}.${name} is not an attribute the device may send`);
    if (value === undefined) continue;
    if (!valueFits(attribute, value)) bad(`${model.name} ${change.id}: ${field}.${name} has a value of the wrong type`);
  }
}

function checkChange(registry: Registry, change: ChangeInput, index: number): void {
  const model = registry.get(change.entity);
  if (!model) bad(`changes[${index}]: unknown entity "${change.entity}"`);
  if (!isUuid(change.id)) bad(`changes[${index}]: id "${String(change.id)}" is not a UUID`);
  const { op, values, base } = change;
  if (op !== 'CREATE' && op !== 'UPDATE' && op !== 'DELETE') bad(`changes[${index}]: unknown op "${String(op)}"`);
  if (change.baseVersion != null && (!Number.isInteger(change.baseVersion) || change.baseVersion < 1)) {
    bad(`changes[${index}]: baseVersion must be a positive integer`);
  }
  if (op === 'CREATE' && !values) bad(`changes[${index}]: a CREATE needs values`);
  if (op === 'UPDATE' && !values) bad(`changes[${index}]: an UPDATE needs values`);
  if (op === 'DELETE' && (values || base)) bad(`changes[${index}]: a DELETE carries no values`);
  if (op !== 'UPDATE' && base) bad(`changes[${index}]: only an UPDATE carries base values`);
  if (values) checkValues(model, change, 'values', values);
  if (base) checkValues(model, change, 'base', base);
}

/** Refuses the whole input when anything is malformed or over the limits. */
export function validateSyncInput(registry: Registry, limits: SyncLimits, input: SyncInput): void {
  checkToken('clientId', input.clientId);
  checkToken('syncId', input.syncId);
  if (!Array.isArray(input.changes)) bad('changes must be a list');
  if (input.changes.length > limits.maxChanges) {
    throw new SyncRequestError(
      'LIMIT_EXCEEDED',
      `The change set has ${input.changes.length} changes; at most ${limits.maxChanges} are accepted in one synchronization`,
    );
  }
  input.changes.forEach((change, i) => checkChange(registry, change, i));
  const selection = input.selection;
  if (selection) {
    if (selection.length > limits.maxSelection) {
      throw new SyncRequestError('LIMIT_EXCEEDED', `The selection has ${selection.length} objects; at most ${limits.maxSelection} are accepted`);
    }
    selection.forEach((ref, i) => {
      if (!registry.get(ref.entity)) bad(`selection[${i}]: unknown entity "${ref.entity}"`);
      if (!isUuid(ref.id)) bad(`selection[${i}]: id "${String(ref.id)}" is not a UUID`);
    });
  }
}
