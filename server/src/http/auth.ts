import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { ServerConfig } from '../config.ts';
import { ADMIN_ROLE, type Viewer } from '../registry/viewer.ts';

/**
 * Who is calling. Development: `Authorization: Bearer dev:<user>` for the seeded users
 * (alice, bob: fieldworker; admin: admin; any other name: fieldworker). Production: only JWTs
 * verified with the configured HS256 secret or JWKS; `sub` is the user id, `roles` the roles.
 */

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

/** Resolves the viewer from a request's `Authorization` header (null when absent); throws `AuthError`. */
export type Authenticator = (authorization: string | null | undefined) => Promise<Viewer>;

const DEV_USER = /^[A-Za-z0-9_.@-]{1,64}$/;
const devRoles: Record<string, string[]> = { admin: [ADMIN_ROLE], alice: ['fieldworker'], bob: ['fieldworker'] };

function bearerToken(header: string | null | undefined): string {
  if (!header) throw new AuthError('Missing Authorization header: send "Authorization: Bearer <token>"');
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw new AuthError('Malformed Authorization header: expected "Bearer <token>"');
  return match[1]!;
}

export function createAuthenticator(config: ServerConfig): Authenticator {
  const { jwtSecret, jwksUrl, issuer, audience } = config.auth;
  let key: Uint8Array | JWTVerifyGetKey | undefined;
  if (jwtSecret) key = new TextEncoder().encode(jwtSecret);
  else if (jwksUrl) key = createRemoteJWKSet(new URL(jwksUrl));
  const dev = config.mode === 'development';

  return async (authorization) => {
    const token = bearerToken(authorization);
    if (token.startsWith('dev:')) {
      if (!dev) throw new AuthError('Dev tokens are not accepted in production mode');
      const user = token.slice(4);
      if (!DEV_USER.test(user)) throw new AuthError('Invalid dev token: expected dev:<user>');
      return { id: user, roles: devRoles[user] ?? ['fieldworker'] };
    }
    if (!key) throw new AuthError('Invalid token: no JWT secret or JWKS is configured');
    try {
      const { payload } = await jwtVerify(token, key as Uint8Array, {
        issuer,
        audience,
        algorithms: jwtSecret ? ['HS256'] : undefined,
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthError('Invalid token: no subject');
      const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
      return { id: payload.sub, roles };
    } catch (error) {
      if (error instanceof AuthError) throw error;
      const reason = (error as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'its signature or claims could not be verified';
      throw new AuthError(`Invalid token: ${reason}`);
    }
  };
}
