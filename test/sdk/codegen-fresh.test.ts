import { readFileSync } from 'node:fs';
import { generate } from '@graphql-codegen/cli';
import { expect, it } from 'vitest';
import { codegenConfig } from '../../client-sdk/codegen/codegen-config.ts';

/** The committed SDK types and documents are what `npm run codegen` makes from schema.graphql now. */

it('client-sdk/src/generated is fresh (run `npm run codegen` when this fails)', async () => {
  const outputs: { filename: string; content: string }[] = await generate({ ...codegenConfig('schema.graphql'), silent: true }, false);
  expect(outputs.map((o) => o.filename).sort()).toEqual(['client-sdk/src/generated/entities.ts', 'client-sdk/src/generated/graphql.ts']);
  for (const { filename, content } of outputs) {
    expect(readFileSync(filename, 'utf8'), `${filename} is stale: run npm run codegen`).toBe(content);
  }
});
