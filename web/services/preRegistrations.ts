/**
 * The pre-registration service shared by the parent pages and the JSON API: validate a submission
 * (domain rules + school map), store it with its photo, start its workflow; read a request for the
 * status page; send a director's decision. Same rules and messages whatever the door.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  activeRequestByChildKey, insertPhoto, insertRequest, isUniqueViolation, photoExists, requestByToken, schoolExists, submitContext, zoneByCode,
} from '../../persistence/submissions';
import { WorkflowUpdateFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { duplicateKeys } from '../../domain/duplicates';
import { generateReference, workflowIdFor } from '../../domain/reference';
import { parseSubmission, submissionToRaw, type FieldError } from '../../domain/submission';
import { todayInCasablanca } from '../../domain/dates';
import type { AgeRule, Decision, Level, PreRegistrationSubmission } from '../../domain/types';
import { AgeRuleRow, StaffUser, PreRegistration, PreRegistrationEvent, PreRegistrationRevision, ResidenceZone, School } from '../../entities';
import type { TasjilTemporal } from '../../temporal/client';
import type { PreRegistrationInput } from '../../workflows/preRegistration';
import {
  ALREADY_OPENED, CANNOT_WITHDRAW, DEROGATION_NOTE_REQUIRED, INVALID_DECISION, NOT_AWAITING_CORRECTION, NOT_AWAITING_DECISION, NOT_AWAITING_EXPORT_RETRY,
} from '../../workflows/preRegistration';
import { assignSubmission, childKeyOf, searchTextOf } from '../../persistence/preRegistrationRows';
import { submissionsAccepted, submissionsRefused } from '../../observability/metrics';
import { noteRequestIdFor } from '../../observability/requestContext';

export { childKeyOf };
import { newPhotoKey, normalizePhoto, storePhoto } from './photos';
import { campaignWindow, windowError } from './campaign';
import { consentAudit, consentOf } from './privacy';

/**
 * Outcome of a submission. `created` is false when the same submission token was seen before or
 * when the same child already has a request (`existing: true`: same birth certificate number,
 * birth date and school year, not withdrawn or rejected — that request is given back, no second
 * one is made). `reason` tells why a refusal is not a field error: `campaignClosed` (outside the
 * window of the school year and level), `idempotencyKeyReused` (an API Idempotency-Key sent again
 * with another body).
 */
export type SubmitResult =
  | { ok: true; reference: string; status: string; created: boolean; existing?: boolean }
  | { ok: false; errors: FieldError[]; photoKey?: string; reason?: 'campaignClosed' | 'idempotencyKeyReused' };

/** Extras of a submission made from the parents' space. */
export interface SubmitOptions {
  /** The account that submits (its requests are listed in its space and it may edit or withdraw them). */
  parentAccountId?: string;
  /** Why a school outside the residence zone was chosen (required by the parents' space form in that case; max 500 characters). */
  schoolChoiceReason?: string;
  /** When the submission is refused but its photo accepted, store the photo and return its key (`photoKey`) for the next try. */
  keepPhotoOnError?: boolean;
  /**
   * The submission token is an API `Idempotency-Key` of this client (its address): the key is kept
   * bound to the client (another client's same key is another key) and to the body (the same key
   * with another body is refused, `reason: 'idempotencyKeyReused'`).
   */
  idempotencyClient?: string;
  /** Errors found by a caller on parts of the form this service does not read (the supporting documents): the submission is refused with them too. */
  extraErrors?: FieldError[];
}

/** Statuses after which the same child may be submitted again (the parent withdrew, or the school refused). */
export const CLOSED_FOR_ONE_REQUEST = ['withdrawn', 'rejected'] as const;

/** The active request of a child (not withdrawn or rejected), if any. */
async function activeRequestOf(em: EntityManager, childKey: string | null): Promise<PreRegistration | null> {
  if (!childKey) return null;
  return em.findOne(PreRegistration, { childKey, status: { $nin: [...CLOSED_FOR_ONE_REQUEST] } });
}

/** SHA-256 of a body: its JSON with keys sorted, and the photo's bytes (or stored key). */
function bodyHash(raw: unknown, photo: Buffer | { key: string } | undefined): string {
  const canonical = (v: unknown): unknown => (Array.isArray(v) ? v.map(canonical)
    : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v);
  const h = createHash('sha256').update(JSON.stringify(canonical(raw) ?? null)).update('\0');
  if (Buffer.isBuffer(photo)) h.update(photo); else if (photo) h.update(`key:${photo.key}`);
  return h.digest('hex');
}

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
  deps: { em: EntityManager; temporal: TasjilTemporal; now?: Date; deadlines?: PreRegistrationInput['deadlines']; starter?: { kick(): void } },
  raw: unknown, photo: Buffer | { key: string } | undefined, submissionToken: string,
  opts: SubmitOptions = {},
): Promise<SubmitResult> {
  const result = await submitUncounted(deps, raw, photo, submissionToken, opts);
  // Metrics: a new request accepted; a refusal counted once per distinct reason code.
  if (result.ok && result.created) submissionsAccepted.inc();
  // The intake starter starts the workflow outside this request: it finds the request id here.
  if (result.ok && deps.starter) noteRequestIdFor(workflowIdFor(result.reference));
  if (!result.ok) for (const code of new Set(result.errors.map((e) => e.code))) submissionsRefused.inc({ reason: code });
  return result;
}

async function submitUncounted(
  deps: { em: EntityManager; temporal: TasjilTemporal; now?: Date; deadlines?: PreRegistrationInput['deadlines']; starter?: { kick(): void } },
  raw: unknown, photo: Buffer | { key: string } | undefined, submissionToken: string,
  opts: SubmitOptions = {},
): Promise<SubmitResult> {
  const { em, temporal } = deps;
  // Plain SQL, no entity graph: this is the statement the web runs most (persistence/submissions.ts).
  const conn = em.getConnection();
  const now = deps.now ?? new Date();
  // An API Idempotency-Key is bound to its client (scoped token) and to its body (hash).
  const hash = opts.idempotencyClient !== undefined && submissionToken ? bodyHash(raw, photo) : null;
  if (hash) submissionToken = `k1:${createHash('sha256').update(`${opts.idempotencyClient}\0${submissionToken}`).digest('hex').slice(0, 60)}`;

  const level = rawField(raw, 'level') === 'preschool' ? 'preschool' : 'primary1';
  const rawYear = rawField(raw, 'schoolYear');
  const rawResidence = rawField(raw, 'residence') as Record<string, unknown> | undefined;
  // What the submission is checked against, in one statement: the token's request, the year, its
  // window and age rule, the zone and the school as sent (the parsed codes are the same strings, trimmed).
  const ctx = await submitContext(conn, {
    submissionToken, schoolYear: rawYear === undefined || rawYear === null ? null : String(rawYear), level,
    zoneCode: String(rawResidence?.residenceZoneCode ?? '').trim(), schoolCode: String(rawField(raw, 'schoolCode') ?? '').trim(),
  });
  const existing = ctx.existing;
  if (existing) {
    if (hash && existing.submissionHash && existing.submissionHash !== hash) {
      return { ok: false, errors: [{ field: '', code: 'validation.idempotencyKeyReused', params: { reference: existing.reference } }], reason: 'idempotencyKeyReused' };
    }
    if (!deps.starter) await startWorkflow(conn, temporal, existing.reference, deps.deadlines);
    else if (existing.startPending) deps.starter.kick();
    return { ok: true, reference: existing.reference, status: existing.status, created: false };
  }

  const schoolYear = ctx.schoolYear;
  // The campaign window of the year and level, first: nothing else is worth checking outside it.
  const closed = ctx.window ? windowError(ctx.window, schoolYear, now) : null;
  if (closed) return { ok: false, errors: [closed], reason: 'campaignClosed' };
  const rule = ctx.rule;
  const parsed = parseSubmission({ ...(raw as object), schoolYear }, { ageRule: rule, today: todayInCasablanca(now) });
  const errors: FieldError[] = parsed.ok ? [] : [...parsed.errors];
  if (!rule && !errors.some((e) => e.field === 'schoolYear' || e.field === 'level')) errors.push({ field: 'schoolYear', code: 'validation.schoolYear' });
  // The privacy notice accepted explicitly (law 09-08): the version in force, named by every door.
  const consent = consentOf(raw, now);
  if (!consent.ok) errors.push(consent.error);

  // One child, one request: the same child's active request is given back (before the photo's work).
  const childKey = parsed.ok ? childKeyOf(parsed.value.schoolYear, parsed.value.civilStatus) : null;
  const sameChild = await activeRequestByChildKey(conn, childKey, CLOSED_FOR_ONE_REQUEST);
  if (sameChild) return { ok: true, reference: sameChild.reference, status: sameChild.status, created: false, existing: true };

  // School map: the zone must exist in the chosen commune, the school must exist.
  const zoneCode = parsed.ok ? parsed.value.residence.residenceZoneCode : String(rawResidence?.residenceZoneCode ?? '');
  const communeCode = parsed.ok ? parsed.value.residence.communeCode : String(rawResidence?.communeCode ?? '');
  const schoolCode = parsed.ok ? parsed.value.schoolCode : String(rawField(raw, 'schoolCode') ?? '');
  let zone: { code: string; communeCode: string } | null = null;
  let schoolOk = false;
  if (zoneCode) {
    zone = zoneCode === ctx.zoneCodeAsked ? ctx.zone : await zoneByCode(conn, zoneCode);
    if (!zone || (communeCode && zone.communeCode !== communeCode)) {
      if (!errors.some((e) => e.field === 'residence.residenceZoneCode')) errors.push({ field: 'residence.residenceZoneCode', code: 'validation.unknownZone' });
      zone = null;
    }
  }
  if (schoolCode) {
    schoolOk = schoolCode === ctx.schoolCodeAsked ? ctx.schoolExists : await schoolExists(conn, schoolCode);
    if (!schoolOk && !errors.some((e) => e.field === 'schoolCode')) errors.push({ field: 'schoolCode', code: 'validation.unknownSchool' });
  }

  // A photo already normalised and stored (parents' space draft) is used by key, as is.
  const photoResult = photo && 'key' in photo
    ? ((await photoExists(conn, photo.key)) ? { ok: true as const, key: photo.key } : { ok: false as const, error: 'photo.required' })
    : await normalizePhoto(photo);
  if (!photoResult.ok) errors.push({ field: 'photo', code: `validation.${photoResult.error}` });
  if (opts.extraErrors?.length) errors.push(...opts.extraErrors);

  if (!parsed.ok || errors.length || !zone || !schoolOk || !photoResult.ok) {
    // An accepted photo is kept for the next try when asked (a file input cannot be refilled).
    if (photoResult.ok && 'key' in photoResult) return { ok: false, errors: dedupe(errors), photoKey: photoResult.key };
    if (photoResult.ok && opts.keepPhotoOnError) {
      const kept = { key: newPhotoKey(), jpeg: photoResult.jpeg, width: photoResult.width, height: photoResult.height };
      await insertPhoto(conn, kept, now);
      return { ok: false, errors: dedupe(errors), photoKey: kept.key };
    }
    return { ok: false, errors: dedupe(errors) };
  }
  const s: PreRegistrationSubmission = parsed.value;
  const guardian = s.guardianRole === 'tutor' ? s.tutor! : s[s.guardianRole];
  const newPhoto = 'key' in photoResult ? null : { key: newPhotoKey(), jpeg: photoResult.jpeg, width: photoResult.width, height: photoResult.height };
  const reference = generateReference(Number(s.schoolYear.slice(0, 4)), (n) => randomBytes(n));

  try {
    // The request, its photo, its first timeline event and its consent record (law 09-08): one statement.
    await insertRequest(conn, {
      id: randomUUID(), reference, submissionToken: submissionToken || randomUUID(), submissionHash: hash, childKey, s,
      communeCode: zone!.communeCode, photoKey: newPhoto ? newPhoto.key : (photoResult as { key: string }).key,
      contactEmail: guardian.email, contactPhone: guardian.phone, contactPhoneIsMobile: /^\+212[67]\d{8}$/.test(guardian.phone),
      parentAccountId: opts.parentAccountId ?? null, schoolChoiceReason: opts.schoolChoiceReason?.trim() || null,
      searchText: searchTextOf(s, reference),
      duplicateKeys: duplicateKeys({
        birthDate: s.civilStatus.birthDate, firstNameAr: s.child.firstNameAr, lastNameAr: s.child.lastNameAr,
        birthCertificateNumber: s.civilStatus.birthCertificateNumber,
      }),
      workflowId: workflowIdFor(reference), now,
      // With a starter, accepted once committed: the starter starts the workflow (intake outbox).
      workflowStartRequested: Boolean(deps.starter),
    }, newPhoto, { id: randomUUID(), version: (consent as { version: string }).version, ...consentAudit(s.schoolCode, (consent as { version: string }).version) });
  } catch (err) {
    // A concurrent twin (another tab, a retried request) won the race: give its request back.
    if (isUniqueViolation(err)) {
      const again = await requestByToken(conn, submissionToken);
      if (again) {
        if (hash && again.submissionHash && again.submissionHash !== hash) {
          return { ok: false, errors: [{ field: '', code: 'validation.idempotencyKeyReused', params: { reference: again.reference } }], reason: 'idempotencyKeyReused' };
        }
        return { ok: true, reference: again.reference, status: again.status, created: false };
      }
      const twin = await activeRequestByChildKey(conn, childKey, CLOSED_FOR_ONE_REQUEST);
      if (twin) return { ok: true, reference: twin.reference, status: twin.status, created: false, existing: true };
    }
    throw err;
  }
  if (deps.starter) {
    deps.starter.kick();
    return { ok: true, reference, status: 'submitted', created: true };
  }
  try {
    await startWorkflow(conn, temporal, reference, deps.deadlines);
  } catch (err) {
    // Not started: left to the intake starter's sweep (the submission itself is stored).
    await conn.execute('update pre_registration set workflow_start_requested_at = now() where reference = ?', [reference]).catch(() => undefined);
    throw err;
  }
  return { ok: true, reference, status: 'submitted', created: true };
}

const DAY_MS = 24 * 3600 * 1000;

/** Starts the request's workflow (no-op when running); deadlines come from the school year unless given (tests). */
async function startWorkflow(conn: ReturnType<EntityManager['getConnection']>, temporal: TasjilTemporal, reference: string, deadlines?: PreRegistrationInput['deadlines']): Promise<void> {
  const [r] = await conn.execute<Array<{
    school_code: string; directorate_code: string; academy_code: string; school_year: string; level: Level;
    decision_reminder_days: number | null; escalation_days: number | null;
  }>>(`select p.school_code, s.directorate_code, d.academy_code, p.school_year, p.level, y.decision_reminder_days, y.escalation_days
  from pre_registration p join school s on s.code = p.school_code join provincial_directorate d on d.code = s.directorate_code
  left join school_year y on y.code = p.school_year where p.reference = ?`, [reference]);
  if (!r) throw new Error(`no request ${reference}`);
  await temporal.start({
    reference, schoolCode: r.school_code, directorateCode: r.directorate_code, academyCode: r.academy_code, schoolYear: r.school_year, level: r.level,
    deadlines: deadlines ?? (r.decision_reminder_days !== null && r.escalation_days !== null
      ? { reminderAfterMs: r.decision_reminder_days * DAY_MS, escalateAfterMs: r.escalation_days * DAY_MS } : undefined),
  });
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => (seen.has(e.field) ? false : (seen.add(e.field), true)));
}

/** Why the workflow refused an Update, as a catalogue key suffix (`decision.refused.<code>`). */
export type RefusalCode = 'alreadyDecided' | 'invalidDecision' | 'derogationNoteRequired' | 'notAwaitingCorrection' | 'cannotWithdraw' | 'notAwaitingExportRetry' | 'workflowEnded' | 'alreadyOpened' | 'cannotAddDocument';

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
  [ALREADY_OPENED]: 'alreadyOpened',
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
 * @throws DecisionRefused when not under review: `workflowEnded` for a withdrawn request (its processing
 *   has ended: nothing was decided), `alreadyDecided` otherwise.
 */
export async function requestCorrection(
  deps: { em: EntityManager; temporal: TasjilTemporal }, reference: string, message: string, requestedBy: string,
): Promise<{ status: string }> {
  const pr = await deps.em.findOneOrFail(PreRegistration, { reference });
  if (pr.status !== 'underReview') throw new DecisionRefused(pr.status === 'withdrawn' ? 'workflowEnded' : 'alreadyDecided', `status ${pr.status}`);
  pr.correctionMessage = message.trim();
  await deps.em.flush();
  return sendUpdate(() => deps.temporal.requestCorrection(reference, requestedBy));
}

/** Fields a parent may change in a correction (the school year, level and school map stay as chosen, the zone and school may change). */
export type CorrectionResult = { ok: true; status: string } | { ok: false; errors: FieldError[]; reason?: 'campaignClosed' };

/** A parent's change of a stored request, validated: the normalised submission and the new photo if any. */
type ValidatedChange =
  | { ok: true; submission: PreRegistrationSubmission; photo: { jpeg: Buffer; width: number; height: number } | null }
  | { ok: false; errors: FieldError[] };

/**
 * Validates a changed submission of a stored request (correction or edit) like a new one: domain
 * rules with the stored school year, level and age rule; the zone must exist in the commune, the
 * school must exist; the photo is optional (kept when absent).
 */
async function validateChange(em: EntityManager, pr: PreRegistration, raw: unknown, photo: Buffer | undefined, now: Date): Promise<ValidatedChange> {
  const rule = await ageRuleFor(em, pr.schoolYear, pr.level);
  const parsed = parseSubmission({ ...(raw as object), schoolYear: pr.schoolYear, level: pr.level }, { ageRule: rule, today: todayInCasablanca(now) });
  const errors: FieldError[] = parsed.ok ? [] : [...parsed.errors];
  if (parsed.ok) {
    const zone = await em.findOne(ResidenceZone, { code: parsed.value.residence.residenceZoneCode }, { populate: ['commune'] });
    if (!zone || zone.commune.code !== parsed.value.residence.communeCode) errors.push({ field: 'residence.residenceZoneCode', code: 'validation.unknownZone' });
    if (!(await em.findOne(School, { code: parsed.value.schoolCode }))) errors.push({ field: 'schoolCode', code: 'validation.unknownSchool' });
    const other = await activeRequestOf(em, childKeyOf(pr.schoolYear, parsed.value.civilStatus));
    if (other && other.id !== pr.id) errors.push({ field: 'civilStatus.birthCertificateNumber', code: 'validation.childAlreadyRequested' });
  }
  const newPhoto = photo && photo.length ? await normalizePhoto(photo) : null;
  if (newPhoto && !newPhoto.ok) errors.push({ field: 'photo', code: `validation.${newPhoto.error}` });
  if (!parsed.ok || errors.length) return { ok: false, errors: dedupe(errors) };
  return { ok: true, submission: parsed.value, photo: newPhoto?.ok ? newPhoto : null };
}

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
  const change = await validateChange(em, pr, raw, photo, now);
  if (!change.ok) return change;
  await em.transactional(async (tx) => {
    const row = await tx.findOneOrFail(PreRegistration, { reference });
    const photoKey = change.photo ? storePhoto(tx, change.photo.jpeg, change.photo.width, change.photo.height) : null;
    assignSubmission(tx, row, change.submission, { photoKey, now });
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

/**
 * Whether the parent may still edit the request: submitted or under review, no decision, and not
 * yet opened by staff (the workflow has the last word: it refuses an edit once opened).
 */
export function canParentEdit(pr: Pick<PreRegistration, 'status' | 'openedAt' | 'decision'>): boolean {
  return (pr.status === 'submitted' || pr.status === 'underReview') && !pr.openedAt && !pr.decision;
}

/**
 * The parent edits the request before the school opened it. Same validation as a correction (the
 * school year and level stay as stored; the photo is replaced only when a new one is given). The
 * normalised submission is stored as a `pre_registration_revision` (personal data stays in
 * PostgreSQL), then the workflow gets its id (Update `parentEdit`): it applies it to the request,
 * re-runs the automatic checks and answers with the status (`underReview`).
 * @param raw the form body (qs-nested strings) or the API's JSON, as for a new submission.
 * @returns `{ ok: true, status }`, or `{ ok: false, errors }` (per field, catalogue keys) when invalid.
 * @throws DecisionRefused (`alreadyOpened`) when the request was opened, decided or withdrawn: the
 *   workflow refused the revision (marked `refused`, its photo deleted), or the status already
 *   excludes edits (nothing stored); other errors (database or Temporal down) as is, the revision
 *   then staying `pending`.
 */
export async function submitParentEdit(
  deps: { em: EntityManager; temporal: TasjilTemporal; now?: Date }, reference: string, raw: unknown, photo: Buffer | undefined,
): Promise<CorrectionResult> {
  const { em } = deps;
  const now = deps.now ?? new Date();
  const pr = await em.findOneOrFail(PreRegistration, { reference });
  // The workflow decides whether the request is still open to edits; only an impossible status stops here.
  if (pr.status !== 'submitted' && pr.status !== 'underReview') throw new DecisionRefused('alreadyOpened', `status ${pr.status}`);
  // Edits follow the campaign window like submissions (a correction the school asked for does not).
  const window = await campaignWindow(em, pr.schoolYear, pr.level);
  const closed = window ? windowError(window, pr.schoolYear, now) : null;
  if (closed) return { ok: false, errors: [closed], reason: 'campaignClosed' };
  const change = await validateChange(em, pr, raw, photo, now);
  if (!change.ok) return change;
  const revisionId = randomUUID();
  await em.transactional(async (tx) => {
    const photoKey = change.photo ? storePhoto(tx, change.photo.jpeg, change.photo.width, change.photo.height) : null;
    tx.create(PreRegistrationRevision, {
      id: revisionId, preRegistration: tx.getReference(PreRegistration, pr.id), data: change.submission, photoKey, status: 'pending', createdAt: now,
    });
  });
  try {
    const r = await sendUpdate(() => deps.temporal.parentEdit(reference, revisionId));
    return { ok: true, status: r.status };
  } catch (err) {
    if (!(err instanceof DecisionRefused)) throw err;
    await em.fork().transactional(async (tx) => {
      const conn = tx.getConnection();
      const ctx = tx.getTransactionContext();
      const rows = await conn.execute<Array<{ photo_key: string | null }>>(
        `select photo_key from pre_registration_revision where id = ? and status = 'pending' for update`, [revisionId], 'all', ctx,
      );
      if (!rows.length) return; // already applied or refused
      await conn.execute(`update pre_registration_revision set status = 'refused', photo_key = null where id = ?`, [revisionId], 'run', ctx);
      if (rows[0].photo_key) await conn.execute('delete from photo where key = ?', [rows[0].photo_key], 'run', ctx);
    });
    throw new DecisionRefused('alreadyOpened', err.message);
  }
}

/**
 * The school's director opened a request (review page, staff API): tells its workflow (Update `open`), which
 * records it once (`opened_at`, `opened_by`, timeline event `opened`, actor the staff user id) and
 * answers once any parent edit in flight has been applied — so read the request again afterwards.
 * Only a request awaiting review (submitted, underReview) is opened; one already opened with no
 * edit pending is left alone. Never throws: an ended workflow, Temporal being down or slower than
 * `timeoutMs` is logged and ignored (the page must show anyway).
 * @returns true when the workflow answered (the data may have changed), false otherwise.
 */
export async function openForStaff(
  deps: { em: EntityManager; temporal: TasjilTemporal; log?: { warn(obj: object, msg?: string): void } },
  pr: Pick<PreRegistration, 'id' | 'reference' | 'status' | 'openedAt'>, openedBy: Pick<StaffUser, 'id' | 'role'>, timeoutMs = 10_000,
): Promise<boolean> {
  // Only the school's own director opens a request; a supervisor looking at it does not end the parent's edits.
  if (openedBy.role !== 'director') return false;
  if (pr.status !== 'submitted' && pr.status !== 'underReview') return false;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    if (pr.openedAt) {
      const pending = await deps.em.getConnection().execute<Array<{ n: number }>>(
        `select count(*)::int as n from pre_registration_revision where pre_registration_id = ? and status = 'pending'`, [pr.id],
      );
      if (!pending[0]?.n) return false;
    }
    await deps.temporal.client.withAbortSignal(controller.signal, () => deps.temporal.open(pr.reference, openedBy.id));
    return true;
  } catch (err) {
    deps.log?.warn({ err, reference: pr.reference }, 'could not mark the request opened');
    return false;
  } finally {
    clearTimeout(timer);
  }
}
