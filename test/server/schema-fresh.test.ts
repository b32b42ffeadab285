import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDemoRegistry } from '../../server/src/demo/entities.ts';
import { buildSchema, printSchemaSdl } from '../../server/src/graphql/schema.ts';

describe('schema.graphql', () => {
  it('is what the demo registry prints (run `npm run schema` when this fails)', () => {
    const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchemaSdl(buildSchema(createDemoRegistry())));
  });

  it('has the fixed names of the wire contract', () => {
    const sdl = printSchemaSdl(buildSchema(createDemoRegistry()));
    expect(sdl).toContain('synchronize(input: ChangeSet!, selection: [ObjectRef!]): SyncResult!');
    expect(sdl).toContain('input ObjectChange @oneOf');
    for (const name of ['SyncEntity', 'ChangeOp', 'ObjectKey', 'FileUrl', 'SynchronizationFailure', 'FailureReason', 'SyncObject']) {
      expect(sdl).toMatch(new RegExp(`(enum|type|input|interface) ${name} `));
    }
  });
});
