import { createServer } from 'node:http';
import { loadConfig } from './config.ts';
import { createSyncServer } from './server.ts';

/** `npm start`: the sync server on PORT, with PGlite in ./.data unless DATABASE_URL is set. */
const config = loadConfig();
const server = await createSyncServer({ config });
const http = createServer(server.app.handleNode);
http.listen(config.port, () => {
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.pgliteDir}`;
  console.log(`Sync server (${config.mode}) on http://localhost:${port}/graphql, database: ${where}`);
  if (config.mode === 'development') {
    console.log('Open that URL for GraphiQL. Authenticate with the header "Authorization: Bearer dev:alice" (or dev:bob, dev:admin).');
  } else {
    console.log('Production mode: requests need a JWT (Authorization: Bearer <jwt>) signed with JWT_SECRET or a key of JWKS_URL.');
  }
});

async function shutdown() {
  http.close();
  await server.close();
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
