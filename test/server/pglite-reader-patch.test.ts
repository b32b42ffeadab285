import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import { MARKER, patchReader, readerFiles } from '../../scripts/patch-pglite-reader.mjs';

/** The install-time patch of PGlite's protocol reader (`scripts/patch-pglite-reader.mjs`). */

// PGlite 0.5.16's reader, as minified in its ESM chunk: `string` decodes a copy made by `bytes`.
const READER =
  'cstring(){let t=r(this,w),n=t;for(;r(this,x).getUint8(n++)!==0;);let s=this.string(n-t-1);return d(this,w,n),s}' +
  'string(t){return r(this,le).decode(this.bytes(t))}' +
  'bytes(t){let n=r(this,x).buffer.slice(r(this,w),r(this,w)+t);return d(this,w,r(this,w)+t),new Uint8Array(n)}';

/**
 * Runs the reader's `string` over a message buffer. In the bundle `r` and `d` get and set private
 * fields through WeakMaps named `x` (the DataView), `w` (the offset) and `le` (the decoder); here
 * they are plain keys of a map.
 */
function readStrings(source: string, buffer: ArrayBuffer, lengths: number[]): string[] {
  const fields = new Map<string, unknown>([
    ['x', new DataView(buffer)],
    ['w', 0],
    ['le', new TextDecoder()],
  ]);
  const get = (_: unknown, key: string) => fields.get(key);
  const set = (_: unknown, key: string, value: unknown) => fields.set(key, value);
  const reader = new Function('r', 'd', `const x = 'x', w = 'w', le = 'le'; return new (class { ${source} })();`)(get, set);
  return lengths.map((length) => reader.string(length));
}

describe('the PGlite reader patch', () => {
  it('decodes in place what the copy decoded, and moves on by the same length', () => {
    const patched = patchReader(READER) as string;
    expect(patched).toContain(MARKER);
    expect(patched).not.toContain('decode(this.bytes(');
    expect(patchReader(patched)).toBe(patched);
    const text = ['plain', 'é 😀 "quoted"', '', 'last'];
    const bytes = new TextEncoder().encode(text.join(''));
    const lengths = text.map((part) => new TextEncoder().encode(part).length);
    expect(readStrings(patched, bytes.buffer, lengths)).toEqual(text);
    expect(readStrings(READER, bytes.buffer, lengths)).toEqual(text);
  });

  it('leaves a reader it does not recognise alone', () => {
    expect(patchReader('string(t){return this.decoder.decode(this.view(t))}')).toBeNull();
  });

  it('is applied to the installed PGlite, whose results still decode as before', async () => {
    const dist = join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')));
    expect(readerFiles(dist)).toEqual([]);
    const esm = readFileSync(join(dist, 'index.js'), 'utf8');
    const chunks = [...esm.matchAll(/from\s*"\.\/(chunk-[\w-]+\.js)"/g)].map((m) => readFileSync(join(dist, m[1]!), 'utf8'));
    expect(chunks.some((chunk) => chunk.includes(MARKER))).toBe(true);
  });
});

describe('PGlite with the patched reader', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite();
  });
  afterAll(() => db.close());

  it('reads text fields of every length and script, and nulls, row after row', async () => {
    const values = ['', 'a', 'é', '😀'.repeat(1000), 'x'.repeat(70_000), 'tab\tline\nend', null];
    const result = await db.query<{ i: number; v: string | null }>('select i, v from unnest($1::text[]) with ordinality as t(v, i) order by i', [values]);
    expect(result.rows.map((row) => row.v)).toEqual(values);
  });
});
