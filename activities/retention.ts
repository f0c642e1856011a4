/**
 * Retention activity (law 09-08): anonymises the expired rejected and withdrawn requests. The SQL
 * lives in web/services/retention.ts; the activity only gives it a fresh EntityManager.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { anonymizeExpired } from '../web/services/retention';

/** The activities of the `anonymizeExpired` workflow. */
export interface RetentionActivities {
  /** Anonymises every expired request; returns how many this run anonymised (one audit row per run). */
  anonymizeExpiredRequests(): Promise<{ anonymized: number }>;
}

/** Builds the retention activities on the application's ORM. */
export function createRetentionActivities(orm: MikroORM): RetentionActivities {
  return {
    anonymizeExpiredRequests: () => anonymizeExpired(orm.em.fork()),
  };
}
