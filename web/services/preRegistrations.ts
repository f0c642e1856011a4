/**
 * The pre-registration service shared by the parent pages and the JSON API: validate a submission
 * (domain rules + school map), store it with its photo, start its workflow; read a request for the
 * status page; send a director's decision. Same rules and messages whatever the door.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { WorkflowUpdateFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { duplicateKeys } from '../../domain/duplicates';
import { normalizeForSearch } from '../../domain/names';
import { generateReference, workflowIdFor } from '../../domain/reference';
import { parseSubmission, submissionToRaw, type FieldError } from '../../domain/submission';
import { todayInCasablanca } from '../../domain/dates';
import type { AgeRule, Decision, Level, PreRegistrationSubmission } from '../../domain/types';
import { AgeRuleRow, Commune, PreRegistration, PreRegistrationEvent, ResidenceZone, School, SchoolYear } from '../../entities';
import type { TasjilTemporal } from '../../temporal/client';
import type { PreRegistrationInput } from '../../workflows/preRegistration';
import {
  CANNOT_WITHDRAW, DEROGATION_NOTE_REQUIRED, INVALID_DECISION, NOT_AWAITING_CORRECTION, NOT_AWAITING_DECISION, NOT_AWAITING_EXPORT_RETRY,
} from '../../workflows/preRegistration';
import { normalizePhoto, storePhoto } from './photos';

/** Outcome of a submission. `created` is false when the same submission token was seen before. */
export type SubmitResult =
  | { ok: true; reference: string; status: string; created: boolean }
  | { ok: false; errors: FieldError[] };

/** Loads the age rule row of a school year and level as a domain AgeRule. */
export async function ageRuleFor(em: EntityManager, schoolYear: string, level: Level): Promise<AgeRule | null> {
  const r = await em.findOne(AgeRuleRow, { schoolYear, level });
  return r ? {
    schoolYear, level, eligibleBornOnOrBefore: r.eligibleBornOnOrBefore, eligibleBornOnOrAfter: r.eligibleBornOnOrAfter ?? null,
    toleranceBornFrom: r.toleranceBornFrom ?? null, toleranceBornTo: r.toleranceBornTo ?? null, referenceDate: r.referenceDate, source: r.source,
  } : null;
}

function rawField(raw: unknown, key: string): unknown {
  return raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[key] : undefined;
}

/**
 * Validates and stores a pre-registration, then starts its workflow.
 * @param raw the form body (qs-nested strings) or the API's JSON.
 * @param photo the uploaded photo's bytes (any type; sniffed).
 * @param submissionToken idempotency key of this submission (hidden form field or Idempotency-Key header).
 * @throws only on infrastructure failure (database or Temporal down); bad input returns `ok: false`.
 */
export async function submitPreRegistration(
  deps: { em: EntityManager; temporal: TasjilTemporal; now?: Date; deadlines?: PreRegistrationInput['deadlines'] },
  raw: unknown, photo: Buffer | undefined, submissionToken: string,
): Promise<SubmitResult> {
  const { em, temporal } = deps;
  const now = deps.now ?? new Date();

  const existing = submissionToken ? await em.findOne(PreRegistration, { submissionToken }) : null;
  if (existing) {
    await startWorkflow(em, temporal, existing, deps.deadlines);
    return { ok: true, reference: existing.reference, status: existing.status, created: false };
  }

  const year = await em.findOne(SchoolYear, { isCurrent: true });
  const schoolYear = String(rawField(raw, 'schoolYear') ?? year?.code ?? '');
  const level = rawField(raw, 'level') === 'preschool' ? 'preschool' : 'primary1';
  const rule = await ageRuleFor(em, schoolYear, level);
  const parsed = parseSubmission({ ...(raw as object), schoolYear }, { ageRule: rule, today: todayInCasablanca(now) });
  const errors: FieldError[] = parsed.ok ? [] : [...parsed.errors];
  if (!rule && !errors.some((e) => e.field === 'schoolYear' || e.field === 'level')) errors.push({ field: 'schoolYear', code: 'validation.schoolYear' });

  // School map: the zone must exist in the chosen commune, the school must exist.
  let zone: ResidenceZone | null = null;
  let school: School | null = null;
  const zoneCode = parsed.ok ? parsed.value.residence.residenceZoneCode : String((rawField(raw, 'residence') as Record<string, unknown> | undefined)?.residenceZoneCode ?? '');
  const communeCode = parsed.ok ? parsed.value.residence.communeCode : String((rawField(raw, 'residence') as Record<string, unknown> | undefined)?.communeCode ?? '');
  const schoolCode = parsed.ok ? parsed.value.schoolCode : String(rawField(raw, 'schoolCode') ?? '');
  if (zoneCode) {
    zone = await em.findOne(ResidenceZone, { code: zoneCode }, { populate: ['commune'] });
    if (!zone || (communeCode && zone.commune.code !== communeCode)) {
      if (!errors.some((e) => e.field === 'residence.residenceZoneCode')) errors.push({ field: 'residence.residenceZoneCode', code: 'validation.unknownZone' });
      zone = null;
    }
  }
  if (schoolCode) {
    school = await em.findOne(School, { code: schoolCode }, { populate: ['directorate.academy'] });
    if (!school && !errors.some((e) => e.field === 'schoolCode')) errors.push({ field: 'schoolCode', code: 'validation.unknownSchool' });
  }

  const photoResult = await normalizePhoto(photo);
  if (!photoResult.ok) errors.push({ field: 'photo', code: `validation.${photoResult.error}` });

  if (!parsed.ok || errors.length || !zone || !school || !photoResult.ok) {
    return { ok: false, errors: dedupe(errors) };
  }
  const s: PreRegistrationSubmission = parsed.value;
  const guardian = s.guardianRole === 'tutor' ? s.tutor! : s[s.guardianRole];

  let pr: PreRegistration;
  try {
    pr = await em.transactional(async (tx) => {
      const photoKey = storePhoto(tx, photoResult.jpeg, photoResult.width, photoResult.height);
      const startYear = Number(s.schoolYear.slice(0, 4));
      const reference = generateReference(startYear, (n) => randomBytes(n));
      const row = tx.create(PreRegistration, {
        id: randomUUID(), reference, submissionToken: submissionToken || randomUUID(), status: 'submitted',
        schoolYear: s.schoolYear, level: s.level, school: school!, commune: zone!.commune, residenceZone: zone!,
        childFirstNameAr: s.child.firstNameAr, childLastNameAr: s.child.lastNameAr,
        childFirstNameLatin: s.child.firstNameLatin, childLastNameLatin: s.child.lastNameLatin,
        birthDate: s.civilStatus.birthDate, birthDateHijri: s.civilStatus.birthDateHijri, birthPlace: s.civilStatus.birthPlace,
        birthCertificateNumber: s.civilStatus.birthCertificateNumber, birthCertificateDate: s.civilStatus.birthCertificateDate,
        fatherLineage: s.civilStatus.fatherLineage, motherLineage: s.civilStatus.motherLineage,
        guardianRole: s.guardianRole, father: s.father, mother: s.mother, tutor: s.tutor, siblings: s.siblings,
        contactEmail: guardian.email, contactPhone: guardian.phone,
        contactPhoneIsMobile: /^\+212[67]\d{8}$/.test(guardian.phone),
        language: s.language, photoKey,
        searchText: searchTextOf(s, reference),
        duplicateKeys: duplicateKeys({
          birthDate: s.civilStatus.birthDate, firstNameAr: s.child.firstNameAr, lastNameAr: s.child.lastNameAr,
          birthCertificateNumber: s.civilStatus.birthCertificateNumber,
        }),
        rejectionReasons: [], workflowId: workflowIdFor(reference), submittedAt: now, updatedAt: now,
      });
      tx.create(PreRegistrationEvent, { preRegistration: row, eventKey: 'status:submitted', type: 'status', status: 'submitted', actor: 'parent', details: {}, at: now });
      return row;
    });
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException && submissionToken) {
      const again = await em.fork().findOne(PreRegistration, { submissionToken });
      if (again) return { ok: true, reference: again.reference, status: again.status, created: false };
    }
    throw err;
  }
  await startWorkflow(em, temporal, pr, deps.deadlines);
  return { ok: true, reference: pr.reference, status: pr.status, created: true };
}

/** Starts the request's workflow (no-op when running); deadlines come from the school year unless given (tests). */
async function startWorkflow(em: EntityManager, temporal: TasjilTemporal, pr: PreRegistration, deadlines?: PreRegistrationInput['deadlines']): Promise<void> {
  const school = await em.findOneOrFail(School, { code: pr.school.code }, { populate: ['directorate.academy'] });
  const year = await em.findOne(SchoolYear, { code: pr.schoolYear });
  const day = 24 * 3600 * 1000;
  await temporal.start({
    reference: pr.reference, schoolCode: school.code, directorateCode: school.directorate.code,
    academyCode: school.directorate.academy.code, schoolYear: pr.schoolYear, level: pr.level,
    deadlines: deadlines ?? (year ? { reminderAfterMs: year.decisionReminderDays * day, escalateAfterMs: year.escalationDays * day } : undefined),
  });
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => (seen.has(e.field) ? false : (seen.add(e.field), true)));
}

/** Why the workflow refused an Update, as a catalogue key suffix (`decision.refused.<code>`). */
export type RefusalCode = 'alreadyDecided' | 'invalidDecision' | 'derogationNoteRequired' | 'notAwaitingCorrection' | 'cannotWithdraw' | 'notAwaitingExportRetry' | 'workflowEnded';

/** An Update refused by the workflow (validator) or sent to an ended workflow. */
export class DecisionRefused extends Error {
  constructor(readonly code: RefusalCode, detail: string) {
    super(detail);
  }
}

const REFUSALS: Record<string, RefusalCode> = {
  [NOT_AWAITING_DECISION]: 'alreadyDecided',
  [INVALID_DECISION]: 'invalidDecision',
  [DEROGATION_NOTE_REQUIRED]: 'derogationNoteRequired',
  [NOT_AWAITING_CORRECTION]: 'notAwaitingCorrection',
  [CANNOT_WITHDRAW]: 'cannotWithdraw',
  [NOT_AWAITING_EXPORT_RETRY]: 'notAwaitingExportRetry',
};

/**
 * Runs one Update and translates a refusal.
 * @throws DecisionRefused when the validator refuses it or the workflow has ended; other errors as is.
 */
export async function sendUpdate<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type && REFUSALS[err.cause.type]) {
      throw new DecisionRefused(REFUSALS[err.cause.type], err.cause.message);
    }
    if (err instanceof WorkflowNotFoundError || (err as Error)?.name === 'WorkflowNotFoundError') {
      throw new DecisionRefused('workflowEnded', (err as Error).message);
    }
    throw err;
  }
}

/**
 * Sends a director's decision to the request's workflow (Update `decide`).
 * @throws DecisionRefused when the validator refuses it or the workflow has ended.
 */
export function sendDecision(temporal: TasjilTemporal, reference: string, decision: Decision): Promise<{ status: string }> {
  return sendUpdate(() => temporal.decide(reference, decision));
}

/**
 * The director asks the parent to correct the request: the message is stored (PostgreSQL, never in
 * the workflow), then the workflow is told; the request leaves the queue until the parent's edit.
 * @throws DecisionRefused (`alreadyDecided` when not under review).
 */
export async function requestCorrection(
  deps: { em: EntityManager; temporal: TasjilTemporal }, reference: string, message: string, requestedBy: string,
): Promise<{ status: string }> {
  const pr = await deps.em.findOneOrFail(PreRegistration, { reference });
  if (pr.status !== 'underReview') throw new DecisionRefused('alreadyDecided', `status ${pr.status}`);
  pr.correctionMessage = message.trim();
  await deps.em.flush();
  return sendUpdate(() => deps.temporal.requestCorrection(reference, requestedBy));
}

/** Fields a parent may change in a correction (the school year, level and school map stay as chosen, the zone and school may change). */
export type CorrectionResult = { ok: true; status: string } | { ok: false; errors: FieldError[] };

/**
 * Stores the parent's corrected submission (same validation as a new one; the photo is replaced
 * only when a new one is given) and tells the workflow, which re-runs the checks.
 * @throws DecisionRefused (`notAwaitingCorrection`) when no correction is awaited.
 */
export async function submitCorrection(
  deps: { em: EntityManager; temporal: TasjilTemporal; now?: Date }, reference: string, raw: unknown, photo: Buffer | undefined,
): Promise<CorrectionResult> {
  const { em } = deps;
  const now = deps.now ?? new Date();
  const pr = await em.findOneOrFail(PreRegistration, { reference });
  if (pr.status !== 'correctionRequested') throw new DecisionRefused('notAwaitingCorrection', `status ${pr.status}`);
  const rule = await ageRuleFor(em, pr.schoolYear, pr.level);
  const parsed = parseSubmission({ ...(raw as object), schoolYear: pr.schoolYear, level: pr.level }, { ageRule: rule, today: todayInCasablanca(now) });
  const errors: FieldError[] = parsed.ok ? [] : [...parsed.errors];
  let zone: ResidenceZone | null = null;
  let school: School | null = null;
  if (parsed.ok) {
    zone = await em.findOne(ResidenceZone, { code: parsed.value.residence.residenceZoneCode }, { populate: ['commune'] });
    if (!zone || zone.commune.code !== parsed.value.residence.communeCode) errors.push({ field: 'residence.residenceZoneCode', code: 'validation.unknownZone' });
    school = await em.findOne(School, { code: parsed.value.schoolCode });
    if (!school) errors.push({ field: 'schoolCode', code: 'validation.unknownSchool' });
  }
  const newPhoto = photo && photo.length ? await normalizePhoto(photo) : null;
  if (newPhoto && !newPhoto.ok) errors.push({ field: 'photo', code: `validation.${newPhoto.error}` });
  if (!parsed.ok || errors.length || !zone || !school) return { ok: false, errors: dedupe(errors) };
  const s = parsed.value;
  const guardian = s.guardianRole === 'tutor' ? s.tutor! : s[s.guardianRole];
  await em.transactional(async (tx) => {
    const row = await tx.findOneOrFail(PreRegistration, { reference });
    if (newPhoto?.ok) row.photoKey = storePhoto(tx, newPhoto.jpeg, newPhoto.width, newPhoto.height);
    Object.assign(row, {
      school: tx.getReference(School, school!.code), commune: tx.getReference(Commune, zone!.commune.code), residenceZone: tx.getReference(ResidenceZone, zone!.code),
      childFirstNameAr: s.child.firstNameAr, childLastNameAr: s.child.lastNameAr, childFirstNameLatin: s.child.firstNameLatin, childLastNameLatin: s.child.lastNameLatin,
      birthDate: s.civilStatus.birthDate, birthDateHijri: s.civilStatus.birthDateHijri, birthPlace: s.civilStatus.birthPlace,
      birthCertificateNumber: s.civilStatus.birthCertificateNumber, birthCertificateDate: s.civilStatus.birthCertificateDate,
      fatherLineage: s.civilStatus.fatherLineage, motherLineage: s.civilStatus.motherLineage,
      guardianRole: s.guardianRole, father: s.father, mother: s.mother, tutor: s.tutor, siblings: s.siblings,
      contactEmail: guardian.email, contactPhone: guardian.phone, contactPhoneIsMobile: /^\+212[67]\d{8}$/.test(guardian.phone),
      searchText: searchTextOf(s, reference),
      duplicateKeys: duplicateKeys({ birthDate: s.civilStatus.birthDate, firstNameAr: s.child.firstNameAr, lastNameAr: s.child.lastNameAr, birthCertificateNumber: s.civilStatus.birthCertificateNumber }),
      updatedAt: now,
    });
    tx.create(PreRegistrationEvent, { preRegistration: row, eventKey: `corrected:${now.getTime()}`, type: 'corrected', actor: 'parent', details: {}, at: now });
  });
  const r = await sendUpdate(() => deps.temporal.correctionSubmitted(reference));
  return { ok: true, status: r.status };
}

/**
 * The parent withdraws the request (before any decision).
 * @throws DecisionRefused (`cannotWithdraw`).
 */
export function withdrawPreRegistration(temporal: TasjilTemporal, reference: string): Promise<{ status: string }> {
  return sendUpdate(() => temporal.withdraw(reference));
}

/** The normalised text searched by the staff queue: names in both scripts, certificate number, CINs, reference. */
export function searchTextOf(s: PreRegistrationSubmission, reference: string): string {
  return normalizeForSearch([
    s.child.firstNameAr, s.child.lastNameAr, s.child.firstNameLatin, s.child.lastNameLatin,
    s.civilStatus.birthCertificateNumber, s.father.cin, s.mother.cin, s.tutor?.cin ?? '', reference,
  ].join(' '));
}

/** Errors as `{ field: message }` in the given language (for pages and the API). */
export function errorsByField(errors: FieldError[], t: (key: string, params?: Record<string, string>) => string): Record<string, string> {
  return Object.fromEntries(errors.map((e) => [e.field, t(e.code, e.params)]));
}

/** A stored request as a raw submission (to refill the correction form). */
export function storedSubmission(pr: PreRegistration): Record<string, unknown> {
  return submissionToRaw({
    schoolYear: pr.schoolYear, level: pr.level,
    child: { firstNameAr: pr.childFirstNameAr, lastNameAr: pr.childLastNameAr, firstNameLatin: pr.childFirstNameLatin, lastNameLatin: pr.childLastNameLatin },
    civilStatus: {
      birthDate: pr.birthDate, birthDateHijri: pr.birthDateHijri, birthPlace: pr.birthPlace, birthCertificateNumber: pr.birthCertificateNumber,
      birthCertificateDate: pr.birthCertificateDate, fatherLineage: pr.fatherLineage, motherLineage: pr.motherLineage,
    },
    siblings: pr.siblings, guardianRole: pr.guardianRole, father: pr.father, mother: pr.mother, tutor: pr.tutor ?? null,
    residence: { communeCode: pr.commune.code, residenceZoneCode: pr.residenceZone.code }, schoolCode: pr.school.code, language: pr.language,
  });
}
