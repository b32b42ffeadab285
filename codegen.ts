import { codegenConfig } from './client-sdk/codegen/codegen-config.ts';

/**
 * `npm run codegen`: generates the client SDK's typed documents and per-entity types from
 * `schema.graphql` into `client-sdk/src/generated/`. `test/sdk/codegen-fresh.test.ts` fails when
 * the committed output is stale.
 */
export default codegenConfig('schema.graphql');
