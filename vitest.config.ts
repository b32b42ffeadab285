import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * One config for the whole suite. Each test file opens its own database (PGlite in memory, or a
 * fresh PostgreSQL database when DATABASE_URL / TEST_DATABASE_URL is set), so files run in
 * parallel processes; tests within a file share it.
 */
export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for Pothos and yoga; Vite would pick the .mjs build for
    // our own files, and graphql refuses to mix the two. Use the CommonJS one everywhere.
    alias: [{ find: /^graphql$/, replacement: fileURLToPath(new URL('./node_modules/graphql/index.js', import.meta.url)) }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
