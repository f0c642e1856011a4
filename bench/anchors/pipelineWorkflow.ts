/**
 * The empty-pipeline anchor of bench/pipeline.ts: a workflow of the same shape as the start of
 * `preRegistration` (checks, "received", status underReview with its search attribute, then waiting
 * for the director with the reminder timer) whose activities do nothing.
 */
import { condition, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { PreRegistrationInput } from '../../workflows/messages';
import { STATUS } from '../../temporal/searchAttributes';
import type { AnchorActivities } from './pipelineActivities';

const a = proxyActivities<AnchorActivities>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumInterval: '1m' } });

export async function emptyPipeline(input: PreRegistrationInput): Promise<void> {
  const checks = await a.runAutomaticChecks(input.reference);
  await a.notifyParent(input.reference, 'received', 0);
  await a.recordStatus(input.reference, 'underReview', { checks });
  upsertSearchAttributes([{ key: STATUS, value: 'underReview' }]);
  await condition(() => false, input.deadlines?.reminderAfterMs ?? '7 days');
}
