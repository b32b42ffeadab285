// Guards postgres.js (3.4.x) against a known crash: a write scheduled with setImmediate runs after
// the connection closed and calls write() on a null socket, throwing an uncatchable TypeError
// that takes the whole server down (porsager/postgres#1066, #1154, #1208; fixes proposed in
// #1168, #1176, #1209, not released). By then closed() has already rejected the query with
// CONNECTION_CLOSED, so dropping the buffered write is safe. Runs on `npm install` / `npm ci`;
// idempotent; warns (without failing the install) when the driver's code no longer matches.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'postgres');
const original = 'function nextWrite(fn) {\n    const x = socket.write(chunk, fn)';
const patched = 'function nextWrite(fn) {\n    if (!socket) { chunk = nextWriteTimer = null; return false } // patched: see scripts/patch-postgres-driver.mjs\n    const x = socket.write(chunk, fn)';

for (const file of ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js']) {
  const path = join(root, file);
  if (!existsSync(path)) continue;
  const source = readFileSync(path, 'utf8');
  if (source.includes('patched: see scripts/patch-postgres-driver.mjs')) continue;
  if (!source.includes(original)) {
    console.warn(`patch-postgres-driver: ${file} no longer matches; check whether the upstream fix landed`);
    continue;
  }
  writeFileSync(path, source.replace(original, patched));
}
