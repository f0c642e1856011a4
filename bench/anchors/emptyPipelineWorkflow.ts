/**
 * Anchor of `bench/submit.ts`: a workflow of the same shape as `preRegistrationWorkflow`'s intake
 * (automatic checks → "received" notification → status underReview with the status search
 * attribute), with the same activity options, whose activities do nothing. What the engine and a
 * worker cost per request when the activities are free. It completes once underReview is reached
 * (Tasjil's stays open for the director; an open workflow costs nothing until its next event).
 */
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { STATUS } from '../../temporal/searchAttributes';

export interface EmptyActivities {
  runAutomaticChecks(reference: string): Promise<{ allPassed: boolean }>;
  notifyParent(reference: string, event: string, round: number): Promise<void>;
  recordStatus(reference: string, status: string, details: Record<string, unknown>): Promise<void>;
}

export async function emptyPipelineWorkflow(input: { reference: string }): Promise<void> {
  const db = proxyActivities<EmptyActivities>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumInterval: '1m' } });
  const notify = proxyActivities<EmptyActivities>({ startToCloseTimeout: '1m', retry: { initialInterval: '5s', maximumInterval: '10m' } });
  const checks = await db.runAutomaticChecks(input.reference);
  await notify.notifyParent(input.reference, 'received', 0);
  await db.recordStatus(input.reference, 'underReview', { checks });
  upsertSearchAttributes([{ key: STATUS, value: 'underReview' }]);
}
