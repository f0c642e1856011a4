/**
 * Shared vocabulary of Tasjil (see shared GLOSSARY): statuses, levels, check results and the
 * shape of a pre-registration as the parent submits it. Pure types and constants, no I/O.
 */

/** A calendar date `YYYY-MM-DD` (never a timestamp). Gregorian unless named otherwise. */
export type IsoDate = string;

/** A Hijri (islamic-umalqura) calendar date written `YYYY-MM-DD`, e.g. `1442-01-13`. */
export type HijriDate = string;

/** Lifecycle of a pre-registration; one enumeration shared by workflow, database, API and views. */
export const PRE_REGISTRATION_STATUSES = [
  'draft',
  'submitted',
  'underReview',
  'correctionRequested',
  'approved',
  'exportFailed',
  'registered',
  'rejected',
  'withdrawn',
] as const;
export type PreRegistrationStatus = (typeof PRE_REGISTRATION_STATUSES)[number];

/** What the child is registered for: public preschool or the first year of primary. */
export const LEVELS = ['preschool', 'primary1'] as const;
export type Level = (typeof LEVELS)[number];

/** Who is legally responsible for the child. */
export const GUARDIAN_ROLES = ['father', 'mother', 'tutor'] as const;
export type GuardianRole = (typeof GUARDIAN_ROLES)[number];

export const LANGUAGES = ['ar', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Age check (arrêté 1036.00 of 2003, art. 2, and the yearly ministry notes). */
export type AgeCheckResult = 'eligible' | 'tolerance' | 'underAge' | 'overAge';
/** Zone check: is the residence zone among the chosen school's recruitment zones (law 04-00, art. 1)? */
export type ZoneCheckResult = 'inZone' | 'outOfZone';
/** Duplicate check: another live request for the same child (same birth certificate, or same names and birth date). */
export type DuplicateCheckResult = 'none' | 'possibleDuplicate';
/** The Hijri date typed from the certificate against the one computed from the Gregorian date (±2 days). */
export type HijriCheckResult = 'consistent' | 'inconsistent';

/**
 * The automatic checks' verdicts, as codes only: this travels in workflow payloads, so it holds
 * no personal data. The explanation (age in years and months, candidates…) lives in PostgreSQL.
 */
export interface AutomaticChecksSummary {
  age: AgeCheckResult;
  zone: ZoneCheckResult;
  duplicate: DuplicateCheckResult;
  hijriConsistency: HijriCheckResult;
}

/**
 * Eligibility dates for one school year and level; data, not code.
 * A child is `eligible` when born on or before `eligibleBornOnOrBefore` (and, when set, on or after
 * `eligibleBornOnOrAfter`, else `overAge`), `tolerance` when born between `toleranceBornFrom` and
 * `toleranceBornTo` inclusive, otherwise `underAge`.
 */
export interface AgeRule {
  schoolYear: string;
  level: Level;
  eligibleBornOnOrBefore: IsoDate;
  eligibleBornOnOrAfter: IsoDate | null;
  toleranceBornFrom: IsoDate | null;
  toleranceBornTo: IsoDate | null;
  /** Date at which the age shown to directors is computed (usually the school year's start). */
  referenceDate: IsoDate;
  source: string;
}

/** Codes of the rejection-reason catalogue; Arabic and French texts are data (table `rejection_reason`). */
export const REJECTION_REASON_CODES = ['underAge', 'zoneMismatch', 'incompleteFile', 'duplicate', 'other'] as const;
export type RejectionReasonCode = (typeof REJECTION_REASON_CODES)[number];

/** A director's decision, as sent to the workflow's `decide` Update. */
export type Decision =
  | { decision: 'approve'; note?: string; decidedBy: string }
  | { decision: 'reject'; reasons: RejectionReasonCode[]; note?: string; decidedBy: string };

/** First and family names, each in Arabic and in Latin script. */
export interface PersonNames {
  firstNameAr: string;
  lastNameAr: string;
  firstNameLatin: string;
  lastNameLatin: string;
}

/** A brother or sister below school age. */
export interface Sibling extends PersonNames {
  birthDate: IsoDate;
}

/**
 * Father, mother or tutor. `cin` is normalised upper-case (e.g. `AB123456`), `phone` is E.164
 * (e.g. `+212612345678`); empty strings mean "not given" for optional fields.
 */
export interface ParentDetails extends PersonNames {
  cin: string;
  profession: string;
  address: string;
  phone: string;
  email: string;
}

/** Everything the circular lists, normalised; what the parent form and the API produce once valid. */
export interface PreRegistrationSubmission {
  schoolYear: string;
  level: Level;
  child: PersonNames;
  civilStatus: {
    birthDate: IsoDate;
    birthDateHijri: HijriDate;
    birthPlace: string;
    birthCertificateNumber: string;
    birthCertificateDate: IsoDate;
    /** "X son of Y" as on the civil record. */
    fatherLineage: string;
    /** "X daughter of Y" as on the civil record. */
    motherLineage: string;
  };
  siblings: Sibling[];
  guardianRole: GuardianRole;
  father: ParentDetails;
  mother: ParentDetails;
  /** Present only when `guardianRole` is `tutor`. */
  tutor: ParentDetails | null;
  residence: { communeCode: string; residenceZoneCode: string };
  schoolCode: string;
  /** Language the parent used; notifications are sent in it. */
  language: Language;
}
