import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../support/graphql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Authentication: dev tokens in development, JWTs in production, 401 with a clear message otherwise. */

const SECRET = 'test-secret-that-is-long-enough-for-hs256';
let dev: TestServer;
let prod: TestServer;
let jwksProd: TestServer;
let jwksHost: Server;
let signingKey: CryptoKey;
beforeAll(async () => {
  // A JWKS endpoint on loopback, as an identity provider would publish it.
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  signingKey = privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
  jwksHost = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise<void>((resolve) => jwksHost.listen(0, '127.0.0.1', resolve));
  const port = (jwksHost.address() as { port: number }).port;
  [dev, prod, jwksProd] = await Promise.all([
    startTestServer(),
    startTestServer({ config: { mode: 'production', graphiql: false, introspection: false, auth: { jwtSecret: SECRET } } }),
    startTestServer({ config: { mode: 'production', auth: { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer: 'https://idp.test' } } }),
  ]);
});
afterAll(async () => {
  await Promise.all([dev.close(), prod.close(), jwksProd.close()]);
  jwksHost.close();
});

async function withToken(server: TestServer, token: string | null, query = '{ viewer { id roles } }') {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = token;
  const response = await server.fetch(server.url, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as { data?: { viewer: { id: string; roles: string[] } }; errors?: { message: string }[] } };
}

function jwt(claims: Record<string, unknown>, secret = SECRET, expiresIn = '1h') {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}

describe('development mode', () => {
  it('accepts dev tokens for the seeded users with their roles', async () => {
    expect((await withToken(dev, 'Bearer dev:alice')).body.data!.viewer).toEqual({ id: 'alice', roles: ['fieldworker'] });
    expect((await withToken(dev, 'Bearer dev:admin')).body.data!.viewer).toEqual({ id: 'admin', roles: ['admin'] });
  });

  it('answers 401 with a clear message without a token or with a bad one', async () => {
    const none = await withToken(dev, null);
    expect(none.status).toBe(401);
    expect(none.body.errors![0]!.message).toMatch(/Missing Authorization header/);
    const malformed = await withToken(dev, 'Token abc');
    expect(malformed.status).toBe(401);
    expect(malformed.body.errors![0]!.message).toMatch(/expected "Bearer <token>"/);
    const badDev = await withToken(dev, 'Bearer dev:');
    expect(badDev.status).toBe(401);
  });

  it('serves GraphiQL at /graphql to a browser', async () => {
    const response = await dev.fetch(dev.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/GraphiQL/);
  });
});

describe('production mode', () => {
  it('refuses dev tokens', async () => {
    const result = await withToken(prod, 'Bearer dev:admin');
    expect(result.status).toBe(401);
    expect(result.body.errors![0]!.message).toBe('Dev tokens are not accepted in production mode');
  });

  it('accepts a JWT signed with the secret: sub is the user, roles the roles', async () => {
    const result = await withToken(prod, `Bearer ${await jwt({ sub: 'carol', roles: ['admin'] })}`);
    expect(result.body.data!.viewer).toEqual({ id: 'carol', roles: ['admin'] });
  });

  it('refuses expired, forged and subject-less tokens', async () => {
    const expired = await withToken(prod, `Bearer ${await jwt({ sub: 'carol' }, SECRET, '-1m')}`);
    expect(expired.status).toBe(401);
    expect(expired.body.errors![0]!.message).toBe('Invalid token: the token has expired');
    const forged = await withToken(prod, `Bearer ${await jwt({ sub: 'carol' }, 'another-secret-another-secret-another')}`);
    expect(forged.status).toBe(401);
    const noSub = await withToken(prod, `Bearer ${await jwt({ roles: ['admin'] })}`);
    expect(noSub.status).toBe(401);
  });

  it('verifies JWTs against a JWKS, checking the issuer', async () => {
    const sign = (issuer: string) =>
      new SignJWT({ sub: 'dave', roles: ['fieldworker'] })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(issuer)
        .setExpirationTime('5m')
        .sign(signingKey);
    const ok = await withToken(jwksProd, `Bearer ${await sign('https://idp.test')}`);
    expect(ok.body.data!.viewer).toEqual({ id: 'dave', roles: ['fieldworker'] });
    const otherIssuer = await withToken(jwksProd, `Bearer ${await sign('https://evil.test')}`);
    expect(otherIssuer.status).toBe(401);
    const hmac = await withToken(jwksProd, `Bearer ${await jwt({ sub: 'dave' })}`);
    expect(hmac.status).toBe(401);
  });

  it('has no GraphiQL or introspection', async () => {
    const token = `Bearer ${await jwt({ sub: 'carol' })}`;
    const introspection = await withToken(prod, token, '{ __schema { types { name } } }');
    expect(introspection.body.errors![0]!.message).toMatch(/introspection/i);
    const page = await prod.fetch(prod.url, { headers: { accept: 'text/html' } });
    expect(page.status).not.toBe(200);
  });
});

describe('the API surface', () => {
  it('tells the SDK every entity and its download mode', async () => {
    const result = await graphql<{ syncEntities: unknown[] }>(dev, 'alice', '{ syncEntities { entity downloadMode } }');
    expect(result.data!.syncEntities).toEqual([
      { entity: 'Customer', downloadMode: 'ALL' },
      { entity: 'WorkOrder', downloadMode: 'FILTERED' },
      { entity: 'Photo', downloadMode: 'FILTERED' },
      { entity: 'Feedback', downloadMode: 'NOTHING_CLEAR' },
    ]);
  });

  it('pages, filters and sorts the list queries', async () => {
    const page1 = await graphql<{ customers: { items: { name: string }[]; nextCursor: string | null; totalCount: number } }>(
      dev,
      'alice',
      '{ customers(first: 2, orderBy: name, direction: DESC) { items { name } nextCursor totalCount } }',
    );
    expect(page1.data!.customers.totalCount).toBe(3);
    expect(page1.data!.customers.items.map((c) => c.name)).toEqual(['Montessori School Oost', 'Harbor Logistics']);
    const page2 = await graphql<{ customers: { items: { name: string }[]; nextCursor: string | null } }>(
      dev,
      'alice',
      'query($after: String) { customers(first: 2, orderBy: name, direction: DESC, after: $after) { items { name } nextCursor } }',
      { after: page1.data!.customers.nextCursor },
    );
    expect(page2.data!.customers).toEqual({ items: [{ name: 'Bakkerij de Vries' }], nextCursor: null });
    const filtered = await graphql<{ workOrders: { items: { assigneeId: string }[] } }>(dev, 'admin', '{ workOrders(filter: { assigneeId: "bob" }) { items { assigneeId } } }');
    expect(filtered.data!.workOrders.items).toEqual([{ assigneeId: 'bob' }, { assigneeId: 'bob' }]);
  });

  it('answers 404 outside /graphql', async () => {
    const response = await dev.fetch('http://test.local/elsewhere');
    expect(response.status).toBe(404);
  });
});
