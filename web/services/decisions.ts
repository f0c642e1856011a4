/**
 * The staff operations, one function each, called by every door (the review page, bulk approval,
 * the staff API): decide (approve / reject) and ask the parent for a correction. Each checks who
 * may act, validates, applies the same rules (derogation note, over-capacity confirmation),
 * sends the Update and writes the same audit entry (with the door in `details.via`). Routes only
 * translate the outcome to HTTP.
 */
import type { DocumentKind, DocumentProblem } from '../../domain/documents';
import { recordDocumentCorrection } from './documents';
import type { EntityManager } from '@mikro-orm/postgresql';
import { validateDecision, type DecisionError } from '../../domain/rejectionReasons';
import type { Decision } from '../../domain/types';
import type { PreRegistration, StaffUser } from '../../entities';
import type { TasjilTemporal } from '../../temporal/client';
import { needsDerogation } from '../../domain/derogation';
import { recordAudit } from './audit';
import { DecisionRefused, requestCorrection, sendDecision, type RefusalCode } from './preRegistrations';
import { seatsFor } from './queue';
import { canDecide, checksSummaryOf } from './staff';

/** The door an operation came through (kept in the audit entry). */
export type Door = 'page' | 'api' | 'bulk';

/** What a staff user asked: the form's or the JSON body's fields. */
export interface DecisionInput {
  decision: unknown;
  reasons?: unknown;
  note?: unknown;
  /** The director confirmed an approval beyond the school's seats. */
  confirmOverCapacity?: boolean;
}

export type DecideOutcome =
  | { ok: true; status: string; decision: Decision }
  | { ok: false; kind: 'forbidden' }
  | { ok: false; kind: 'invalid'; error: DecisionError }
  | { ok: false; kind: 'derogationNoteRequired' }
  | { ok: false; kind: 'confirmOverCapacity'; seats: number; taken: number }
  | { ok: false; kind: 'refused'; code: RefusalCode };

/**
 * A director's (or administrator's) decision on `pr` (found in the user's scope, school loaded):
 * validated (domain rules), an approval that needs a derogation carries a note, an approval
 * beyond the seats of the school, year and level needs `confirmOverCapacity`; then the workflow's
 * Update `decide`. Audited: `decision.submitted` (decision, reasons, whether noted, over capacity,
 * door) or `decision.refused` (the workflow's refusal).
 * @throws only on infrastructure failure.
 */
export async function decide(
  deps: { em: EntityManager; temporal: TasjilTemporal },
  user: StaffUser, pr: PreRegistration, input: DecisionInput, ctx: { via: Door; ip?: string },
): Promise<DecideOutcome> {
  if (!canDecide(user)) return { ok: false, kind: 'forbidden' };
  const checked = validateDecision(input.decision === 'approve'
    ? { decision: 'approve', note: input.note, decidedBy: user.id }
    : { decision: input.decision, reasons: input.reasons, note: input.note, decidedBy: user.id });
  if (!checked.ok) return { ok: false, kind: 'invalid', error: checked.error };
  let overCapacity = false;
  if (checked.value.decision === 'approve') {
    if (needsDerogation(checksSummaryOf(pr)) && !checked.value.note) return { ok: false, kind: 'derogationNoteRequired' };
    const seats = await seatsFor(deps.em, pr.school.code, pr.schoolYear, pr.level);
    overCapacity = Boolean(seats && seats.left <= 0);
    if (overCapacity && !input.confirmOverCapacity) return { ok: false, kind: 'confirmOverCapacity', seats: seats!.seats, taken: seats!.taken };
  }
  try {
    const result = await sendDecision(deps.temporal, pr.reference, checked.value);
    await recordAudit(deps.em, {
      user, action: 'decision.submitted', reference: pr.reference, ip: ctx.ip,
      details: {
        decision: checked.value.decision, reasons: checked.value.decision === 'reject' ? checked.value.reasons : [],
        noted: Boolean(checked.value.note), overCapacity, via: ctx.via,
      },
    });
    return { ok: true, status: result.status, decision: checked.value };
  } catch (err) {
    if (!(err instanceof DecisionRefused)) throw err;
    await recordAudit(deps.em, { user, action: 'decision.refused', reference: pr.reference, ip: ctx.ip, details: { code: err.code, via: ctx.via } });
    return { ok: false, kind: 'refused', code: err.code };
  }
}

/** The longest message a director may send with a correction request. */
export const CORRECTION_MESSAGE_MAX = 1000;

export type CorrectionRequestOutcome =
  | { ok: true; status: string }
  | { ok: false; kind: 'forbidden' }
  | { ok: false; kind: 'messageRequired' }
  | { ok: false; kind: 'refused'; code: RefusalCode };

/**
 * The director asks the parent to correct `pr` with `message` (1–1000 characters after trimming).
 * Audited `correction.requested` (message length, door).
 */
export async function askForCorrection(
  deps: { em: EntityManager; temporal: TasjilTemporal },
  user: StaffUser, pr: PreRegistration, message: unknown, ctx: { via: Door; ip?: string },
  documents: Array<{ kind: DocumentKind; problem: DocumentProblem }> = [],
): Promise<CorrectionRequestOutcome> {
  if (!canDecide(user)) return { ok: false, kind: 'forbidden' };
  const text = typeof message === 'string' ? message.trim() : '';
  if (!text || text.length > CORRECTION_MESSAGE_MAX) return { ok: false, kind: 'messageRequired' };
  try {
    const r = await requestCorrection(deps, pr.reference, text, user.id);
    // The documents named (missing or unreadable): shown to the parent, resolved when they add one.
    await recordDocumentCorrection(deps.em, pr.id, documents, user.id, new Date());
    await recordAudit(deps.em, {
      user, action: 'correction.requested', reference: pr.reference, ip: ctx.ip,
      details: { length: text.length, via: ctx.via, ...(documents.length ? { documents: documents.map((d) => `${d.kind}:${d.problem}`) } : {}) },
    });
    return { ok: true, status: r.status };
  } catch (err) {
    if (!(err instanceof DecisionRefused)) throw err;
    return { ok: false, kind: 'refused', code: err.code };
  }
}
