import type { AutomaticChecksSummary, Decision, PreRegistrationStatus } from '../domain/types';
import type { NotificationEvent } from './templates';

/**
 * Every activity the workflows may call, by reference only (the rows live in PostgreSQL).
 * Implemented by `createActivities` in activities/index.ts.
 */
export interface Activities {
  /** Runs the age, zone, duplicate and Hijri checks, stores the explanation, returns the verdict codes. */
  runAutomaticChecks(reference: string): Promise<AutomaticChecksSummary>;
  /**
   * The checks of a new request and its status `underReview` (projection + timeline event) in one
   * activity, unless it left `submitted` meanwhile (`queued` false: withdrawn). Idempotent.
   */
  runChecksAndQueue(reference: string): Promise<{ checks: AutomaticChecksSummary; queued: boolean }>;
  /** Writes the status projection and a timeline event (once per status). */
  recordStatus(reference: string, status: PreRegistrationStatus, details: Record<string, unknown>): Promise<void>;
  /** Records a director's decision (status approved / rejected, reasons, audit entry). */
  recordDecision(reference: string, decision: Decision): Promise<void>;
  /** Records the Massar code: status `registered`. */
  recordRegistration(reference: string, massarCode: string): Promise<void>;
  /** Staff opened the request: `opened_at` / `opened_by` and the timeline event `opened` (actor the staff user id), once. */
  recordOpened(reference: string, openedBy: string): Promise<void>;
  /**
   * Copies the parent's stored revision into the request in one transaction (timeline event
   * `edited`, actor `parent`; revision `applied`). Idempotent: an applied revision is not applied again.
   */
  applyParentEdit(reference: string, revisionId: string): Promise<void>;
  /** Emails the school's director(s): a request waits for a decision (timeline event `reminder`). */
  remindDirector(reference: string): Promise<{ recipients: number }>;
  /** Flags the request as escalated and emails the directorate's supervisor(s) (timeline event `escalated`). */
  escalateToSupervisor(reference: string): Promise<{ recipients: number }>;
  /** Exports the child to Massar (idempotency key = reference); returns the Massar student code. */
  exportToMassar(reference: string): Promise<{ massarCode: string }>;
  /**
   * Tells the parent by email and/or SMS, once per (request, event, occurrence, channel).
   * `occurrence` distinguishes repeats of the same event (e.g. the 2nd correction request); 0 otherwise.
   */
  notifyParent(reference: string, event: NotificationEvent, occurrence: number): Promise<{ email: 'sent' | 'skipped' | 'failed'; sms: 'sent' | 'skipped' | 'failed' }>;
  /** Sends answer number `seq` of a help request to its asker (email or SMS as chosen), exactly once. */
  notifyHelpAnswer(helpRequestId: string, seq: number): Promise<{ channel: 'email' | 'sms'; outcome: 'sent' | 'skipped' | 'failed' }>;
}
