/**
 * Server configuration, read once from the environment. Everything that differs between a
 * developer's laptop, CI and production lives here, with defaults that make `npm start` work.
 */
export interface ServerConfig {
  /** `development` accepts dev tokens and shows GraphiQL; `production` only verified JWTs. */
  mode: 'development' | 'production';
  port: number;
  /** PostgreSQL URL; when absent the embedded PGlite database is used. */
  databaseUrl?: string;
  /**
   * Prepare small statements by name and plan them per execution: on PostgreSQL one round trip
   * each instead of two, on PGlite one call into its engine instead of six. Off for a pooler that
   * cannot keep prepared statements or refuses the `plan_cache_mode` startup parameter (PgBouncer
   * in transaction mode before 1.21).
   */
  preparedStatements: boolean;
  /** Directory for PGlite's data, or `memory` for an in-memory database. */
  pgliteDir: string;
  /** Seed the demo data set when the database is empty. */
  seedDemoData: boolean;
  auth: {
    jwtSecret?: string;
    jwksUrl?: string;
    issuer?: string;
    audience?: string;
  };
  limits: SyncLimits;
  files: FileConfig;
  /** The server's public origin for file URLs; default: the origin of each request. */
  publicUrl?: string;
  graphiql: boolean;
  introspection: boolean;
  /**
   * Run the SDK's download queries in the sync lane (`graphql/sync-lane.ts`), without
   * graphql-js' execution; the answers are the same. Off: every operation goes through graphql-js.
   */
  syncLane: boolean;
}

/** File contents (F1–F4). */
export interface FileConfig {
  /** Largest accepted upload, in bytes (HTTP 413 past it). */
  maxBytes: number;
  /** HMAC secret signing download URLs; the same on every instance. */
  urlSecret: string;
  /** How long a signed download URL works. */
  urlTtlSeconds: number;
  /** Keep contents in this directory instead of PostgreSQL. */
  blobDir?: string;
}

/** Limits that refuse a request whole before anything is applied (R11). */
export interface SyncLimits {
  /** Largest accepted HTTP request body, in bytes. */
  maxBodyBytes: number;
  /** Most changes accepted in one change set. */
  maxChanges: number;
  /** Most objects a selective sync may select. */
  maxSelection: number;
  /** Largest page size of the list queries. */
  maxPageSize: number;
  /** Deepest nesting of a GraphQL document. */
  maxQueryDepth: number;
  /** Most fields a GraphQL document selects, fragments expanded. */
  maxQueryFields: number;
  /** Days an exactly-once upload record is kept (R4). */
  uploadRecordDays: number;
  /** Days deletes are remembered; older checkpoints get a complete download (R19). */
  tombstoneDays: number;
  /** Most objects in one page of an incremental full sync's download (R17). */
  downloadPageSize: number;
  /** Most objects in one page of a complete download (`reset`: first sync, expired checkpoint). */
  downloadResetPageSize: number;
  /** Most download pages an instance reads ahead at once, while devices handle the previous page; 0: none. */
  downloadPrefetchPages: number;
}

export const defaultLimits: SyncLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxChanges: 10_000,
  maxSelection: 1_000,
  maxPageSize: 1_000,
  maxQueryDepth: 12,
  maxQueryFields: 1_000,
  uploadRecordDays: 90,
  tombstoneDays: 30,
  downloadPageSize: 2_000,
  downloadResetPageSize: 10_000,
  downloadPrefetchPages: 4,
};

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`Expected a non-negative integer, got "${value}"`);
  return n;
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return value === 'true' || value === '1';
}

/** Production needs a configured secret, shared by all instances; development has a fixed one. */
function fileUrlSecret(env: NodeJS.ProcessEnv, dev: boolean): string {
  if (env.FILE_URL_SECRET) return env.FILE_URL_SECRET;
  if (dev) return 'development-file-url-secret';
  throw new Error('FILE_URL_SECRET must be set in production: it signs file download URLs on every instance');
}

/** Reads the configuration from environment variables (see README "Configuration"). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const mode = env.NODE_ENV === 'production' ? 'production' : 'development';
  const dev = mode === 'development';
  return {
    mode,
    port: int(env.PORT, 4000),
    databaseUrl: env.DATABASE_URL || undefined,
    preparedStatements: bool(env.PG_PREPARED_STATEMENTS, true),
    pgliteDir: env.PGLITE_DIR || './.data/pglite',
    seedDemoData: bool(env.SEED_DEMO_DATA, true),
    auth: {
      jwtSecret: env.JWT_SECRET || undefined,
      jwksUrl: env.JWKS_URL || undefined,
      issuer: env.JWT_ISSUER || undefined,
      audience: env.JWT_AUDIENCE || undefined,
    },
    limits: {
      maxBodyBytes: int(env.MAX_BODY_BYTES, defaultLimits.maxBodyBytes),
      maxChanges: int(env.MAX_CHANGES, defaultLimits.maxChanges),
      maxSelection: int(env.MAX_SELECTION, defaultLimits.maxSelection),
      maxPageSize: int(env.MAX_PAGE_SIZE, defaultLimits.maxPageSize),
      maxQueryDepth: int(env.MAX_QUERY_DEPTH, defaultLimits.maxQueryDepth),
      maxQueryFields: int(env.MAX_QUERY_FIELDS, defaultLimits.maxQueryFields),
      uploadRecordDays: int(env.UPLOAD_RECORD_DAYS, defaultLimits.uploadRecordDays),
      tombstoneDays: int(env.TOMBSTONE_DAYS, defaultLimits.tombstoneDays),
      downloadPageSize: Math.max(1, int(env.DOWNLOAD_PAGE_SIZE, defaultLimits.downloadPageSize)),
      downloadResetPageSize: Math.max(1, int(env.DOWNLOAD_RESET_PAGE_SIZE, defaultLimits.downloadResetPageSize)),
      downloadPrefetchPages: int(env.DOWNLOAD_PREFETCH_PAGES, defaultLimits.downloadPrefetchPages),
    },
    files: {
      maxBytes: int(env.MAX_FILE_BYTES, 50 * 1024 * 1024),
      urlSecret: fileUrlSecret(env, dev),
      urlTtlSeconds: Math.max(1, int(env.FILE_URL_TTL_SECONDS, 3600)),
      blobDir: env.BLOB_DIR || undefined,
    },
    publicUrl: env.PUBLIC_URL || undefined,
    graphiql: bool(env.GRAPHIQL, dev),
    introspection: bool(env.INTROSPECTION, dev),
    syncLane: bool(env.SYNC_LANE, true),
  };
}
