/**
 * `parentNotice`: one notification to a parent outside the request's own workflow (e.g. the
 * unlock of a request locked after wrong birth certificate numbers). Started with a workflow id
 * naming the request, the event and its occurrence (never personal data), so it runs once; the
 * `notifyParent` activity sends each channel exactly once and Temporal retries it while the
 * providers are away. The payloads hold the reference, the event name and a number only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/types';

const { notifyParent } = proxyActivities<Pick<Activities, 'notifyParent'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes', maximumAttempts: 100 },
});

/** Sends `event` (occurrence `occurrence`) to the parent of request `reference` by email and SMS. */
export async function parentNotice(reference: string, event: 'unlockLocked', occurrence: number): Promise<void> {
  await notifyParent(reference, event, occurrence);
}
