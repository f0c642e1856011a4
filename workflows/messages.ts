/**
 * The pre-registration workflow's public contract: its input, the state its `status` query
 * answers, its Updates and the error types a refused Update carries. Imported by the workflow and,
 * through workflows/preRegistration.ts, by the web's Temporal client (temporal/client.ts).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { AutomaticChecksSummary, Decision, Level, PreRegistrationStatus } from '../domain/types';

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
