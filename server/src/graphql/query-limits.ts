import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';

/**
 * Query depth and cost limits, checked when a document is validated, before anything runs:
 * a document nested deeper than `maxDepth`, or selecting more than `maxFields` fields once its
 * fragments are expanded, is refused with a clear error. Expanding fragments counts every use, so
 * fragment fan-out ("billion laughs") cannot hide cost.
 */
export interface QueryLimits {
  maxDepth: number;
  maxFields: number;
}

export function queryLimitsRule(limits: QueryLimits) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    /** Fields and depth of a selection set; stops counting once a limit is passed. */
    const measure = (set: SelectionSetNode, depth: number, seen: ReadonlySet<string>, budget: { fields: number; depth: number }): void => {
      budget.depth = Math.max(budget.depth, depth);
      for (const selection of set.selections) {
        if (budget.fields > limits.maxFields || budget.depth > limits.maxDepth) return;
        if (selection.kind === Kind.FIELD) {
          budget.fields += 1;
          if (selection.selectionSet) measure(selection.selectionSet, depth + 1, seen, budget);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          measure(selection.selectionSet, depth, seen, budget);
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          // Cycles are reported by GraphQL's own rule; unknown fragments too.
          if (fragment && !seen.has(name)) measure(fragment.selectionSet, depth, new Set([...seen, name]), budget);
        }
      }
    };
    return {
      OperationDefinition(operation) {
        const budget = { fields: 0, depth: 0 };
        measure(operation.selectionSet, 1, new Set(), budget);
        if (budget.depth > limits.maxDepth) {
          context.reportError(new GraphQLError(`The query is nested deeper than the limit of ${limits.maxDepth} levels`, { nodes: [operation], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
        } else if (budget.fields > limits.maxFields) {
          context.reportError(new GraphQLError(`The query selects more than the limit of ${limits.maxFields} fields`, { nodes: [operation], extensions: { code: 'QUERY_TOO_COMPLEX' } }));
        }
      },
    };
  };
}
