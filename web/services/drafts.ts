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
import { isIsoDate, todayInCasablanca } from '../../domain/dates';
import { gregorianToHijri } from '../../domain/hijri';
import type { Level } from '../../domain/types';
import { ParentAccount, PreRegistration, PreRegistrationDraft, ResidenceZone } from '../../entities';
import { ageRuleFor, storedSubmission } from './preRegistrations';
import { schoolServesZone, zoneChain } from './schoolMap';

/**
 * The steps, in order: one question group per page (GOV.UK pattern, issue 15): the child (level,
 * names, birth date), civil status (the Hijri date confirmed, the certificate), siblings (asked
 * first whether there are any), the guardian's role, then only the parents' blocks that apply,
 * residence and school, photo, review. A step is added here and in `STEP_FIELDS`.
 */
export const STEPS = ['child', 'civilStatus', 'siblings', 'guardian', 'parents', 'school', 'photo', 'review'] as const;
export type Step = (typeof STEPS)[number];

/**
 * Keys of the draft's data that each step owns (what its form posts): a top-level key, or a
 * dotted one for a single field of a block another step owns (`civilStatus.birthDate`, asked on
 * the child's step). A posted block is merged into the draft's (keys not posted are kept).
 */
export const STEP_FIELDS: Record<Step, readonly string[]> = {
  child: ['level', 'child', 'civilStatus.birthDate'],
  civilStatus: ['civilStatus'],
  siblings: ['hasSiblings', 'siblings'],
  guardian: ['guardianRole'],
  parents: ['father', 'mother', 'tutor'],
  school: ['residence', 'schoolChoice', 'schoolCode', 'otherSchoolCode', 'schoolChoiceReason', 'wantsOther'],
  photo: ['photo'],
  review: [],
};

/** Longest reason accepted for choosing a school outside the residence zone, in characters. */
export const SCHOOL_CHOICE_REASON_MAX = 500;

export function isStep(s: string): s is Step {
  return (STEPS as readonly string[]).includes(s);
}

/** The step a field's error belongs to (`father.phone` → `parents`, `civilStatus.birthDate` → `child`). */
export function stepOfField(field: string): Step {
  const owns = (key: string) => field === key || field.startsWith(`${key}.`);
  return STEPS.find((s) => STEP_FIELDS[s].some((k) => k.includes('.') && owns(k)))
    ?? STEPS.find((s) => STEP_FIELDS[s].some((k) => !k.includes('.') && owns(k)))
    ?? 'review';
}

/** The Umm al-Qura date of the draft's birth date, when that date is a valid one. */
export function computedHijriOf(data: Record<string, unknown>): string | null {
  const birthDate = String(((data.civilStatus ?? {}) as Record<string, unknown>).birthDate ?? '');
  try {
    return isIsoDate(birthDate) ? gregorianToHijri(birthDate) : null;
  } catch {
    return null;
  }
}

/**
 * The draft's data as a raw submission: the school is the zone school or the other school chosen,
 * the residence keeps only its commune and zone.
 */
export function draftToRaw(data: Record<string, unknown>): Record<string, unknown> {
  const residence = (data.residence ?? {}) as Record<string, unknown>;
  const other = data.schoolChoice === 'other';
  const civil = (data.civilStatus ?? {}) as Record<string, unknown>;
  // The Hijri date confirmed by the parent is the one computed from the birth date (recomputed if
  // the birth date changed since); else the one they typed from the certificate.
  const computed = computedHijriOf(data);
  const civilStatus = civil.hijriConfirm === 'yes' && computed ? { ...civil, birthDateHijri: computed } : civil;
  const { hijriConfirm: _confirm, ...civilRaw } = civilStatus;
  void _confirm;
  return {
    schoolYear: data.schoolYear, level: data.level, child: data.child, civilStatus: civilRaw, siblings: data.hasSiblings === 'no' ? [] : data.siblings,
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
  const isBlock = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);
  for (const key of STEP_FIELDS[step]) {
    if (key === 'photo' || (key === 'level' && opts.levelFixed)) continue;
    if (key.includes('.')) {
      // One field of another step's block (the birth date on the child's step).
      const [block, leaf] = key.split('.');
      const posted = clean(body[block]);
      if (!isBlock(posted)) continue; // not on this form (an older page): kept as it was
      const value = posted[leaf];
      out[block] = { ...(isBlock(out[block]) ? out[block] : {}), [leaf]: typeof value === 'string' ? value : '' };
      continue;
    }
    if (body[key] === undefined && isBlock(out[key])) continue; // a block this page does not show (the tutor's, when not the guardian)
    let v = clean(body[key]);
    if (key === 'siblings') v = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
    // A block keeps what this page does not show (the other parent's contact details, the birth date).
    else if (isBlock(v) && isBlock(out[key])) v = { ...out[key], ...v };
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
  let errors: FieldError[] = parsed.ok ? [] : parsed.errors.map((e) => (e.field === 'schoolCode' && data.schoolChoice === 'other' ? { ...e, field: 'otherSchoolCode' } : e));
  const residence = (data.residence ?? {}) as Record<string, string>;
  const has = (f: string) => errors.some((e) => e.field === f);
  // The Hijri date: confirmed (yes), typed from the certificate (no), or not answered yet.
  const civil = (data.civilStatus ?? {}) as Record<string, unknown>;
  if (computedHijriOf(data) && civil.hijriConfirm !== 'yes' && civil.hijriConfirm !== 'no' && !String(civil.birthDateHijri ?? '').trim()) {
    errors = errors.filter((e) => e.field !== 'civilStatus.birthDateHijri');
    errors.push({ field: 'civilStatus.hijriConfirm', code: 'validation.chooseOne' });
  }
  // Siblings: the question first; "yes" needs at least one.
  if (data.hasSiblings !== 'yes' && data.hasSiblings !== 'no') errors.push({ field: 'hasSiblings', code: 'validation.chooseOne' });
  else if (data.hasSiblings === 'yes' && !(Array.isArray(data.siblings) && data.siblings.some((x) => x && typeof x === 'object' && Object.values(x).some((v) => typeof v === 'string' && v.trim())))) {
    errors.push({ field: 'siblings.0.firstNameAr', code: 'validation.siblingsMissing' });
  }
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
  const order = (f: string) => STEPS.indexOf(stepOfField(f));
  return step === 'review' ? visible.sort((a, b) => order(a.field) - order(b.field)) : visible.filter((e) => stepOfField(e.field) === step);
}

/** A new draft for the account, with the parents' details of its profile already filled in. */
export function newDraft(em: EntityManager, account: ParentAccount, schoolYear: string, language: string, now = new Date()): PreRegistrationDraft {
  const p = account.profile ?? {};
  return em.create(PreRegistrationDraft, {
    id: randomUUID(), account, step: 'child', createdAt: now, updatedAt: now,
    data: {
      schoolYear, language, level: '', child: {}, civilStatus: {}, siblings: [{}],
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
      civilStatus: { ...(raw.civilStatus as object), hijriConfirm: computedHijriOf(raw) === (raw.civilStatus as Record<string, unknown>).birthDateHijri ? 'yes' : 'no' },
      hasSiblings: (raw.siblings as unknown[]).length ? 'yes' : 'no',
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

/**
 * The guardian's phone or e-mail pre-filled from the account's identifier (the number or address
 * the parent signed up with, already proven by a code), when neither is filled in yet.
 */
export function prefillGuardianContact(data: Record<string, unknown>, account: ParentAccount): void {
  const role = data.guardianRole;
  if (role !== 'father' && role !== 'mother' && role !== 'tutor') return;
  const person = { ...((data[role] ?? {}) as Record<string, unknown>) };
  if (String(person.phone ?? '').trim() || String(person.email ?? '').trim()) return;
  if (account.phone) person.phone = account.phone.startsWith('+212') ? `0${account.phone.slice(4)}` : account.phone;
  else if (account.email) person.email = account.email;
  else return;
  data[role] = person;
}

/** What a second child may share with the previous one: family name, lineage, place of birth. */
export interface PreviousChild { name: string; lastNameAr: string; lastNameLatin: string; birthPlace: string; fatherLineage: string; motherLineage: string }

/** The account's previous child (its latest request, else its latest other draft with a family name), or null. */
export async function previousChild(em: EntityManager, account: ParentAccount, exceptDraftId: string, lang: string): Promise<PreviousChild | null> {
  const pr = await em.findOne(PreRegistration, { parentAccountId: account.id }, { orderBy: { submittedAt: 'desc' } });
  if (pr) {
    return {
      name: lang === 'ar' ? pr.childFirstNameAr : pr.childFirstNameLatin, lastNameAr: pr.childLastNameAr, lastNameLatin: pr.childLastNameLatin,
      birthPlace: pr.birthPlace, fatherLineage: pr.fatherLineage, motherLineage: pr.motherLineage,
    };
  }
  const drafts = await em.find(PreRegistrationDraft, { account, id: { $ne: exceptDraftId }, reference: null }, { orderBy: { updatedAt: 'desc' }, limit: 10 });
  for (const d of drafts) {
    const child = (d.data.child ?? {}) as Record<string, string>;
    const civil = (d.data.civilStatus ?? {}) as Record<string, string>;
    if (!child.lastNameAr && !child.lastNameLatin) continue;
    return {
      name: String((lang === 'ar' ? child.firstNameAr : child.firstNameLatin) ?? ''), lastNameAr: child.lastNameAr ?? '', lastNameLatin: child.lastNameLatin ?? '',
      birthPlace: civil.birthPlace ?? '', fatherLineage: civil.fatherLineage ?? '', motherLineage: civil.motherLineage ?? '',
    };
  }
  return null;
}

/** Copies the previous child's family name, lineage and place of birth into the fields still empty. */
export function copyFromPrevious(data: Record<string, unknown>, prev: PreviousChild): void {
  const child = { ...((data.child ?? {}) as Record<string, unknown>) };
  const civil = { ...((data.civilStatus ?? {}) as Record<string, unknown>) };
  const fill = (o: Record<string, unknown>, k: string, v: string) => { if (!String(o[k] ?? '').trim() && v) o[k] = v; };
  fill(child, 'lastNameAr', prev.lastNameAr);
  fill(child, 'lastNameLatin', prev.lastNameLatin);
  fill(civil, 'birthPlace', prev.birthPlace);
  fill(civil, 'fatherLineage', prev.fatherLineage);
  fill(civil, 'motherLineage', prev.motherLineage);
  data.child = child;
  data.civilStatus = civil;
}
