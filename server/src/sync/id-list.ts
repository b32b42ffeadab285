import { sql, type SQL } from 'drizzle-orm';
import type { EntityModel } from '../registry/registry.ts';

/** `id = any(array)`: one parameter for any number of ids, however many (drizzle's `inArray` binds one each). */
export function idIn(model: EntityModel, ids: Iterable<string>): SQL {
  const literal = `{${[...ids].map((id) => `"${id.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
  return sql`${model.table.id} = any(${literal}::${sql.raw(model.table.id.getSQLType())}[])`;
}
