import { parse, visit, type DocumentNode, type SelectionNode } from 'graphql';
import type { EntityMetadata } from './entity-types.ts';

/**
 * GraphQL documents the SDK builds at run time from entity metadata: the selection of entities
 * the generated documents do not know (an injected entity map), and the read queries of
 * `db.online(entity)`. The generated typed documents stay the source of everything else.
 */

/** Entity metadata keyed by entity name. */
export type MetadataByEntity = Readonly<Record<string, EntityMetadata>>;

/**
 * Adds `... on <Entity> { fields }` to every `upserted` selection of a document, for entities the
 * generated fragments do not cover; without such entities the document is returned as it is.
 */
export function withEntitySelections<D extends DocumentNode>(document: D, extra: MetadataByEntity): D {
  const names = Object.keys(extra);
  if (names.length === 0) return document;
  const fragments = names.map((name) => `... on ${name} { ${extra[name]!.fields.join(' ')} }`).join(' ');
  const [operation] = parse(`{ upserted { ${fragments} } }`).definitions;
  const field = operation && 'selectionSet' in operation ? operation.selectionSet?.selections[0] : undefined;
  const inline: readonly SelectionNode[] = field && 'selectionSet' in field ? (field.selectionSet?.selections ?? []) : [];
  return visit(document, {
    Field(node) {
      if (node.name.value !== 'upserted' || !node.selectionSet) return undefined;
      return { ...node, selectionSet: { ...node.selectionSet, selections: [...node.selectionSet.selections, ...inline] } };
    },
  }) as D;
}

/** The query reading one object by id; its result is under `data.object`. */
export function onlineGetQuery(entity: string, metadata: EntityMetadata): string {
  return `query OnlineGet${entity}($id: ID!) { object: ${metadata.queries.get}(id: $id) { ${metadata.fields.join(' ')} } }`;
}

/** The query reading a page of objects; its result is under `data.page`. */
export function onlineListQuery(entity: string, metadata: EntityMetadata): string {
  return (
    `query OnlineList${entity}($filter: ${entity}Filter, $orderBy: ${entity}SortField, $direction: SortDirection, $first: Int, $after: String) ` +
    `{ page: ${metadata.queries.list}(filter: $filter, orderBy: $orderBy, direction: $direction, first: $first, after: $after) ` +
    `{ items { ${metadata.fields.join(' ')} } totalCount nextCursor } }`
  );
}
