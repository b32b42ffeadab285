import type { ScalarKind } from '../registry/define-entity.ts';
import type { EntityModel } from '../registry/registry.ts';
import type { Row } from '../sync/types.ts';

/** The fields of an entity's GraphQL object type and how each is read from a row. */

/** The system fields every synced object has, with their GraphQL scalars. */
export const systemFieldTypes: [string, ScalarKind][] = [
  ['id', 'ID'],
  ['version', 'Int'],
  ['createdAt', 'DateTime'],
  ['changedAt', 'DateTime'],
];

/** An object on its way out through GraphQL: a row tagged with its entity. */
export type EntityObject = Row & { __entity: string };

export function tagObject(entity: string, row: Row): EntityObject {
  return { ...row, __entity: entity };
}

/** How one field of an entity's object type is read from its row; `now` gives the time calculated attributes use. */
export type FieldReader = (row: Row, now: () => Date) => unknown;

/**
 * The fields of an entity's object type and how each is read: the system fields and attributes
 * from the row, calculated attributes computed from it. The one definition behind both the
 * field resolvers and the serializer of download lists (`object-lists.ts`).
 */
export function fieldReaders(model: EntityModel): Map<string, FieldReader> {
  const readers = new Map<string, FieldReader>();
  for (const [name] of systemFieldTypes) readers.set(name, (row) => row[name]);
  for (const attribute of model.attributeList) readers.set(attribute.name, (row) => row[attribute.name]);
  for (const [name, calc] of Object.entries(model.definition.calculated ?? {})) {
    readers.set(name, (row, now) => calc.compute(row as never, { now: now() }));
  }
  return readers;
}
