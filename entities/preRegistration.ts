import { EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';
import type {
  AgeCheckResult, DuplicateCheckResult, GuardianRole, HijriCheckResult, Language, Level,
  ParentDetails, PreRegistrationStatus, PreRegistrationSubmission, Sibling, ZoneCheckResult,
} from '../domain/types';
import { Commune, ResidenceZone } from './reference';
import { School } from './school';

/** Explanation of the automatic checks, stored for directors (never sent through Temporal). */
export interface AutomaticChecksDetail {
  ranAt: string;
  age: { result: AgeCheckResult; years: number; months: number; referenceDate: string; rule: { eligibleBornOnOrBefore: string; toleranceBornFrom: string | null; toleranceBornTo: string | null; eligibleBornOnOrAfter: string | null } };
  zone: { result: ZoneCheckResult; residenceZoneCode: string; schoolZoneCodes: string[] };
  duplicate: { result: DuplicateCheckResult; candidates: string[] };
  hijriConsistency: { result: HijriCheckResult; expectedHijri: string; enteredHijri: string; differenceDays: number | null };
}

/**
 * A pre-registration request (طلب التسجيل الأولي): the facts the parent submitted, normalised, and
 * the status projection the workflow keeps up to date for lists and search.
 */
export class PreRegistration {
  id!: string;
  reference!: string;
  submissionToken!: string;
  /** SHA-256 (hex) of the body an API Idempotency-Key was first used with; null for the pages. */
  submissionHash?: string | null;
  /**
   * `<school year>|bc:<normalised certificate number>|<birth date>`: unique among requests that are
   * not withdrawn or rejected (one child, one request); see `childKeyOf`.
   */
  childKey?: string | null;
  status!: PreRegistrationStatus;
  schoolYear!: string;
  level!: Level;
  school!: School;
  commune!: Commune;
  residenceZone!: ResidenceZone;
  childFirstNameAr!: string;
  childLastNameAr!: string;
  childFirstNameLatin!: string;
  childLastNameLatin!: string;
  birthDate!: string;
  birthDateHijri!: string;
  birthPlace!: string;
  birthCertificateNumber!: string;
  birthCertificateDate!: string;
  fatherLineage!: string;
  motherLineage!: string;
  guardianRole!: GuardianRole;
  father!: ParentDetails;
  mother!: ParentDetails;
  tutor?: ParentDetails | null;
  siblings!: Sibling[];
  /** The guardian's email and E.164 phone, copied for notifications. */
  contactEmail!: string;
  contactPhone!: string;
  contactPhoneIsMobile!: boolean;
  language!: Language;
  photoKey?: string | null;
  /** The parents' space account that submitted it (null for a request made without an account or through the API). */
  parentAccountId?: string | null;
  /** Why the parent chose a school that does not recruit from their residence zone (flagged to the director). */
  schoolChoiceReason?: string | null;
  /** Normalised names, certificate number and CINs for search (domain normalizeForSearch). */
  searchText!: string;
  duplicateKeys!: string[];
  ageCheck?: AgeCheckResult | null;
  zoneCheck?: ZoneCheckResult | null;
  duplicateCheck?: DuplicateCheckResult | null;
  hijriCheck?: HijriCheckResult | null;
  checks?: AutomaticChecksDetail | null;
  decision?: 'approve' | 'reject' | null;
  rejectionReasons!: string[];
  decisionNote?: string | null;
  decidedBy?: string | null;
  decidedAt?: Date | null;
  massarCode?: string | null;
  /** The director's message when asking the parent for a correction. */
  correctionMessage?: string | null;
  /** Why Massar refused the export (status `exportFailed`). */
  exportError?: string | null;
  /** When the directorate's supervisor was alerted that no decision came in time. */
  escalatedAt?: Date | null;
  /** When personal data was erased (retention, law 09-08). */
  anonymizedAt?: Date | null;
  /**
   * When staff first opened the request (review page, staff API, or a decision / correction
   * request): from then on the parent can no longer edit it. `openedBy` is the staff user id.
   */
  openedAt?: Date | null;
  openedBy?: string | null;
  workflowId!: string;
  /** Accepted by a door, its workflow not started yet (the intake starter's backlog); null otherwise. */
  workflowStartRequestedAt?: Date | null;
  submittedAt!: Date;
  updatedAt!: Date;
}

export const PreRegistrationSchema = new EntitySchema<PreRegistration>({
  class: PreRegistration,
  tableName: 'pre_registration',
  // (school, status) is served by the migrations' (school_code, status, submitted_at desc) index.
  indexes: [
    { properties: ['schoolYear', 'status'] },
  ],
  properties: {
    id: { type: 'uuid', primary: true },
    reference: { type: 'string', length: 20, unique: true },
    submissionToken: { type: 'string', length: 64, unique: true },
    submissionHash: { type: 'string', length: 64, nullable: true },
    childKey: { type: 'text', nullable: true },
    status: { type: 'string', length: 24 },
    schoolYear: { type: 'string', length: 9 },
    level: { type: 'string', length: 16 },
    school: { kind: 'm:1', entity: () => School },
    commune: { kind: 'm:1', entity: () => Commune },
    residenceZone: { kind: 'm:1', entity: () => ResidenceZone },
    childFirstNameAr: { type: 'string', length: 60 },
    childLastNameAr: { type: 'string', length: 60 },
    childFirstNameLatin: { type: 'string', length: 60 },
    childLastNameLatin: { type: 'string', length: 60 },
    birthDate: { type: 'date' },
    birthDateHijri: { type: 'string', length: 10 },
    birthPlace: { type: 'string', length: 100 },
    birthCertificateNumber: { type: 'string', length: 30 },
    birthCertificateDate: { type: 'date' },
    fatherLineage: { type: 'string', length: 150 },
    motherLineage: { type: 'string', length: 150 },
    guardianRole: { type: 'string', length: 8 },
    father: { type: 'json' },
    mother: { type: 'json' },
    tutor: { type: 'json', nullable: true },
    siblings: { type: 'json' },
    contactEmail: { type: 'string', length: 254, default: '' },
    contactPhone: { type: 'string', length: 20, default: '' },
    contactPhoneIsMobile: { type: 'boolean', default: false },
    language: { type: 'string', length: 2 },
    photoKey: { type: 'string', length: 64, nullable: true },
    parentAccountId: { type: 'uuid', nullable: true, index: true },
    schoolChoiceReason: { type: 'text', nullable: true },
    searchText: { type: 'text' },
    duplicateKeys: { type: 'text[]' },
    ageCheck: { type: 'string', length: 16, nullable: true },
    zoneCheck: { type: 'string', length: 16, nullable: true },
    duplicateCheck: { type: 'string', length: 24, nullable: true },
    hijriCheck: { type: 'string', length: 16, nullable: true },
    checks: { type: 'json', nullable: true },
    decision: { type: 'string', length: 8, nullable: true },
    rejectionReasons: { type: 'text[]' },
    decisionNote: { type: 'text', nullable: true },
    decidedBy: { type: 'string', length: 64, nullable: true },
    decidedAt: { type: 'datetime', nullable: true },
    massarCode: { type: 'string', length: 10, nullable: true, unique: true },
    correctionMessage: { type: 'text', nullable: true },
    exportError: { type: 'text', nullable: true },
    escalatedAt: { type: 'datetime', nullable: true },
    anonymizedAt: { type: 'datetime', nullable: true },
    openedAt: { type: 'datetime', nullable: true },
    openedBy: { type: 'string', length: 64, nullable: true },
    workflowId: { type: 'string', length: 64 },
    workflowStartRequestedAt: { type: 'datetime', nullable: true },
    submittedAt: { type: 'datetime' },
    updatedAt: { type: 'datetime' },
  },
});

/**
 * A parent's edit of a submitted request before staff opened it: the normalised
 * PreRegistrationSubmission (personal data, PostgreSQL only — the workflow gets the id), the new
 * photo's key if one was given. `pending` until the workflow applies it (`applied`) or refuses it
 * (`refused`: the request was opened, decided or withdrawn meanwhile).
 */
export class PreRegistrationRevision {
  id!: string;
  preRegistration!: PreRegistration;
  data!: PreRegistrationSubmission;
  photoKey?: string | null;
  status!: 'pending' | 'applied' | 'refused';
  createdAt!: Date;
  appliedAt?: Date | null;
}
export const PreRegistrationRevisionSchema = new EntitySchema<PreRegistrationRevision>({
  class: PreRegistrationRevision,
  tableName: 'pre_registration_revision',
  properties: {
    id: { type: 'uuid', primary: true },
    preRegistration: { kind: 'm:1', entity: () => PreRegistration, index: true },
    data: { type: 'json' },
    photoKey: { type: 'string', length: 64, nullable: true },
    status: { type: 'string', length: 8 },
    createdAt: { type: 'datetime' },
    appliedAt: { type: 'datetime', nullable: true },
  },
});

/**
 * One entry of a request's timeline. `eventKey` is unique per request so that a retried activity
 * writes an event once (e.g. `status:underReview`, `notification:received:email`).
 */
export class PreRegistrationEvent {
  id!: number;
  preRegistration!: PreRegistration;
  eventKey!: string;
  type!: string;
  status?: PreRegistrationStatus | null;
  actor?: string | null;
  details!: Record<string, unknown>;
  at!: Date;
}
export const PreRegistrationEventSchema = new EntitySchema<PreRegistrationEvent>({
  class: PreRegistrationEvent,
  tableName: 'pre_registration_event',
  uniques: [{ properties: ['preRegistration', 'eventKey'] }],
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    preRegistration: { kind: 'm:1', entity: () => PreRegistration },
    eventKey: { type: 'string', length: 64 },
    type: { type: 'string', length: 32 },
    status: { type: 'string', length: 24, nullable: true },
    actor: { type: 'string', length: 64, nullable: true },
    details: { type: 'json' },
    at: { type: 'datetime' },
  },
});

/** A stored ID photo, re-encoded JPEG; referenced by key, never carried in workflow payloads. */
export class Photo {
  [PrimaryKeyProp]?: 'key';
  key!: string;
  contentType!: string;
  bytes!: Buffer;
  width!: number;
  height!: number;
  createdAt!: Date;
}
export const PhotoSchema = new EntitySchema<Photo>({
  class: Photo,
  tableName: 'photo',
  properties: {
    key: { type: 'string', length: 64, primary: true },
    contentType: { type: 'string', length: 32 },
    bytes: { type: 'blob', lazy: true },
    width: { type: 'integer' },
    height: { type: 'integer' },
    createdAt: { type: 'datetime' },
  },
});

/**
 * A notification to the parent, recorded (status `pending`) before it is sent, under an idempotency
 * key `<request id>:<event>:<occurrence>:<channel>`, so a retried activity never sends twice.
 * `failed` = permanent failure (invalid address or number), shown to staff.
 */
export class Notification {
  id!: number;
  preRegistration!: PreRegistration;
  event!: string;
  occurrence!: number;
  channel!: 'email' | 'sms';
  idempotencyKey!: string;
  recipient!: string;
  status!: 'pending' | 'sent' | 'skipped' | 'failed';
  providerMessageId?: string | null;
  /** SMS only: number of segments billed. */
  segments?: number | null;
  error?: string | null;
  attempts!: number;
  sentAt?: Date | null;
  updatedAt?: Date | null;
  /** Set instead of `preRegistration` for the answer to a help request. */
  helpRequestId?: string | null;
}
export const NotificationSchema = new EntitySchema<Notification>({
  class: Notification,
  tableName: 'notification',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    preRegistration: { kind: 'm:1', entity: () => PreRegistration, index: true, nullable: true },
    helpRequestId: { type: 'uuid', nullable: true },
    event: { type: 'string', length: 24 },
    occurrence: { type: 'integer', default: 0 },
    channel: { type: 'string', length: 8 },
    idempotencyKey: { type: 'string', length: 120, unique: true },
    recipient: { type: 'string', length: 254, default: '' },
    status: { type: 'string', length: 8 },
    providerMessageId: { type: 'string', length: 255, nullable: true },
    segments: { type: 'integer', nullable: true },
    error: { type: 'text', nullable: true },
    attempts: { type: 'integer', default: 0 },
    sentAt: { type: 'datetime', nullable: true },
    updatedAt: { type: 'datetime', nullable: true },
  },
});
