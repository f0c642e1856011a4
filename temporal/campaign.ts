/**
 * The web's door to the `campaignMessage` workflow: started once per campaign message, its workflow
 * id built from the campaign message's id (a uuid; no personal data).
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { CAMPAIGN_WORKFLOW_PREFIX, campaignMessage, type CampaignMessageInput } from '../workflows/campaignMessage';

/** The workflow id of a campaign message. */
export function campaignWorkflowId(campaignMessageId: string): string {
  return `${CAMPAIGN_WORKFLOW_PREFIX}${campaignMessageId}`;
}

/** Starts the sending of a campaign message; a second start of the same message is a no-op. */
export async function startCampaignMessage(client: Client, taskQueue: string, input: CampaignMessageInput): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = campaignWorkflowId(input.campaignMessageId);
  try {
    await client.workflow.start(campaignMessage, { taskQueue, workflowId, args: [input], workflowIdReusePolicy: 'REJECT_DUPLICATE' });
    return { workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw err;
  }
}
