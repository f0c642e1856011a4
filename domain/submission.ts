/**
 * Validation of a whole pre-registration as the parent submits it (the circular's "electronic
 * registration file"): structure with zod, then the domain rules of the other modules. Every
 * error is reported at once, each on the dot path of the `PreRegistrationSubmission` field it
 * concerns, with a catalogue code (`web/i18n/validation.<lang>.json`).
 */
import { z } from 'zod';
import { classifyAge, ruleStartYear } from './age';
import { normalizeCin, normalizePhone, isEmail, EMAIL_MAX_LENGTH } from './contact';
import { isIsoDate } from './dates';
import { checkHijriConsistency, isHijriDate } from './hijri';
import { cleanName, isArabicName, isLatinName, toAsciiDigits } from './names';
import { GUARDIAN_ROLES, LANGUAGES, LEVELS } from './types';
import type {
  AgeRule, GuardianRole, IsoDate, Language, Level, ParentDetails, PersonNames, PreRegistrationSubmission, Sibling,
} from './types';

/** One problem with one field: `field` is a dot path (`siblings.1.birthDate`), `code` a catalogue key. */
export interface FieldError {
  field: string;
  code: string;
  params?: Record<string, string>;
}

/** What `parseSubmission` needs besides the input: the age rule of the chosen school year and level, and today's date in Morocco. */
export interface SubmissionContext {
  /** Rule of the submitted school year and level; `null` when none is known (age checks are then skipped). */
  ageRule: AgeRule | null;
  /** Today in Morocco (`todayInCasablanca(new Date())`). */
  today: IsoDate;
}

export type SubmissionResult = { ok: true; value: PreRegistrationSubmission } | { ok: false; errors: FieldError[] };

/** Maximum lengths in characters, after cleaning (they match the database columns). */
export const SUBMISSION_LIMITS = {
  name: 60,
  lineage: 150,
  address: 200,
  profession: 80,
  birthPlace: 100,
  certificateNumber: 30,
  email: EMAIL_MAX_LENGTH,
  siblings: 15,
} as const;

/**
 * Bounds of the structure, checked before any field is read so that a hostile body costs little:
 * at most `siblingRows` sibling rows (blank rows included), at most `text` characters in any value.
 */
export const STRUCTURE_LIMITS = { siblingRows: 2 * SUBMISSION_LIMITS.siblings, text: 1000, badKeys: 5 } as const;

/**
 * A child is refused as too old when born before 1 January of (start year − 10): older than any
 * child who could plausibly enter preschool or the first year of primary.
 */
export const MAX_AGE_YEARS_AT_START = 10;

/** Error codes of the catalogue produced by `parseSubmission`. */
export const SUBMISSION_ERROR_CODES = [
  'validation.required',
  'validation.invalid',
  'validation.tooLong',
  'validation.tooMany',
  'validation.arabicOnly',
  'validation.latinOnly',
  'validation.nameChars',
  'validation.date',
  'validation.dateFuture',
  'validation.hijriDate',
  'validation.hijriMismatch',
  'validation.certificateBeforeBirth',
  'validation.birthDateFuture',
  'validation.tooYoungForLevel',
  'validation.tooOldForLevel',
  'validation.siblingNotBelowSchoolAge',
  'validation.cin',
  'validation.phone',
  'validation.mobileOrEmailRequired',
  'validation.phoneLandline',
  'validation.email',
  'validation.guardianRole',
  'validation.level',
  'validation.schoolYear',
] as const;
export type SubmissionErrorCode = (typeof SUBMISSION_ERROR_CODES)[number];

// ---------------------------------------------------------------------------------------------
// Structure (zod): every leaf is an optional string; blocks are optional objects. Unknown keys
// (CSRF token, submit button…) are dropped. Values of the wrong type are reported as
// `validation.invalid` at their path and then treated as absent.

const leaf = z.string().max(STRUCTURE_LIMITS.text).nullish();
const namesShape = { firstNameAr: leaf, lastNameAr: leaf, firstNameLatin: leaf, lastNameLatin: leaf };
const parentShape = z.object({ ...namesShape, cin: leaf, profession: leaf, address: leaf, phone: leaf, email: leaf }).nullish();

const rawSubmissionSchema = z.object({
  schoolYear: leaf,
  level: leaf,
  child: z.object(namesShape).nullish(),
  civilStatus: z
    .object({
      birthDate: leaf,
      birthDateHijri: leaf,
      birthPlace: leaf,
      birthCertificateNumber: leaf,
      birthCertificateDate: leaf,
      fatherLineage: leaf,
      motherLineage: leaf,
    })
    .nullish(),
  siblings: z.array(z.object({ ...namesShape, birthDate: leaf }).nullish()).max(STRUCTURE_LIMITS.siblingRows).nullish(),
  guardianRole: leaf,
  father: parentShape,
  mother: parentShape,
  tutor: parentShape,
  residence: z.object({ communeCode: leaf, residenceZoneCode: leaf }).nullish(),
  schoolCode: leaf,
  language: leaf,
});
type RawSubmission = z.infer<typeof rawSubmissionSchema>;
type RawText = string | null | undefined;
type RawParent = NonNullable<RawSubmission['father']>;
type RawSibling = NonNullable<NonNullable<RawSubmission['siblings']>[number]>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Copies plain objects and arrays down to `depth` levels so that invalid leaves can be removed without touching the caller's data. */
function copyPlain(v: unknown, depth: number): unknown {
  if (depth <= 0) return v;
  if (Array.isArray(v)) return v.map((x) => copyPlain(x, depth - 1));
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = copyPlain(x, depth - 1);
    return out;
  }
  return v;
}

function removeAt(root: Record<string, unknown>, path: ReadonlyArray<PropertyKey>): void {
  let node: unknown = root;
  for (let i = 0; i < path.length - 1; i += 1) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<PropertyKey, unknown>)[path[i]];
  }
  if (node !== null && typeof node === 'object' && path.length > 0) {
    const last = path[path.length - 1];
    if (Array.isArray(node) && typeof last === 'number') node[last] = undefined;
    else delete (node as Record<PropertyKey, unknown>)[last];
  }
}

// ---------------------------------------------------------------------------------------------
// Error collection: at most one error per field, the first found (required → length → format).

class ErrorList {
  readonly list: FieldError[] = [];
  private readonly fields = new Set<string>();

  add(field: string, code: SubmissionErrorCode, params?: Record<string, string>): void {
    if (this.has(field)) return;
    this.fields.add(field);
    this.list.push(params ? { field, code, params } : { field, code });
  }

  /** True when the field, or a block containing it, already has an error. */
  has(field: string): boolean {
    const parts = field.split('.');
    for (let i = 1; i <= parts.length; i += 1) if (this.fields.has(parts.slice(0, i).join('.'))) return true;
    return false;
  }
}

/** Gregorian dates before this one are refused as typing errors (`validation.date`). */
export const EARLIEST_DATE: IsoDate = '1900-01-01';

const CODE_PATTERN = /^[A-Za-z0-9._-]+$/;
const CERTIFICATE_NUMBER_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} /.-]*$/u;
const SCHOOL_YEAR_PATTERN = /^(\d{4})-(\d{4})$/;

/** Validation of one submission; methods read a raw value, record errors and return the normalised value. */
class Validator {
  readonly errors = new ErrorList();

  constructor(private readonly ctx: SubmissionContext) {}

  /** Cleaned text; `required` and `max` checked. Returns '' when absent. */
  text(field: string, raw: RawText, opts: { required: boolean; max?: number }): string {
    if (this.errors.has(field)) return '';
    const value = cleanName(raw ?? '');
    if (value === '') {
      if (opts.required) this.errors.add(field, 'validation.required');
      return '';
    }
    if (opts.max !== undefined && value.length > opts.max) this.errors.add(field, 'validation.tooLong', { max: String(opts.max) });
    return value;
  }

  arabicName(field: string, raw: RawText): string {
    const value = this.text(field, raw, { required: true, max: SUBMISSION_LIMITS.name });
    if (value !== '' && !isArabicName(value)) this.errors.add(field, 'validation.arabicOnly');
    return value;
  }

  latinName(field: string, raw: RawText): string {
    const value = this.text(field, raw, { required: true, max: SUBMISSION_LIMITS.name });
    if (value !== '' && !isLatinName(value)) this.errors.add(field, 'validation.latinOnly');
    return value;
  }

  names(prefix: string, raw: Partial<Record<keyof PersonNames, RawText>> | null | undefined): PersonNames {
    return {
      firstNameAr: this.arabicName(`${prefix}.firstNameAr`, raw?.firstNameAr),
      lastNameAr: this.arabicName(`${prefix}.lastNameAr`, raw?.lastNameAr),
      firstNameLatin: this.latinName(`${prefix}.firstNameLatin`, raw?.firstNameLatin),
      lastNameLatin: this.latinName(`${prefix}.lastNameLatin`, raw?.lastNameLatin),
    };
  }

  /** A Gregorian date `YYYY-MM-DD` from 1900 on (Arabic-Indic digits accepted); returns '' when absent or invalid. */
  date(field: string, raw: RawText, required: boolean): IsoDate {
    const value = toAsciiDigits(this.text(field, raw, { required }));
    if (value === '' || this.errors.has(field)) return '';
    if (!isIsoDate(value) || value < EARLIEST_DATE) {
      this.errors.add(field, 'validation.date');
      return '';
    }
    return value;
  }

  /** A code of the school map (commune, zone, school): letters, digits, `.`, `_`, `-`. */
  code(field: string, raw: RawText, max: number): string {
    const value = this.text(field, raw, { required: true });
    if (value !== '' && (value.length > max || !CODE_PATTERN.test(value))) this.errors.add(field, 'validation.invalid');
    return value;
  }

  schoolYear(raw: RawText): string {
    const value = this.text('schoolYear', raw, { required: true });
    if (value === '') return '';
    const m = SCHOOL_YEAR_PATTERN.exec(value);
    const rule = this.ctx.ageRule;
    if (!m || Number(m[2]) !== Number(m[1]) + 1 || (rule !== null && rule.schoolYear !== value)) {
      this.errors.add('schoolYear', 'validation.schoolYear');
    }
    return value;
  }

  level(raw: RawText): Level | null {
    const value = this.text('level', raw, { required: true });
    if (value === '') return null;
    const rule = this.ctx.ageRule;
    if (!(LEVELS as readonly string[]).includes(value) || (rule !== null && rule.level !== value)) {
      this.errors.add('level', 'validation.level');
      return null;
    }
    return value as Level;
  }

  civilStatus(raw: RawSubmission['civilStatus']): PreRegistrationSubmission['civilStatus'] {
    const { today, ageRule } = this.ctx;
    const birthDate = this.date('civilStatus.birthDate', raw?.birthDate, true);
    if (birthDate !== '') {
      if (birthDate > today) this.errors.add('civilStatus.birthDate', 'validation.birthDateFuture');
      else if (ageRule !== null) {
        const oldestAccepted = `${ruleStartYear(ageRule) - MAX_AGE_YEARS_AT_START}-01-01`;
        // Under-age and tolerance-band children are accepted: the director decides (circular, axis 2).
        if (birthDate < oldestAccepted || classifyAge(birthDate, ageRule) === 'overAge') {
          this.errors.add('civilStatus.birthDate', 'validation.tooOldForLevel');
        }
      }
    }

    const birthDateHijri = this.hijriDate('civilStatus.birthDateHijri', raw?.birthDateHijri);
    if (birthDateHijri !== '' && birthDate !== '') {
      const check = checkHijriConsistency(birthDate, birthDateHijri);
      if (check.result === 'inconsistent') {
        this.errors.add('civilStatus.birthDateHijri', 'validation.hijriMismatch', { expected: check.expectedHijri });
      }
    }

    const birthPlace = this.text('civilStatus.birthPlace', raw?.birthPlace, { required: true, max: SUBMISSION_LIMITS.birthPlace });
    const birthCertificateNumber = this.text('civilStatus.birthCertificateNumber', raw?.birthCertificateNumber, {
      required: true,
      max: SUBMISSION_LIMITS.certificateNumber,
    });
    if (birthCertificateNumber !== '' && !CERTIFICATE_NUMBER_PATTERN.test(birthCertificateNumber)) {
      this.errors.add('civilStatus.birthCertificateNumber', 'validation.invalid');
    }
    const birthCertificateDate = this.date('civilStatus.birthCertificateDate', raw?.birthCertificateDate, true);
    if (birthCertificateDate !== '') {
      if (birthCertificateDate > today) this.errors.add('civilStatus.birthCertificateDate', 'validation.dateFuture');
      else if (birthDate !== '' && birthCertificateDate < birthDate) {
        this.errors.add('civilStatus.birthCertificateDate', 'validation.certificateBeforeBirth');
      }
    }
    return {
      birthDate,
      birthDateHijri,
      birthPlace,
      birthCertificateNumber,
      birthCertificateDate,
      fatherLineage: this.lineage('civilStatus.fatherLineage', raw?.fatherLineage),
      motherLineage: this.lineage('civilStatus.motherLineage', raw?.motherLineage),
    };
  }

  /** Hijri date as `YYYY-MM-DD` (also `YYYY/M/D` or `D/M/YYYY`, Arabic-Indic digits), zero-padded on output. */
  hijriDate(field: string, raw: RawText): string {
    const value = toAsciiDigits(this.text(field, raw, { required: true }));
    if (value === '' || this.errors.has(field)) return '';
    const ymd = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(value);
    const dmy = /^(\d{1,2})[-/](\d{1,2})[-/](\d{4})$/.exec(value);
    const [y, m, d] = ymd ? [ymd[1], ymd[2], ymd[3]] : dmy ? [dmy[3], dmy[2], dmy[1]] : ['', '', ''];
    const normalized = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
    if (!isHijriDate(normalized)) {
      this.errors.add(field, 'validation.hijriDate');
      return '';
    }
    return normalized;
  }

  lineage(field: string, raw: RawText): string {
    const value = this.text(field, raw, { required: true, max: SUBMISSION_LIMITS.lineage });
    if (value !== '' && !isArabicName(value) && !isLatinName(value)) this.errors.add(field, 'validation.nameChars');
    return value;
  }

  siblings(raw: ReadonlyArray<RawSibling | null | undefined>, keys: readonly string[]): Sibling[] {
    const out: Sibling[] = [];
    const rule = this.ctx.ageRule;
    raw.forEach((row, i) => {
      const prefix = `siblings.${keys[i]}`;
      if (this.errors.has(prefix)) return;
      const values = [row?.firstNameAr, row?.lastNameAr, row?.firstNameLatin, row?.lastNameLatin, row?.birthDate];
      if (values.every((v) => cleanName(v ?? '') === '') && !keysFlagged(this.errors, prefix)) return; // blank row
      const names = this.names(prefix, row);
      const field = `${prefix}.birthDate`;
      const birthDate = this.date(field, row?.birthDate, true);
      if (birthDate !== '') {
        if (birthDate > this.ctx.today) this.errors.add(field, 'validation.birthDateFuture');
        else if (rule !== null && birthDate <= rule.eligibleBornOnOrBefore) {
          this.errors.add(field, 'validation.siblingNotBelowSchoolAge');
        }
      }
      out.push({ ...names, birthDate });
    });
    if (out.length > SUBMISSION_LIMITS.siblings) {
      this.errors.add('siblings', 'validation.tooMany', { max: String(SUBMISSION_LIMITS.siblings) });
    }
    return out;
  }

  guardianRole(raw: RawText): GuardianRole | null {
    const value = this.text('guardianRole', raw, { required: true });
    if (value === '') return null;
    if (!(GUARDIAN_ROLES as readonly string[]).includes(value)) {
      this.errors.add('guardianRole', 'validation.guardianRole');
      return null;
    }
    return value as GuardianRole;
  }

  /**
   * Father, mother or tutor. Names are always required; the guardian's CIN, address and phone are
   * required and they need a mobile phone or an email (to be notified); other fields are optional
   * but validated when given.
   */
  parent(prefix: string, raw: RawParent | null | undefined, isGuardian: boolean): ParentDetails {
    const names = this.names(prefix, raw);

    let cin = this.text(`${prefix}.cin`, raw?.cin, { required: isGuardian });
    if (cin !== '') {
      const r = normalizeCin(cin);
      if (r.ok) cin = r.value;
      else this.errors.add(`${prefix}.cin`, 'validation.cin');
    }
    const profession = this.text(`${prefix}.profession`, raw?.profession, { required: false, max: SUBMISSION_LIMITS.profession });
    const address = this.text(`${prefix}.address`, raw?.address, { required: isGuardian, max: SUBMISSION_LIMITS.address });

    let phone = this.text(`${prefix}.phone`, raw?.phone, { required: isGuardian });
    let mobile = false;
    let fixedLine = false;
    if (phone !== '') {
      const r = normalizePhone(phone);
      if (r.ok) {
        phone = r.e164;
        mobile = r.mobile;
        fixedLine = r.fixedLine;
      } else this.errors.add(`${prefix}.phone`, 'validation.phone');
    }

    let email = this.text(`${prefix}.email`, raw?.email, { required: false, max: SUBMISSION_LIMITS.email });
    if (email !== '' && !this.errors.has(`${prefix}.email`)) {
      email = email.toLowerCase();
      if (!isEmail(email)) this.errors.add(`${prefix}.email`, 'validation.email');
    }
    if (isGuardian && phone !== '' && !this.errors.has(`${prefix}.phone`) && !mobile && email === '') {
      // A landline is refused at the phone field, saying why; another number that takes no SMS asks for the e-mail.
      if (fixedLine) this.errors.add(`${prefix}.phone`, 'validation.phoneLandline');
      else this.errors.add(`${prefix}.email`, 'validation.mobileOrEmailRequired');
    }
    return { ...names, cin, profession, address, phone, email };
  }

  language(raw: RawText): Language {
    const value = this.text('language', raw, { required: false });
    if (value === '') return 'ar';
    if (!(LANGUAGES as readonly string[]).includes(value)) {
      this.errors.add('language', 'validation.invalid');
      return 'ar';
    }
    return value as Language;
  }
}

/** True when a field below `prefix` was flagged by the structural pass (then a row is not blank). */
function keysFlagged(errors: ErrorList, prefix: string): boolean {
  return ['firstNameAr', 'lastNameAr', 'firstNameLatin', 'lastNameLatin', 'birthDate'].some((k) => errors.has(`${prefix}.${k}`));
}

/**
 * Siblings arrive as an array (JSON, or qs for small indices) or as an object keyed '0', '1'…
 * (qs for large indices, some form libraries). Returns the rows in index order and, for each, the
 * key used in error paths (the index the form used), plus the keys that are not indices.
 */
function siblingRows(raw: unknown): { rows: unknown; keys: string[]; badKeys: string[] } {
  if (Array.isArray(raw)) return { rows: raw, keys: raw.map((_, i) => String(i)), badKeys: [] };
  if (!isPlainObject(raw)) return { rows: raw, keys: [], badKeys: [] };
  const entries = Object.entries(raw);
  const indexed = entries.filter(([k]) => /^(0|[1-9][0-9]{0,5})$/.test(k)).sort(([a], [b]) => Number(a) - Number(b));
  return {
    rows: indexed.map(([, v]) => v),
    keys: indexed.map(([k]) => k),
    badKeys: entries.filter(([k]) => !/^(0|[1-9][0-9]{0,5})$/.test(k)).map(([k]) => k),
  };
}

/**
 * Validates and normalises a pre-registration submission.
 *
 * Input `raw`: the parsed form (qs: `child[firstNameAr]` → `raw.child.firstNameAr`; all strings)
 * or the same shape as JSON from the API. Siblings may be an array or an object keyed
 * `'0'`, `'1'`…; rows whose fields are all blank are dropped. Unknown keys are ignored.
 *
 * Output `value` (a `PreRegistrationSubmission`): names cleaned (`cleanName`), CINs normalised
 * (`AB123456`), phones E.164, emails lower-cased, Hijri date zero-padded, `tutor` null unless
 * `guardianRole` is `tutor`, `language` `'ar'` when absent. Error paths of siblings use the
 * index the form sent; the output's `siblings` is compacted.
 *
 * Rules (sources: the circular's list of fields; mission "facts to build on"):
 * - required: school year, level, the child's four names, every civil-status field, guardian role,
 *   the father's and mother's four names; for the guardian (father, mother or tutor) also CIN,
 *   address and phone, and a mobile phone or an email (a landline without email:
 *   `validation.phoneLandline` on the phone field; another non-mobile number: `validation.mobileOrEmailRequired`, on the
 *   email field); the tutor block only when the guardian is the tutor;
 * - Arabic names Arabic script only, Latin names Latin script only, lineages one or the other;
 * - lengths: names 60, lineages 150, address 200, profession 80, birth place 100,
 *   certificate number 30, email 254; at most 15 siblings;
 * - birth date not in the future; with an age rule, not before 1 January of (start year − 10)
 *   and not `overAge` (`validation.tooOldForLevel`); under-age and tolerance-band children are
 *   accepted, the director decides (circular: rejection for "not reached the legal age"), so
 *   `validation.tooYoungForLevel` is not produced;
 * - Hijri date within ±2 days of the Umm al-Qura date (`validation.hijriMismatch`,
 *   `params.expected` = computed Hijri date `YYYY-MM-DD`);
 * - certificate date not in the future nor before the birth date;
 * - siblings below school age: born after the rule's `eligibleBornOnOrBefore`;
 * - school year `YYYY-YYYY+1`, level and school year equal to the age rule's when one is given.
 *
 * Never throws for bad input; every error is returned at once (one per field, in form order).
 * @throws RangeError only on a programming error: `ctx.today` is not a valid date, or
 *   `ctx.ageRule` holds a date that is not `YYYY-MM-DD` (see `classifyAge`).
 */
export function parseSubmission(raw: unknown, ctx: SubmissionContext): SubmissionResult {
  if (!isIsoDate(ctx.today)) throw new RangeError(`ctx.today is not a calendar date: ${JSON.stringify(ctx.today)}`);
  if (!isPlainObject(raw)) return { ok: false, errors: [{ field: '', code: 'validation.invalid' }] };

  const v = new Validator(ctx);
  const input = copyPlain(raw, 4) as Record<string, unknown>;
  const { rows, keys, badKeys } = siblingRows(input.siblings);
  input.siblings = rows;
  for (const k of badKeys.slice(0, STRUCTURE_LIMITS.badKeys)) v.errors.add(`siblings.${k}`, 'validation.invalid');
  // Too many rows: one error, and no row is read.
  if (Array.isArray(rows) && rows.length > STRUCTURE_LIMITS.siblingRows) {
    v.errors.add('siblings', 'validation.tooMany', { max: String(SUBMISSION_LIMITS.siblings) });
    input.siblings = [];
  }

  // Structure: report values of the wrong type, drop them and parse again.
  let parsed = rawSubmissionSchema.safeParse(input);
  for (let attempt = 0; !parsed.success && attempt < 5; attempt += 1) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map((p, i) => (i === 1 && issue.path[0] === 'siblings' && typeof p === 'number' ? keys[p] ?? String(p) : String(p)));
      v.errors.add(path.join('.'), 'validation.invalid');
      removeAt(input, issue.path);
    }
    parsed = rawSubmissionSchema.safeParse(input);
  }
  if (!parsed.success) return { ok: false, errors: [...v.errors.list, { field: '', code: 'validation.invalid' }] };
  const data = parsed.data;

  const schoolYear = v.schoolYear(data.schoolYear);
  const level = v.level(data.level);
  const child = v.names('child', data.child);
  const civilStatus = v.civilStatus(data.civilStatus);
  const siblings = v.siblings(data.siblings ?? [], keys);
  const guardianRole = v.guardianRole(data.guardianRole);
  const father = v.parent('father', data.father, guardianRole === 'father');
  const mother = v.parent('mother', data.mother, guardianRole === 'mother');
  const tutor = guardianRole === 'tutor' ? v.parent('tutor', data.tutor, true) : null;
  const residence = {
    communeCode: v.code('residence.communeCode', data.residence?.communeCode, 16),
    residenceZoneCode: v.code('residence.residenceZoneCode', data.residence?.residenceZoneCode, 32),
  };
  const schoolCode = v.code('schoolCode', data.schoolCode, 16);
  const language = v.language(data.language);

  if (v.errors.list.length > 0 || level === null || guardianRole === null) {
    return { ok: false, errors: v.errors.list };
  }
  return {
    ok: true,
    value: { schoolYear, level, child, civilStatus, siblings, guardianRole, father, mother, tutor, residence, schoolCode, language },
  };
}

/**
 * The raw form shape of a submission, to refill the form (e.g. after a correction request):
 * the same nesting as `parseSubmission` reads, siblings as an array, no `tutor` key when there
 * is no tutor. `parseSubmission(submissionToRaw(s), ctx)` gives `s` back for a valid `s`.
 */
export function submissionToRaw(s: PreRegistrationSubmission): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    schoolYear: s.schoolYear,
    level: s.level,
    child: { ...s.child },
    civilStatus: { ...s.civilStatus },
    siblings: s.siblings.map((x) => ({ ...x })),
    guardianRole: s.guardianRole,
    father: { ...s.father },
    mother: { ...s.mother },
    residence: { ...s.residence },
    schoolCode: s.schoolCode,
    language: s.language,
  };
  if (s.tutor !== null) raw.tutor = { ...s.tutor };
  return raw;
}
