/**
 * Rejection reasons and the director's decision. The circular names two reasons — the child has
 * not reached the legal age, the chosen school does not match the place of residence — and the
 * catalogue adds three more. Texts are data (table `rejection_reason`); these are the seeds.
 */
import { REJECTION_REASON_CODES } from './types';
import type { Decision, RejectionReasonCode } from './types';

/** Seed rows of the `rejection_reason` table, in display order (the circular's two reasons first). */
export const DEFAULT_REJECTION_REASONS: Array<{
  code: RejectionReasonCode;
  textAr: string;
  textFr: string;
  sortOrder: number;
}> = [
  { code: 'underAge', textAr: 'عدم استيفاء السن القانوني', textFr: "L'enfant n'a pas atteint l'âge légal", sortOrder: 10 },
  {
    code: 'zoneMismatch',
    textAr: 'عدم مطابقة المؤسسة المختارة مع محل السكنى',
    textFr: "L'établissement choisi ne correspond pas au lieu de résidence",
    sortOrder: 20,
  },
  { code: 'incompleteFile', textAr: 'ملف غير مكتمل', textFr: 'Dossier incomplet', sortOrder: 30 },
  { code: 'duplicate', textAr: 'طلب مكرر', textFr: 'Demande en double', sortOrder: 40 },
  { code: 'other', textAr: 'سبب آخر (انظر الملاحظة)', textFr: 'Autre motif (voir la remarque)', sortOrder: 50 },
];

/** True when `s` is one of `REJECTION_REASON_CODES`. */
export function isRejectionReasonCode(s: string): s is RejectionReasonCode {
  return (REJECTION_REASON_CODES as readonly string[]).includes(s);
}

/** Longest note a director may write, in characters. */
export const DECISION_NOTE_MAX_LENGTH = 1000;
/** Longest `decidedBy` (a staff id or username). */
export const DECIDED_BY_MAX_LENGTH = 64;

export type DecisionError = 'reasonRequired' | 'unknownReason' | 'noteRequired' | 'invalid';

/**
 * Validates a director's decision (the workflow's `decide` Update validator and the web form).
 * Input `{ decision: 'approve' | 'reject', decidedBy, note?, reasons? }`; `reasons` may be one
 * string (a form with one checked box) or an array of codes.
 * Output: notes trimmed (a blank note is dropped), reasons de-duplicated in order, approvals
 * carry no reasons. Errors:
 * - `invalid` — not an object, unknown `decision`, `decidedBy` not a string, blank or over 64
 *   characters, note not a string or over 1000 characters (after trimming), reasons not strings;
 * - `reasonRequired` — a rejection without any reason (the circular asks for the reasons);
 * - `unknownReason` — a code outside `REJECTION_REASON_CODES`;
 * - `noteRequired` — reason `other` without a note explaining it.
 */
export function validateDecision(d: unknown): { ok: true; value: Decision } | { ok: false; error: DecisionError } {
  // Hand-written rather than zod: this runs in the workflow's Update validator, whose bundle stays small.
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return { ok: false, error: 'invalid' };
  const { decision, decidedBy: rawDecidedBy, note: rawNote, reasons: rawReasons } = d as Record<string, unknown>;
  if (decision !== 'approve' && decision !== 'reject') return { ok: false, error: 'invalid' };
  if (typeof rawDecidedBy !== 'string') return { ok: false, error: 'invalid' };
  const decidedBy = rawDecidedBy.trim();
  if (decidedBy === '' || decidedBy.length > DECIDED_BY_MAX_LENGTH) return { ok: false, error: 'invalid' };
  if (rawNote !== undefined && rawNote !== null && typeof rawNote !== 'string') return { ok: false, error: 'invalid' };
  const note = typeof rawNote === 'string' ? rawNote.trim() : '';
  if (note.length > DECISION_NOTE_MAX_LENGTH) return { ok: false, error: 'invalid' };
  const withNote = note === '' ? {} : { note };
  if (decision === 'approve') return { ok: true, value: { decision, decidedBy, ...withNote } };

  // A form with one checked box posts a single string; the API posts an array.
  const list = rawReasons === undefined || rawReasons === null ? [] : typeof rawReasons === 'string' ? [rawReasons] : rawReasons;
  if (!Array.isArray(list) || !list.every((r): r is string => typeof r === 'string')) return { ok: false, error: 'invalid' };
  const codes = list.map((r) => r.trim()).filter((r) => r !== '');
  if (codes.length === 0) return { ok: false, error: 'reasonRequired' };
  const reasons: RejectionReasonCode[] = [];
  for (const r of codes) {
    if (!isRejectionReasonCode(r)) return { ok: false, error: 'unknownReason' };
    if (!reasons.includes(r)) reasons.push(r);
  }
  if (reasons.includes('other') && note === '') return { ok: false, error: 'noteRequired' };
  return { ok: true, value: { decision, reasons, decidedBy, ...withNote } };
}
