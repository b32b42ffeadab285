/** Every table drizzle-kit generates migrations for: the system tables and the demo domain. */
export * from './system-tables.ts';
export * from '../demo/tables.ts';
