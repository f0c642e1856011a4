/**
 * `anonymizeExpired`: the retention run started daily by the Temporal Schedule `tasjil-retention`
 * (temporal/schedules.ts). Deterministic: one activity call, no personal data in its payloads
 * (the result is a count).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities } from '../activities/retention';

const { anonymizeExpiredRequests } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '30 minutes', maximumAttempts: 10 },
});

/** Anonymises the rejected and withdrawn requests whose retention period is over; returns the count. */
export async function anonymizeExpired(): Promise<{ anonymized: number }> {
  return anonymizeExpiredRequests();
}
