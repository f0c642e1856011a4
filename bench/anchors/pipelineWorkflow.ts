/**
 * The empty-pipeline anchor of bench/pipeline.ts: a workflow of the same shape as the start of
 * `preRegistration` (the checks and the queue in one local activity, the status search attribute,
 * "received" as an activity, then waiting for the director with the reminder timer) whose
 * activities do nothing.
 */
import { condition, proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { PreRegistrationInput } from '../../workflows/messages';
import { STATUS } from '../../temporal/searchAttributes';
import type { AnchorActivities } from './pipelineActivities';

const intake = proxyLocalActivities<AnchorActivities>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumInterval: '1m' } });
const notify = proxyActivities<AnchorActivities>({ startToCloseTimeout: '1m', retry: { initialInterval: '5s', maximumInterval: '10m' } });

export async function emptyPipeline(input: PreRegistrationInput): Promise<void> {
  await intake.runChecksAndQueue(input.reference);
  upsertSearchAttributes([{ key: STATUS, value: 'underReview' }]);
  await notify.notifyParent(input.reference, 'received', 0);
  await condition(() => false, input.deadlines?.reminderAfterMs ?? '7 days');
}
