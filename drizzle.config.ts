import { defineConfig } from 'drizzle-kit';

/** drizzle-kit reads the tables here and writes SQL migrations to server/drizzle (`npm run db:generate`). */
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/src/db/schema.ts',
  out: './server/drizzle',
});
