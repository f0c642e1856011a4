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
import { decisionDueOn } from '../../domain/deadlines';
import { PreRegistration, PreRegistrationEvent, RejectionReason, SchoolYear } from '../../entities';
import { canParentEdit } from './preRegistrations';
import { prepared, runPrepared } from '../../persistence/submissions';

/** How the reader proved they may see the request's details. */
export type Proof = 'none' | 'certificate' | 'owner' | 'staff';

export interface TimelineEntry { at: Date; type: string; status: string | null; channel: string | null }

/** The details shown after proof. */
export interface RequestDetails {
  childFirstNameAr: string;
  childFirstNameLatin: string;
  school: { code: string; nameAr: string; nameFr: string; addressAr: string; addressFr: string };
  /** The child's full names and birth date, and the guardian (for the receipt). */
  child: { firstNameAr: string; lastNameAr: string; firstNameLatin: string; lastNameLatin: string; birthDate: string };
  guardian: { role: PreRegistration['guardianRole']; firstNameAr: string; lastNameAr: string; firstNameLatin: string; lastNameLatin: string };
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
  /** `YYYY-MM-DD`: the day by which the school decides (submission + the school year's escalation days); null once decided or ended. */
  decisionDueOn: string | null;
  /** `YYYY-MM-DD`: after approval, the last day to bring the originals to the school (the school year's date); null otherwise. */
  originalsDueBy: string | null;
  timeline: TimelineEntry[];
  proof: Proof;
  /** Null without proof. */
  details: RequestDetails | null;
}

/** Statuses waiting for the school's decision (the decision due date is shown). */
export const PENDING_DECISION = ['submitted', 'underReview', 'correctionRequested'] as const;
/** Statuses after approval (where, when and with what to come are shown). */
export const APPROVED = ['approved', 'exportFailed', 'registered'] as const;

function guardianOf(pr: PreRegistration): RequestDetails['guardian'] {
  const p = (pr.guardianRole === 'tutor' ? pr.tutor : pr.guardianRole === 'mother' ? pr.mother : pr.father) ?? pr.father;
  return { role: pr.guardianRole, firstNameAr: p.firstNameAr ?? '', lastNameAr: p.lastNameAr ?? '', firstNameLatin: p.firstNameLatin ?? '', lastNameLatin: p.lastNameLatin ?? '' };
}

/**
 * A stored request as the public status page reads it: the columns the view without proof shows,
 * its timeline and its school year's dates, read by {@link findRequestForView} in one indexed
 * query (no entity built: the status page is the page read most on a deadline day).
 */
export interface RequestForView {
  id: string;
  reference: string;
  status: PreRegistration['status'];
  schoolYear: string;
  level: PreRegistration['level'];
  submittedAt: Date;
  updatedAt: Date;
  openedAt: Date | null;
  decision: PreRegistration['decision'];
  parentAccountId: string | null;
  escalationDays: number | null;
  originalsDueBy: string | null;
  timeline: TimelineEntry[];
}

const MS = (column: string) => `floor(extract(epoch from ${column}) * 1000)::float8`;
const REQUEST_FOR_VIEW = prepared('request_for_view', `
select p.id, p.reference, p.status, p.school_year, p.level, ${MS('p.submitted_at')} as submitted_at, ${MS('p.updated_at')} as updated_at,
       ${MS('p.opened_at')} as opened_at, p.decision, p.parent_account_id, y.escalation_days, y.originals_due_by::text as originals_due_by,
       coalesce((select json_agg(json_build_array(${MS('e.at')}, e.type, e.status, e.details->>'channel') order by e.at, e.id)
                   from pre_registration_event e where e.pre_registration_id = p.id), '[]') as timeline
  from pre_registration p left join school_year y on y.code = p.school_year
 where p.reference = ?`);

/** The request of `reference` with its timeline and school year's dates (one query), or null. */
export async function findRequestForView(em: EntityManager, reference: string): Promise<RequestForView | null> {
  // A named prepared statement: parsed and planned once per connection, the reference a parameter.
  const [r] = await runPrepared<Record<string, unknown>>(em.getConnection(), REQUEST_FOR_VIEW, [reference]);
  if (!r) return null;
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)));
  return {
    id: String(r.id), reference: String(r.reference), status: r.status as PreRegistration['status'], schoolYear: String(r.school_year),
    level: r.level as PreRegistration['level'], submittedAt: date(r.submitted_at)!, updatedAt: date(r.updated_at)!, openedAt: date(r.opened_at),
    decision: (r.decision ?? null) as PreRegistration['decision'], parentAccountId: (r.parent_account_id as string | null) ?? null,
    escalationDays: r.escalation_days === null || r.escalation_days === undefined ? null : Number(r.escalation_days),
    originalsDueBy: (r.originals_due_by as string | null) ?? null,
    timeline: (r.timeline as Array<[number, string, string | null, string | null]>).map(([at, type, status, channel]) => ({ at: new Date(at), type, status, channel })),
  };
}

/**
 * The view of a request read by {@link findRequestForView} for a reader with `proof`: built from
 * that one query without proof (the same fields as {@link requestView}); with proof, the request
 * is loaded and {@link requestView} builds it (one implementation of the details).
 */
export async function viewOfRequest(em: EntityManager, r: RequestForView, proof: Proof): Promise<RequestView> {
  if (proof !== 'none') return requestView(em, await em.findOneOrFail(PreRegistration, { id: r.id }), proof);
  const pending = (PENDING_DECISION as readonly string[]).includes(r.status);
  const approved = (APPROVED as readonly string[]).includes(r.status);
  return {
    reference: r.reference, status: r.status, schoolYear: r.schoolYear, level: r.level,
    submittedAt: r.submittedAt, updatedAt: r.updatedAt, openedAt: r.openedAt, editable: canParentEdit(r),
    decisionDueOn: pending && r.escalationDays !== null ? decisionDueOn(r.submittedAt, r.escalationDays) : null,
    originalsDueBy: approved ? r.originalsDueBy : null,
    timeline: r.timeline, proof, details: null,
  };
}

/** The view of `pr` for a reader with `proof`. `pr.school` is loaded when needed. */
export async function requestView(em: EntityManager, pr: PreRegistration, proof: Proof): Promise<RequestView> {
  const events = await em.find(PreRegistrationEvent, { preRegistration: pr }, { orderBy: { at: 'asc', id: 'asc' } });
  const year = await em.findOne(SchoolYear, { code: pr.schoolYear });
  const pending = (PENDING_DECISION as readonly string[]).includes(pr.status);
  const approved = (APPROVED as readonly string[]).includes(pr.status);
  const view: RequestView = {
    reference: pr.reference, status: pr.status, schoolYear: pr.schoolYear, level: pr.level,
    submittedAt: pr.submittedAt, updatedAt: pr.updatedAt, openedAt: pr.openedAt ?? null, editable: canParentEdit(pr),
    decisionDueOn: pending && year ? decisionDueOn(pr.submittedAt, year.escalationDays) : null,
    originalsDueBy: approved ? year?.originalsDueBy ?? null : null,
    timeline: events.map((e) => ({ at: e.at, type: e.type, status: e.status ?? null, channel: (e.details as { channel?: string }).channel ?? null })),
    proof, details: null,
  };
  if (proof === 'none') return view;
  await em.populate(pr, ['school']);
  const reasons = pr.rejectionReasons.length ? await em.find(RejectionReason, { code: { $in: pr.rejectionReasons } }, { orderBy: { sortOrder: 'asc' } }) : [];
  view.details = {
    childFirstNameAr: pr.childFirstNameAr, childFirstNameLatin: pr.childFirstNameLatin,
    school: { code: pr.school.code, nameAr: pr.school.nameAr, nameFr: pr.school.nameFr, addressAr: pr.school.addressAr, addressFr: pr.school.addressFr },
    child: {
      firstNameAr: pr.childFirstNameAr, lastNameAr: pr.childLastNameAr, firstNameLatin: pr.childFirstNameLatin, lastNameLatin: pr.childLastNameLatin,
      birthDate: pr.birthDate,
    },
    guardian: guardianOf(pr),
    massarCode: pr.massarCode ?? null,
    rejectionReasons: reasons.map((x) => ({ code: x.code, textAr: x.textAr, textFr: x.textFr })),
    decisionNote: pr.decision === 'reject' ? pr.decisionNote ?? null : null,
    correctionMessage: pr.status === 'correctionRequested' ? pr.correctionMessage ?? null : null,
  };
  return view;
}
