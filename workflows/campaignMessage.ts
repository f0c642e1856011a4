/**
 * `campaignMessage`: sends one campaign message of an academy or a directorate to its recipients
 * (workflow id `campaign-message-<campaign message id>`, started when the sender confirms). Small
 * and deterministic: record the recipients as delivery rows, then send them in throttled batches
 * until none is pending, then close the message. Every step is idempotent in PostgreSQL (one row
 * per campaign message and recipient), so a worker crash in the middle resumes where it stopped
 * and nobody receives the message twice. Payloads: the campaign message id and counts only.
 */
import { continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { CampaignActivities } from '../activities/campaign';

/** The workflow's input: the campaign message id (a uuid, no personal data) and the batch size. */
export interface CampaignMessageInput {
  campaignMessageId: string;
  batchSize: number;
  /** Activity timeouts, shortened by tests (heartbeat: how soon a crashed worker's batch is retried elsewhere). */
  timeouts?: { batch?: Duration; heartbeat?: Duration };
}

/** The prefix of the workflow id. */
export const CAMPAIGN_WORKFLOW_PREFIX = 'campaign-message-';

export async function campaignMessage(input: CampaignMessageInput): Promise<{ sent: number; failed: number; optedOut: number }> {
  const acts = proxyActivities<CampaignActivities>({
    startToCloseTimeout: input.timeouts?.batch ?? '30 minutes',
    heartbeatTimeout: input.timeouts?.heartbeat ?? '1 minute',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  await acts.recordCampaignRecipients(input.campaignMessageId);
  const total = { sent: 0, failed: 0, optedOut: 0 };
  for (;;) {
    const r = await acts.sendCampaignBatch(input.campaignMessageId, input.batchSize);
    total.sent += r.sent;
    total.failed += r.failed;
    total.optedOut += r.optedOut;
    if (r.remaining === 0) break;
    // Rows held by another attempt (a worker that has not yet let go): wait instead of spinning.
    if (r.sent + r.failed + r.optedOut === 0) await sleep('5 seconds');
    // A long list: a fresh history (the counts are in PostgreSQL; the totals returned are this run's).
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof campaignMessage>(input);
  }
  await acts.finishCampaignMessage(input.campaignMessageId);
  return total;
}
