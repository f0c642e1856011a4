/**
 * `helpAnswer`: sends one staff answer to the asker of a help request. Started by the web with the
 * workflow id `help-answer-<help request id>-<answer number>` (no personal data; a second start of
 * the same answer is refused by Temporal), it runs the `notifyHelpAnswer` activity, which sends
 * exactly once on the asker's channel; Temporal retries it while the provider is away.
 */
import { activitiesFor } from './proxies';

/** Sends answer `seq` of help request `helpRequestId`. */
export async function helpAnswer(helpRequestId: string, seq: number): Promise<void> {
  await activitiesFor().notify.notifyHelpAnswer(helpRequestId, seq);
}
