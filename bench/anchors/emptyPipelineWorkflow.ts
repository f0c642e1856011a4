/**
 * Anchor of `bench/submit.ts`: a workflow of the same shape as `preRegistration`'s intake (the
 * checks and the queue in one local activity, the status search attribute, then the "received"
 * notification as an activity), with the same activity options, whose activities do nothing. What
 * the engine and a worker cost per request when the activities are free. It completes once the
 * notification ran (Tasjil's stays open for the director; an open workflow costs nothing until its
 * next event, its reminder timer aside).
 */
import { proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { STATUS } from '../../temporal/searchAttributes';

export interface EmptyActivities {
  runChecksAndQueue(reference: string): Promise<{ checks: { allPassed: boolean }; queued: boolean }>;
  notifyParent(reference: string, event: string, round: number): Promise<void>;
}

export async function emptyPipelineWorkflow(input: { reference: string }): Promise<void> {
  const intake = proxyLocalActivities<EmptyActivities>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumInterval: '1m' } });
  const notify = proxyActivities<EmptyActivities>({ startToCloseTimeout: '1m', retry: { initialInterval: '5s', maximumInterval: '10m' } });
  await intake.runChecksAndQueue(input.reference);
  upsertSearchAttributes([{ key: STATUS, value: 'underReview' }]);
  await notify.notifyParent(input.reference, 'received', 0);
}
