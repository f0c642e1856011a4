/**
 * The pre-registration lifecycle, one workflow per request (workflow ID `preRegistration-<reference>`).
 *
 *   submitted → automatic checks (age, zone, duplicate, Hijri) → parent told "received" → underReview
 *   (until staff `open` the request, the parent may edit it: `parentEdit`, the checks re-run)
 *   ⇄ correctionRequested (director asks, parent edits, checks re-run)
 *   → director's `decide` Update → approve: Massar export → registered (+ Massar code)
 *                                → reject: rejected (+ coded reasons)
 *   → parent told the outcome.                      `withdraw` (parent) ends it before a decision.
 *
 * Orchestration only: every fact is read and written by activities; inputs and results carry codes
 * and the reference, never personal data (a correction's message and edited data live in PostgreSQL).
 * Timeouts are parameters so tests can shorten them.
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
  /**
   * Decision deadlines in milliseconds (from the school year's data: N and M days): remind the
   * director after `reminderAfterMs` under review, escalate to the directorate and tell the parent
   * of the delay after `escalateAfterMs`. Absent = no deadlines.
   */
  deadlines?: { reminderAfterMs: number; escalateAfterMs: number };
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
  /** Number of corrections the director has asked for so far. */
  corrections: number;
  /** Number of parent edits applied before the request was opened. */
  edits: number;
  /** Staff opened the request (review page, staff API, decision or correction request): no more parent edits. */
  opened: boolean;
  /** Deadlines passed: the director was reminded / the directorate alerted. */
  reminded: boolean;
  escalated: boolean;
}

/** Result of an accepted Update. */
export interface DecisionResult { status: PreRegistrationStatus }

/** Error types a refused Update carries (ApplicationFailure.type), mapped to messages by the web. */
export const NOT_AWAITING_DECISION = 'NotAwaitingDecision';
export const INVALID_DECISION = 'InvalidDecision';
export const DEROGATION_NOTE_REQUIRED = 'DerogationNoteRequired';
export const NOT_AWAITING_EXPORT_RETRY = 'NotAwaitingExportRetry';
export const NOT_AWAITING_CORRECTION = 'NotAwaitingCorrection';
export const CANNOT_WITHDRAW = 'CannotWithdraw';
/** A parent edit refused: the request was opened, decided or withdrawn (or is not editable in its status). */
export const ALREADY_OPENED = 'AlreadyOpened';

export const decideUpdate = defineUpdate<DecisionResult, [Decision]>('decide');
export const requestCorrectionUpdate = defineUpdate<DecisionResult, [{ requestedBy: string }]>('requestCorrection');
export const correctionSubmittedUpdate = defineUpdate<DecisionResult, []>('correctionSubmitted');
export const withdrawUpdate = defineUpdate<DecisionResult, []>('withdraw');
export const retryExportUpdate = defineUpdate<DecisionResult, [{ requestedBy: string }]>('retryExport');
/** Staff opened the request (idempotent); resolves once any parent edit in flight has been applied. */
export const openUpdate = defineUpdate<DecisionResult, [{ openedBy: string }]>('open');
/** The parent's edit, stored as a revision in PostgreSQL (only its id travels): applied, then the checks re-run. */
export const parentEditUpdate = defineUpdate<DecisionResult, [{ revisionId: string }]>('parentEdit');
export const statusQuery = defineQuery<PreRegistrationState>('status');

/** Whether approving needs a derogation note: out of zone, tolerance band or under age (circular; law 04-00 art. 1). */
export function needsDerogation(checks: AutomaticChecksSummary | null): boolean {
  return Boolean(checks && (checks.zone === 'outOfZone' || checks.age !== 'eligible'));
}

export async function preRegistration(input: PreRegistrationInput): Promise<PreRegistrationState> {
  const t = input.timeouts ?? {};
  const db = proxyActivities<Activities>({ startToCloseTimeout: t.database ?? '30s', retry: { initialInterval: '1s', maximumInterval: '1m' } });
  const massar = proxyActivities<Activities>({
    startToCloseTimeout: t.massar ?? '1m',
    retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes: ['MassarRejectedError'] },
  });
  const notify = proxyActivities<Activities>({ startToCloseTimeout: t.notification ?? '1m', retry: { initialInterval: '5s', maximumInterval: '10m' } });

  const state: PreRegistrationState = {
    reference: input.reference, status: 'submitted', checks: null, decision: null, rejectionReasons: [], massarCode: null, corrections: 0,
    edits: 0, opened: false, reminded: false, escalated: false,
  };
  let exportRetryRequested = false;
  let correctionSubmitted = false;
  let withdrawn = false;
  /** Parent edits accepted and not finished (set synchronously: `open`, decisions and withdrawal wait for them). */
  let editing = 0;
  /** One edit applies at a time. */
  let applyingEdit = false;
  /** A correction request waits for edits in flight before it takes effect. */
  let askingCorrection = false;
  /** The `open` activity, recorded once. */
  let opening: Promise<void> | null = null;
  const editsDone = () => editing === 0;

  const show = (status: PreRegistrationStatus) => {
    state.status = status;
    upsertSearchAttributes([{ key: STATUS, value: status }]);
  };
  const setStatus = async (status: PreRegistrationStatus, details: Record<string, unknown> = {}) => {
    await db.recordStatus(input.reference, status, details);
    show(status);
  };
  const refuse = (type: string, message: string): never => { throw ApplicationFailure.nonRetryable(message, type); };
  /** Records the first opening (timeline event `opened`); later calls wait for the same record. */
  const markOpened = (openedBy: string) => {
    state.opened = true;
    opening ??= db.recordOpened(input.reference, openedBy);
    return opening;
  };
  const awaitingDecision = () => state.status === 'underReview' && state.decision === null && !withdrawn && !askingCorrection;

  // Handlers are registered before the first await, so no Update or query is ever lost.
  setHandler(statusQuery, () => state);
  setHandler(decideUpdate, async (raw) => {
    const checked = validateDecision(raw); // accepted by the validator; this yields the normalised value
    const decision = checked.ok ? checked.value : raw;
    state.decision = decision.decision; // synchronously: a concurrent second decision is refused by the validator
    state.opened = true; // a decision implies the request was opened (recordDecision stamps opened_at)
    if (!editsDone()) {
      await condition(editsDone); // decide on the parent's final data
      if (decision.decision === 'approve' && needsDerogation(state.checks) && !decision.note) {
        state.decision = null;
        await markOpened(decision.decidedBy);
        refuse(DEROGATION_NOTE_REQUIRED, 'the edited request needs a derogation note to be approved');
      }
    }
    await db.recordDecision(input.reference, decision);
    state.rejectionReasons = decision.decision === 'reject' ? decision.reasons : [];
    show(decision.decision === 'approve' ? 'approved' : 'rejected');
    return { status: state.status };
  }, {
    validator: (decision) => {
      if (!awaitingDecision()) refuse(NOT_AWAITING_DECISION, `not awaiting a decision (status ${state.status})`);
      const checked = validateDecision(decision);
      if (!checked.ok) refuse(INVALID_DECISION, checked.error);
      if (checked.ok && checked.value.decision === 'approve' && needsDerogation(state.checks) && !checked.value.note) {
        refuse(DEROGATION_NOTE_REQUIRED, 'approving outside the zone, in the tolerance band or under age needs a derogation note');
      }
    },
  });
  setHandler(requestCorrectionUpdate, async ({ requestedBy }) => {
    state.opened = true; // recordStatus stamps opened_at
    if (!editsDone()) {
      askingCorrection = true;
      await condition(editsDone);
      askingCorrection = false;
    }
    state.corrections += 1;
    correctionSubmitted = false;
    show('correctionRequested');
    await db.recordStatus(input.reference, 'correctionRequested', { round: state.corrections, requestedBy });
    return { status: state.status };
  }, { validator: (_request) => { if (!awaitingDecision()) refuse(NOT_AWAITING_DECISION, `not awaiting a decision (status ${state.status})`); } });
  setHandler(correctionSubmittedUpdate, async () => {
    correctionSubmitted = true;
    await condition(() => withdrawn || state.status !== 'correctionRequested'); // answer once the checks have run again
    return { status: state.status };
  }, { validator: () => { if (state.status !== 'correctionRequested' || correctionSubmitted) refuse(NOT_AWAITING_CORRECTION, `no correction awaited (status ${state.status})`); } });
  setHandler(withdrawUpdate, async () => {
    withdrawn = true;
    if (!editsDone()) await condition(editsDone); // an edit in flight stops before recording its status
    await setStatus('withdrawn');
    return { status: state.status };
  }, {
    validator: () => {
      if (withdrawn || askingCorrection || !['submitted', 'underReview', 'correctionRequested'].includes(state.status) || state.decision !== null) {
        refuse(CANNOT_WITHDRAW, `cannot withdraw (status ${state.status})`);
      }
    },
  });
  setHandler(retryExportUpdate, async ({ requestedBy }) => {
    exportRetryRequested = true;
    await setStatus('approved', { retryRequestedBy: requestedBy });
    return { status: state.status };
  }, { validator: (_request) => { if (state.status !== 'exportFailed') refuse(NOT_AWAITING_EXPORT_RETRY, `no failed export to retry (status ${state.status})`); } });
  setHandler(openUpdate, async ({ openedBy }) => {
    // Only a request awaiting review is opened here; a decision or correction request already marked it.
    if (!state.opened && !withdrawn && ['submitted', 'underReview'].includes(state.status)) void markOpened(openedBy);
    if (opening) await opening;
    await condition(editsDone); // the staff page then shows the parent's final data
    return { status: state.status };
  });
  setHandler(parentEditUpdate, async ({ revisionId }) => {
    editing += 1;
    try {
      // After the initial checks (and their underReview), one edit at a time.
      await condition(() => !applyingEdit && (withdrawn || state.status !== 'submitted'));
      if (withdrawn) refuse(ALREADY_OPENED, 'withdrawn before the edit was applied');
      applyingEdit = true;
      try {
        await db.applyParentEdit(input.reference, revisionId);
        state.edits += 1;
        state.checks = await db.runAutomaticChecks(input.reference);
        if (!withdrawn) await setStatus('underReview', { checks: state.checks, afterEdit: state.edits });
      } finally {
        applyingEdit = false;
      }
    } finally {
      editing -= 1;
    }
    return { status: state.status };
  }, {
    validator: (_edit) => {
      if (state.opened || withdrawn || askingCorrection || state.decision !== null || !['submitted', 'underReview'].includes(state.status)) {
        refuse(ALREADY_OPENED, `the request can no longer be edited (status ${state.status}${state.opened ? ', opened' : ''})`);
      }
    },
  });

  /** Waits for the director, reminding and escalating when the deadlines pass (once per request). */
  const awaitDirector = async () => {
    const moved = () => withdrawn || state.status !== 'underReview';
    const d = input.deadlines;
    if (d && !state.reminded && !(await condition(moved, d.reminderAfterMs))) {
      await db.remindDirector(input.reference);
      state.reminded = true;
    }
    if (d && state.reminded && !state.escalated && !(await condition(moved, Math.max(1, d.escalateAfterMs - d.reminderAfterMs)))) {
      await db.escalateToSupervisor(input.reference);
      state.escalated = true;
      await notify.notifyParent(input.reference, 'reminder', 0);
    }
    await condition(moved);
  };

  // 1. Automatic checks, acknowledgement, then the director's queue (again after each correction).
  state.checks = await db.runAutomaticChecks(input.reference);
  await notify.notifyParent(input.reference, 'received', 0);
  if (!withdrawn) await setStatus('underReview', { checks: state.checks });
  for (;;) {
    await awaitDirector();
    if (withdrawn || state.status !== 'correctionRequested') break;
    const round = state.corrections;
    await notify.notifyParent(input.reference, 'correctionRequested', round);
    await condition(() => withdrawn || correctionSubmitted || state.corrections !== round);
    if (withdrawn) break;
    if (state.corrections !== round) continue;
    state.checks = await db.runAutomaticChecks(input.reference);
    correctionSubmitted = false;
    await setStatus('underReview', { checks: state.checks, afterCorrection: round });
  }

  // 2. The outcome.
  if (withdrawn) {
    await notify.notifyParent(input.reference, 'withdrawn', 0);
  } else if (state.status === 'approved') {
    for (;;) {
      try {
        const { massarCode } = await massar.exportToMassar(input.reference);
        await db.recordRegistration(input.reference, massarCode);
        state.massarCode = massarCode;
        show('registered');
        break;
      } catch (err) {
        if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'MassarRejectedError')) throw err;
        await setStatus('exportFailed', { error: err.cause.message });
        exportRetryRequested = false;
        await condition(() => exportRetryRequested);
      }
    }
    await notify.notifyParent(input.reference, 'registered', 0);
  } else {
    await notify.notifyParent(input.reference, 'rejected', 0);
  }

  await condition(allHandlersFinished);
  return state;
}
