/**
 * The workflow's activity proxies, one per outside system, each with its own timeout and retry
 * policy: the database (fast, retried quickly), Massar (slow, backs off to 10 minutes, a refusal is
 * final), and the messages to parents and staff (email / SMS, backs off to 10 minutes).
 * The intake's checks run as a local activity (`intake`): one idempotent database step of a few
 * milliseconds, run by the worker inside the workflow task that starts the request, so the engine
 * records one marker instead of scheduling, dispatching and completing an activity (three history
 * events, a task through matching and a workflow task more per request; BENCHMARKS.md).
 * Timeouts are workflow input so tests can shorten them.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/types';
import type { PreRegistrationInput } from './messages';

export type DatabaseActivities = Pick<Activities,
  'runAutomaticChecks' | 'runChecksAndQueue' | 'recordStatus' | 'recordDecision' | 'recordRegistration' | 'recordOpened' | 'applyParentEdit'>;
export type MassarActivities = Pick<Activities, 'exportToMassar'>;
export type IntakeActivities = Pick<Activities, 'runChecksAndQueue'>;
export type NotificationActivities = Pick<Activities, 'notifyParent' | 'remindDirector' | 'escalateToSupervisor' | 'notifyHelpAnswer'>;

export interface WorkflowActivities { db: DatabaseActivities; intake: IntakeActivities; massar: MassarActivities; notify: NotificationActivities }

/** The error type of a Massar refusal (a 4xx): not retried, the request parks as `exportFailed`. */
export const MASSAR_REJECTED = 'MassarRejectedError';

export function activitiesFor(timeouts: PreRegistrationInput['timeouts'] = {}): WorkflowActivities {
  return {
    db: proxyActivities<DatabaseActivities>({
      startToCloseTimeout: timeouts.database ?? '30s',
      retry: { initialInterval: '1s', maximumInterval: '1m' },
    }),
    // Retried in the worker while it stays under a minute, then by workflow timers (the SDK's
    // localRetryThreshold): a database away for long holds the request in `submitted`, as before.
    intake: proxyLocalActivities<IntakeActivities>({
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
