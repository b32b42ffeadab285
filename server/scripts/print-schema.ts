import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDemoRegistry } from '../src/demo/entities.ts';
import { buildSchema, printSchemaSdl } from '../src/graphql/schema.ts';

/** `npm run schema`: prints the demo server's schema to schema.graphql. */
const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
writeFileSync(target, printSchemaSdl(buildSchema(createDemoRegistry())));
console.log(`Wrote ${target}`);
