/**
 * `parentNotice`: one notification to a parent outside the request's own workflow (e.g. the
 * unlock of a request locked after wrong birth certificate numbers). Started with a workflow id
 * naming the request, the event and its occurrence (never personal data), so it runs once; the
 * `notifyParent` activity sends each channel exactly once and Temporal retries it while the
 * providers are away. The payloads hold the reference, the event name and a number only.
 */
import { activitiesFor } from './proxies';

/** Sends `event` (occurrence `occurrence`) to the parent of request `reference` by email and SMS. */
export async function parentNotice(reference: string, event: 'unlockLocked', occurrence: number): Promise<void> {
  // The notification proxy of the request's workflow: same timeout and retries.
  await activitiesFor().notify.notifyParent(reference, event, occurrence);
}
