import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { defineEntity } from '../../server/src/registry/define-entity.ts';
import { syncColumns } from '../../server/src/registry/system-columns.ts';

/**
 * An entity whose calculated attribute misbehaves on purpose: `health` fails for a reading of 13
 * (with a message that must not leak) and answers a promise for a reading of 21.
 */
export const gauges = pgTable('gauge', { ...syncColumns(), name: text('name').notNull(), reading: integer('reading') });

export const gaugeEntity = defineEntity({
  name: 'Gauge',
  table: gauges,
  download: { mode: 'ALL' },
  access: { create: true, writable: { fieldworker: 'all', admin: 'all' } },
  calculated: {
    health: {
      type: 'String',
      compute: (row) => {
        if (row.reading === 13) throw new Error('secret internal detail at /srv/app/gauge.ts:42');
        // Answered later: graphql-js awaits it, a list plan cannot.
        if (row.reading === 21) return Promise.resolve('late');
        return 'ok';
      },
    },
  },
});

/** The table of `gaugeEntity`. */
export const gaugeDdl = `create table "gauge" ("id" uuid primary key, "version" integer default 1 not null,
  "created_at" timestamptz default now() not null, "changed_at" timestamptz default now() not null,
  "changed_tx" xid8 default pg_current_xact_id() not null, "name" text not null, "reading" integer)`;
