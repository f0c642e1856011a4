/**
 * The pre-registration lifecycle, one workflow per request (workflow ID `preRegistration-<reference>`).
 *
 *   submitted → automatic checks (age, zone, duplicate, Hijri) → underReview, parent told "received"
 *   → director's `decide` Update → approve: Massar export → registered (+ Massar code)
 *                                → reject: rejected (+ coded reasons)
 *   → parent told the outcome.
 *
 * Orchestration only: every fact is read and written by activities; inputs and results carry codes
 * and the reference, never personal data. Timeouts are parameters so tests can shorten them.
 */
import {
  ActivityFailure, ApplicationFailure, allHandlersFinished, condition, defineQuery, defineUpdate,
  proxyActivities, setHandler, upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Activities } from '../activities/types';
import { validateDecision } from '../domain/rejectionReasons';
import type { AutomaticChecksSummary, Decision, Level, PreRegistrationStatus } from '../domain/types';
import { STATUS } from '../temporal/searchAttributes';

/** Workflow input: the request's public reference and the codes it is filed under. */
export interface PreRegistrationInput {
  reference: string;
  schoolCode: string;
  directorateCode: string;
  academyCode: string;
  schoolYear: string;
  level: Level;
  /** Activity start-to-close timeouts, e.g. `'30s'`; defaults suit production. */
  timeouts?: { database?: Duration; massar?: Duration; notification?: Duration };
}

/** What the `status` query answers. */
export interface PreRegistrationState {
  reference: string;
  status: PreRegistrationStatus;
  checks: AutomaticChecksSummary | null;
  decision: Decision['decision'] | null;
  rejectionReasons: string[];
  massarCode: string | null;
}

/** Result of an accepted `decide` Update. */
export interface DecisionResult { status: PreRegistrationStatus }

/** Error types a refused Update carries (ApplicationFailure.type), mapped to messages by the web. */
export const NOT_AWAITING_DECISION = 'NotAwaitingDecision';
export const INVALID_DECISION = 'InvalidDecision';
export const NOT_AWAITING_EXPORT_RETRY = 'NotAwaitingExportRetry';

export const decideUpdate = defineUpdate<DecisionResult, [Decision]>('decide');
export const retryExportUpdate = defineUpdate<DecisionResult, [{ requestedBy: string }]>('retryExport');
export const statusQuery = defineQuery<PreRegistrationState>('status');

export async function preRegistration(input: PreRegistrationInput): Promise<PreRegistrationState> {
  const t = input.timeouts ?? {};
  const db = proxyActivities<Activities>({
    startToCloseTimeout: t.database ?? '30s',
    retry: { initialInterval: '1s', maximumInterval: '1m' },
  });
  const massar = proxyActivities<Activities>({
    startToCloseTimeout: t.massar ?? '1m',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: ['MassarRejectedError'] },
  });
  const notify = proxyActivities<Activities>({
    startToCloseTimeout: t.notification ?? '1m',
    retry: { initialInterval: '5s', maximumInterval: '10m' },
  });

  const state: PreRegistrationState = {
    reference: input.reference, status: 'submitted', checks: null, decision: null, rejectionReasons: [], massarCode: null,
  };
  let exportRetryRequested = false;

  const setStatus = async (status: PreRegistrationStatus, details: Record<string, unknown> = {}) => {
    await db.recordStatus(input.reference, status, details);
    state.status = status;
    upsertSearchAttributes([{ key: STATUS, value: status }]);
  };

  // Handlers are registered before the first await, so no Update or query is ever lost.
  setHandler(statusQuery, () => state);
  setHandler(
    decideUpdate,
    async (raw) => {
      const checked = validateDecision(raw); // the validator accepted it; this yields the normalised value
      const decision = checked.ok ? checked.value : raw;
      state.decision = decision.decision; // set synchronously: a concurrent second decision is refused by the validator
      await db.recordDecision(input.reference, decision);
      state.rejectionReasons = decision.decision === 'reject' ? decision.reasons : [];
      state.status = decision.decision === 'approve' ? 'approved' : 'rejected';
      upsertSearchAttributes([{ key: STATUS, value: state.status }]);
      return { status: state.status };
    },
    {
      validator: (decision) => {
        if (state.status !== 'underReview' || state.decision !== null) {
          throw ApplicationFailure.nonRetryable(`not awaiting a decision (status ${state.status})`, NOT_AWAITING_DECISION);
        }
        const checked = validateDecision(decision);
        if (!checked.ok) throw ApplicationFailure.nonRetryable(checked.error, INVALID_DECISION);
      },
    },
  );
  setHandler(
    retryExportUpdate,
    async ({ requestedBy }) => {
      exportRetryRequested = true;
      await db.recordStatus(input.reference, 'approved', { retryRequestedBy: requestedBy });
      state.status = 'approved';
      return { status: state.status };
    },
    {
      validator: (_request) => {
        if (state.status !== 'exportFailed') {
          throw ApplicationFailure.nonRetryable(`no failed export to retry (status ${state.status})`, NOT_AWAITING_EXPORT_RETRY);
        }
      },
    },
  );

  state.checks = await db.runAutomaticChecks(input.reference);
  await notify.notifyParent(input.reference, 'received');
  await setStatus('underReview', { checks: state.checks });

  await condition(() => state.status === 'approved' || state.status === 'rejected');

  if (state.status === 'approved') {
    for (;;) {
      try {
        const { massarCode } = await massar.exportToMassar(input.reference);
        await db.recordRegistration(input.reference, massarCode);
        state.massarCode = massarCode;
        state.status = 'registered';
        upsertSearchAttributes([{ key: STATUS, value: 'registered' }]);
        break;
      } catch (err) {
        if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'MassarRejectedError')) throw err;
        await setStatus('exportFailed', { error: err.cause.message });
        exportRetryRequested = false;
        await condition(() => exportRetryRequested);
      }
    }
    await notify.notifyParent(input.reference, 'registered');
  } else {
    await notify.notifyParent(input.reference, 'rejected');
  }

  await condition(allHandlersFinished);
  return state;
}
