/**
 * Retention activity (law 09-08): anonymises the expired rejected and withdrawn requests and
 * purges the parents' space of what was never finished. The SQL
 * lives in persistence/retention.ts; the activity only gives it a fresh EntityManager.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { anonymizeExpired, purgeParentSpace } from '../persistence/retention';

/** The activities of the `anonymizeExpired` workflow. */
export interface RetentionActivities {
  /**
   * Anonymises every expired request, then purges the parents' space of stale drafts, unverified
   * accounts and old one-time codes; returns how many requests this run anonymised (one audit row per step).
   */
  anonymizeExpiredRequests(): Promise<{ anonymized: number }>;
}

/** Builds the retention activities on the application's ORM. */
export function createRetentionActivities(orm: MikroORM): RetentionActivities {
  return {
    anonymizeExpiredRequests: async () => {
      const result = await anonymizeExpired(orm.em.fork());
      await purgeParentSpace(orm.em.fork());
      return result;
    },
  };
}
