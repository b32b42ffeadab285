import type { Db } from '../registry/define-entity.ts';

/**
 * The batched upload defers its writes, so the database a rule or hook could query would not
 * yet hold the earlier changes of the set. Rules and hooks therefore get a probe in batched mode:
 * a stand-in for the database that throws on first use. A rule or hook that never touches the
 * database cannot tell the difference; one that does is stopped before it ran any statement, and
 * its change is applied again on its own, after the pending writes, as the one-by-one path would.
 */

/** Thrown by the probe: the change must be applied on its own, with the database. */
export class UserCodeNeedsDatabase extends Error {
  constructor() {
    super('A rule or hook used the database during a batched upload');
    this.name = 'UserCodeNeedsDatabase';
  }
}

/** A database stand-in for rules and hooks that records (and refuses) any use. */
export class DatabaseProbe {
  /** Set once user code touched the probe, even if it caught the error. */
  touched = false;
  readonly db: Db;

  constructor(real: Db) {
    this.db = new Proxy(real, {
      get: () => {
        this.touched = true;
        throw new UserCodeNeedsDatabase();
      },
    });
  }
}
