/**
 * Drafts of the parents' space: a pre-registration filled in step by step (child, civil status,
 * siblings, parents and guardian, residence and school, photo, review), saved in PostgreSQL at
 * every step so that it resumes on any device. A draft keeps the answers exactly as typed, errors
 * included; each step is checked with the same rules as a whole submission (`parseSubmission`),
 * keeping only the errors of that step's fields.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { parseSubmission, type FieldError } from '../../domain/submission';
import { todayInCasablanca } from '../../domain/dates';
import type { Level } from '../../domain/types';
import { ParentAccount, PreRegistration, PreRegistrationDraft, ResidenceZone } from '../../entities';
import { ageRuleFor, storedSubmission } from './preRegistrations';
import { schoolServesZone, zoneChain } from './schoolMap';

/** The steps, in order (issue 3: child, civil status, siblings, parents/guardian, residence and school, photo, review). */
export const STEPS = ['child', 'civilStatus', 'siblings', 'parents', 'school', 'photo', 'review'] as const;
export type Step = (typeof STEPS)[number];

/** Top-level keys of the draft's data that each step owns (what its form posts). */
export const STEP_FIELDS: Record<Step, readonly string[]> = {
  child: ['level', 'child'],
  civilStatus: ['civilStatus'],
  siblings: ['siblings'],
  parents: ['guardianRole', 'father', 'mother', 'tutor'],
  school: ['residence', 'schoolChoice', 'schoolCode', 'otherSchoolCode', 'schoolChoiceReason'],
  photo: ['photo'],
  review: [],
};

/** Longest reason accepted for choosing a school outside the residence zone, in characters. */
export const SCHOOL_CHOICE_REASON_MAX = 500;

export function isStep(s: string): s is Step {
  return (STEPS as readonly string[]).includes(s);
}

/** The step a field's error belongs to (`father.phone` → `parents`). */
export function stepOfField(field: string): Step {
  const root = field.split('.')[0];
  return STEPS.find((s) => STEP_FIELDS[s].includes(root)) ?? 'review';
}

/**
 * The draft's data as a raw submission: the school is the zone school or the other school chosen,
 * the residence keeps only its commune and zone.
 */
export function draftToRaw(data: Record<string, unknown>): Record<string, unknown> {
  const residence = (data.residence ?? {}) as Record<string, unknown>;
  const other = data.schoolChoice === 'other';
  return {
    schoolYear: data.schoolYear, level: data.level, child: data.child, civilStatus: data.civilStatus, siblings: data.siblings,
    guardianRole: data.guardianRole, father: data.father, mother: data.mother, tutor: data.guardianRole === 'tutor' ? data.tutor : undefined,
    residence: { communeCode: residence.communeCode, residenceZoneCode: residence.residenceZoneCode },
    schoolCode: other ? data.otherSchoolCode : data.schoolCode,
    language: data.language,
  };
}

/**
 * Puts what one step's form posted into the draft's data (only that step's keys; nothing else is
 * touched, so nothing typed elsewhere is lost). Strings only; siblings as an array.
 */
export function mergeStep(data: Record<string, unknown>, step: Step, body: Record<string, unknown>, opts: { levelFixed: boolean }): Record<string, unknown> {
  const out = { ...data };
  const clean = (v: unknown, depth = 3): unknown => {
    if (typeof v === 'string') return v.slice(0, 1000);
    if (depth <= 0 || v === null || typeof v !== 'object') return undefined;
    if (Array.isArray(v)) return v.slice(0, 20).map((x) => clean(x, depth - 1) ?? {});
    return Object.fromEntries(Object.entries(v).filter(([k]) => /^[A-Za-z][A-Za-z0-9]{0,40}$/.test(k)).map(([k, x]) => [k, clean(x, depth - 1)]));
  };
  for (const key of STEP_FIELDS[step]) {
    if (key === 'photo' || (key === 'level' && opts.levelFixed)) continue;
    let v = clean(body[key]);
    if (key === 'siblings') v = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
    out[key] = v;
  }
  return out;
}

/**
 * The errors of one step (or of every step with `'review'`), in form order.
 * Adds to `parseSubmission`'s rules: the school-map checks (zone of the commune, school known), the
 * reason required when the school is not one of the zone's (`validation.schoolChoiceReasonRequired`),
 * and the photo.
 */
export async function draftErrors(em: EntityManager, draft: PreRegistrationDraft, step: Step, now = new Date()): Promise<FieldError[]> {
  const data = draft.data;
  const raw = draftToRaw(data);
  const level: Level = data.level === 'preschool' ? 'preschool' : 'primary1';
  const rule = await ageRuleFor(em, String(data.schoolYear ?? ''), level);
  const parsed = parseSubmission(raw, { ageRule: rule, today: todayInCasablanca(now) });
  const errors: FieldError[] = parsed.ok ? [] : parsed.errors.map((e) => (e.field === 'schoolCode' && data.schoolChoice === 'other' ? { ...e, field: 'otherSchoolCode' } : e));
  const residence = (data.residence ?? {}) as Record<string, string>;
  const has = (f: string) => errors.some((e) => e.field === f);
  if (step === 'school' || step === 'review') {
    const zoneCode = residence.residenceZoneCode ?? '';
    if (zoneCode && !has('residence.residenceZoneCode')) {
      const zone = await em.findOne(ResidenceZone, { code: zoneCode }, { populate: ['commune'] });
      if (!zone || zone.commune.code !== residence.communeCode) errors.push({ field: 'residence.residenceZoneCode', code: 'validation.unknownZone' });
    }
    const schoolField = data.schoolChoice === 'other' ? 'otherSchoolCode' : 'schoolCode';
    const schoolCode = String(raw.schoolCode ?? '');
    if (schoolCode && zoneCode && !has(schoolField) && !has('residence.residenceZoneCode') && !(await schoolServesZone(em, schoolCode, zoneCode))) {
      const reason = String(data.schoolChoiceReason ?? '').trim();
      if (!reason) errors.push({ field: 'schoolChoiceReason', code: 'validation.schoolChoiceReasonRequired' });
      else if (reason.length > SCHOOL_CHOICE_REASON_MAX) errors.push({ field: 'schoolChoiceReason', code: 'validation.tooLong', params: { max: String(SCHOOL_CHOICE_REASON_MAX) } });
    }
  }
  if ((step === 'photo' || step === 'review') && !draft.photoKey) errors.push({ field: 'photo', code: 'validation.photo.required' });
  // Fields the parent cannot see on the steps (school year, language) are not theirs to fix.
  const visible = errors.filter((e) => e.field !== 'schoolYear' && e.field !== 'language' && e.field !== '');
  return step === 'review' ? visible.sort((a, b) => STEPS.indexOf(stepOfField(a.field)) - STEPS.indexOf(stepOfField(b.field))) : visible.filter((e) => stepOfField(e.field) === step);
}

/** A new draft for the account, with the parents' details of its profile already filled in. */
export function newDraft(em: EntityManager, account: ParentAccount, schoolYear: string, language: string, now = new Date()): PreRegistrationDraft {
  const p = account.profile ?? {};
  return em.create(PreRegistrationDraft, {
    id: randomUUID(), account, step: 'child', createdAt: now, updatedAt: now,
    data: {
      schoolYear, language, level: 'primary1', child: {}, civilStatus: {}, siblings: [{}],
      guardianRole: p.guardianRole ?? 'father', father: p.father ?? {}, mother: p.mother ?? {}, tutor: p.tutor ?? {},
      residence: p.residence ?? {}, schoolChoice: 'zone',
    },
  });
}

/**
 * The draft that edits a submitted request (created on first use from the stored request, reused
 * until sent): same steps, the level and school year fixed.
 */
export async function editDraft(em: EntityManager, account: ParentAccount, pr: PreRegistration, now = new Date()): Promise<PreRegistrationDraft> {
  const open = await em.findOne(PreRegistrationDraft, { account, reference: pr.reference, submittedAt: null });
  if (open) return open;
  const raw = storedSubmission(pr);
  const chain = await zoneChain(em, pr.residenceZone.code);
  const serves = await schoolServesZone(em, pr.school.code, pr.residenceZone.code);
  const draft = em.create(PreRegistrationDraft, {
    id: randomUUID(), account, step: 'review', reference: pr.reference, photoKey: pr.photoKey ?? null, createdAt: now, updatedAt: now,
    data: {
      ...raw,
      siblings: (raw.siblings as unknown[]).length ? raw.siblings : [{}],
      tutor: raw.tutor ?? {},
      residence: { ...(raw.residence as object), academy: chain?.academy.code ?? '', directorate: chain?.directorate.code ?? '' },
      schoolChoice: serves ? 'zone' : 'other',
      schoolCode: serves ? pr.school.code : '',
      otherSchoolCode: serves ? '' : pr.school.code,
      schoolChoiceReason: pr.schoolChoiceReason ?? '',
    },
  });
  await em.flush();
  return draft;
}
