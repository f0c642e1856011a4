/**
 * The workflow's activity proxies, one per outside system, each with its own timeout and retry
 * policy: the database (fast, retried quickly), Massar (slow, backs off to 10 minutes, a refusal is
 * final), and the messages to parents and staff (email / SMS, backs off to 10 minutes).
 * Timeouts are workflow input so tests can shorten them.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/types';
import type { PreRegistrationInput } from './messages';

export type DatabaseActivities = Pick<Activities,
  'runAutomaticChecks' | 'runChecksAndQueue' | 'recordStatus' | 'recordDecision' | 'recordRegistration' | 'recordOpened' | 'applyParentEdit'>;
export type MassarActivities = Pick<Activities, 'exportToMassar'>;
export type NotificationActivities = Pick<Activities, 'notifyParent' | 'remindDirector' | 'escalateToSupervisor' | 'notifyHelpAnswer'>;

export interface WorkflowActivities { db: DatabaseActivities; massar: MassarActivities; notify: NotificationActivities }

/** The error type of a Massar refusal (a 4xx): not retried, the request parks as `exportFailed`. */
export const MASSAR_REJECTED = 'MassarRejectedError';

export function activitiesFor(timeouts: PreRegistrationInput['timeouts'] = {}): WorkflowActivities {
  return {
    db: proxyActivities<DatabaseActivities>({
      startToCloseTimeout: timeouts.database ?? '30s',
      retry: { initialInterval: '1s', maximumInterval: '1m' },
    }),
    massar: proxyActivities<MassarActivities>({
      startToCloseTimeout: timeouts.massar ?? '1m',
      retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: [MASSAR_REJECTED] },
    }),
    notify: proxyActivities<NotificationActivities>({
      startToCloseTimeout: timeouts.notification ?? '1m',
      retry: { initialInterval: '5s', maximumInterval: '10m' },
    }),
  };
}
