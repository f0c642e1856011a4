/**
 * The dates a parent is given after submitting: by when the school decides, and until when the
 * originals are brought after approval. Civil days in Africa/Casablanca.
 */
import { addDays, todayInCasablanca } from './dates';
import type { IsoDate } from './types';

/**
 * The day by which a decision is due: the submission's day (Casablanca) plus the school year's
 * `escalationDays` — the deadline past which the directorate is alerted and the parent told of
 * the delay (the same number the workflow's escalation timer uses).
 */
export function decisionDueOn(submittedAt: Date, escalationDays: number): IsoDate {
  if (!Number.isInteger(escalationDays) || escalationDays < 0) throw new RangeError('escalationDays must be a non-negative integer');
  return addDays(todayInCasablanca(submittedAt), escalationDays);
}
