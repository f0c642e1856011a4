/**
 * What a request shows, by proof. With the reference alone (printed on paper, sent by SMS): the
 * status and the dates only — reference, status, school year, level, dates, whether it can still
 * be edited, and the timeline (dates, statuses, channels). The rest — the child's first name, the
 * school, the Massar code, the rejection reasons and note, the correction message — only after
 * proof: the birth certificate number (the throttled unlock of web/services/unlock.ts), the
 * signed-in parent who owns the request, or staff in scope. The status page, the receipt and
 * `GET /api/v1/pre-registrations/{reference}` all read this one view.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { PreRegistration, PreRegistrationEvent, RejectionReason } from '../../entities';
import { canParentEdit } from './preRegistrations';

/** How the reader proved they may see the request's details. */
export type Proof = 'none' | 'certificate' | 'owner' | 'staff';

export interface TimelineEntry { at: Date; type: string; status: string | null; channel: string | null }

/** The details shown after proof. */
export interface RequestDetails {
  childFirstNameAr: string;
  childFirstNameLatin: string;
  school: { code: string; nameAr: string; nameFr: string };
  massarCode: string | null;
  rejectionReasons: Array<{ code: string; textAr: string; textFr: string }>;
  decisionNote: string | null;
  correctionMessage: string | null;
}

export interface RequestView {
  reference: string;
  status: PreRegistration['status'];
  schoolYear: string;
  level: PreRegistration['level'];
  submittedAt: Date;
  updatedAt: Date;
  openedAt: Date | null;
  editable: boolean;
  timeline: TimelineEntry[];
  proof: Proof;
  /** Null without proof. */
  details: RequestDetails | null;
}

/** The view of `pr` for a reader with `proof`. `pr.school` is loaded when needed. */
export async function requestView(em: EntityManager, pr: PreRegistration, proof: Proof): Promise<RequestView> {
  const events = await em.find(PreRegistrationEvent, { preRegistration: pr }, { orderBy: { at: 'asc', id: 'asc' } });
  const view: RequestView = {
    reference: pr.reference, status: pr.status, schoolYear: pr.schoolYear, level: pr.level,
    submittedAt: pr.submittedAt, updatedAt: pr.updatedAt, openedAt: pr.openedAt ?? null, editable: canParentEdit(pr),
    timeline: events.map((e) => ({ at: e.at, type: e.type, status: e.status ?? null, channel: (e.details as { channel?: string }).channel ?? null })),
    proof, details: null,
  };
  if (proof === 'none') return view;
  await em.populate(pr, ['school']);
  const reasons = pr.rejectionReasons.length ? await em.find(RejectionReason, { code: { $in: pr.rejectionReasons } }, { orderBy: { sortOrder: 'asc' } }) : [];
  view.details = {
    childFirstNameAr: pr.childFirstNameAr, childFirstNameLatin: pr.childFirstNameLatin,
    school: { code: pr.school.code, nameAr: pr.school.nameAr, nameFr: pr.school.nameFr },
    massarCode: pr.massarCode ?? null,
    rejectionReasons: reasons.map((x) => ({ code: x.code, textAr: x.textAr, textFr: x.textFr })),
    decisionNote: pr.decision === 'reject' ? pr.decisionNote ?? null : null,
    correctionMessage: pr.status === 'correctionRequested' ? pr.correctionMessage ?? null : null,
  };
  return view;
}
