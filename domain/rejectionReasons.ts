/**
 * Rejection reasons and the director's decision. The circular names two reasons — the child has
 * not reached the legal age, the chosen school does not match the place of residence — and the
 * catalogue adds three more. Texts are data (table `rejection_reason`); these are the seeds.
 */
import { z } from 'zod';
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

const decisionShape = z.object({
  decision: z.enum(['approve', 'reject']),
  decidedBy: z.string().trim().min(1).max(DECIDED_BY_MAX_LENGTH),
  note: z.string().max(DECISION_NOTE_MAX_LENGTH).optional(),
  // A form with one checked box posts a single string; the API posts an array.
  reasons: z.union([z.string(), z.array(z.string())]).optional(),
});

/**
 * Validates a director's decision (the workflow's `decide` Update validator and the web form).
 * Input `{ decision: 'approve' | 'reject', decidedBy, note?, reasons? }`; `reasons` may be one
 * string (a form with one checked box) or an array of codes.
 * Output: notes trimmed (a blank note is dropped), reasons de-duplicated in order, approvals
 * carry no reasons. Errors:
 * - `invalid` — not an object, unknown `decision`, `decidedBy` blank or over 64 characters,
 *   note over 1000 characters, reasons not strings;
 * - `reasonRequired` — a rejection without any reason (the circular asks for the reasons);
 * - `unknownReason` — a code outside `REJECTION_REASON_CODES`;
 * - `noteRequired` — reason `other` without a note explaining it.
 */
export function validateDecision(d: unknown): { ok: true; value: Decision } | { ok: false; error: DecisionError } {
  const parsed = decisionShape.safeParse(d);
  if (!parsed.success) return { ok: false, error: 'invalid' };
  const { decision, decidedBy } = parsed.data;
  const note = parsed.data.note?.trim() ?? '';
  const withNote = note === '' ? {} : { note };
  if (decision === 'approve') return { ok: true, value: { decision, decidedBy, ...withNote } };

  const raw = parsed.data.reasons;
  const list = (raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw).map((r) => r.trim()).filter((r) => r !== '');
  if (list.length === 0) return { ok: false, error: 'reasonRequired' };
  const reasons: RejectionReasonCode[] = [];
  for (const r of list) {
    if (!isRejectionReasonCode(r)) return { ok: false, error: 'unknownReason' };
    if (!reasons.includes(r)) reasons.push(r);
  }
  if (reasons.includes('other') && note === '') return { ok: false, error: 'noteRequired' };
  return { ok: true, value: { decision, reasons, decidedBy, ...withNote } };
}
