import { EntitySchema } from '@mikro-orm/core';
import type { GuardianRole, Language } from '../domain/types';

/**
 * The parents' data entered once and reused for every child (الفضاء الخاص بأولياء التلاميذ):
 * guardian role, father, mother, tutor and residence, in the raw form shape (strings as typed,
 * validated again with each child's submission).
 */
export interface ParentProfile {
  guardianRole?: GuardianRole;
  father?: Record<string, string>;
  mother?: Record<string, string>;
  tutor?: Record<string, string>;
  residence?: { academy?: string; directorate?: string; communeCode?: string; residenceZoneCode?: string };
}

/**
 * A parent's account: signs in with an email address or a Moroccan mobile number (E.164) and a
 * password hashed with argon2id; usable once the identifier is verified by a one-time code.
 */
export class ParentAccount {
  id!: string;
  /** Lower-case email address, when the parent signed up with one. */
  email?: string | null;
  /** E.164 mobile number (`+2126…`/`+2127…`), when the parent signed up with one. */
  phone?: string | null;
  passwordHash!: string;
  language!: Language;
  verifiedAt?: Date | null;
  profile!: ParentProfile;
  /** Consecutive failed sign-ins and the time until which sign-in is refused (throttling in PostgreSQL, shared by every web process). */
  failedSignIns!: number;
  lockedUntil?: Date | null;
  createdAt!: Date;
  lastSignInAt?: Date | null;
}
export const ParentAccountSchema = new EntitySchema<ParentAccount>({
  class: ParentAccount,
  tableName: 'parent_account',
  properties: {
    id: { type: 'uuid', primary: true },
    email: { type: 'string', length: 254, nullable: true, unique: true },
    phone: { type: 'string', length: 16, nullable: true, unique: true },
    passwordHash: { type: 'string', length: 255 },
    language: { type: 'string', length: 2 },
    verifiedAt: { type: 'datetime', nullable: true },
    profile: { type: 'json' },
    failedSignIns: { type: 'integer', default: 0 },
    lockedUntil: { type: 'datetime', nullable: true },
    createdAt: { type: 'datetime' },
    lastSignInAt: { type: 'datetime', nullable: true },
  },
});

/** What a one-time code proves: the identifier at sign-up (`verify`) or the right to choose a new password (`reset`). */
export type OneTimeCodePurpose = 'verify' | 'reset';

/**
 * A one-time code sent by email or SMS: 6 digits, stored as an HMAC-SHA256 (never in clear),
 * valid 10 minutes, 5 attempts, used once.
 */
export class OneTimeCode {
  id!: string;
  account!: ParentAccount;
  purpose!: OneTimeCodePurpose;
  channel!: 'email' | 'sms';
  codeHash!: string;
  /** HMAC-SHA256 of the client address that asked for it (the address itself is never stored). */
  requesterHash?: string | null;
  attempts!: number;
  expiresAt!: Date;
  consumedAt?: Date | null;
  createdAt!: Date;
}
export const OneTimeCodeSchema = new EntitySchema<OneTimeCode>({
  class: OneTimeCode,
  tableName: 'one_time_code',
  indexes: [{ properties: ['account', 'createdAt'] }],
  properties: {
    id: { type: 'uuid', primary: true },
    account: { kind: 'm:1', entity: () => ParentAccount, deleteRule: 'cascade' },
    purpose: { type: 'string', length: 8 },
    channel: { type: 'string', length: 5 },
    codeHash: { type: 'string', length: 64 },
    requesterHash: { type: 'string', length: 64, nullable: true },
    attempts: { type: 'integer', default: 0 },
    expiresAt: { type: 'datetime' },
    consumedAt: { type: 'datetime', nullable: true },
    createdAt: { type: 'datetime' },
  },
});

/**
 * A pre-registration being filled in, step by step, resumable on any device. `data` is the raw
 * form (strings as typed, errors included: nothing typed is lost); `reference` is set when the
 * draft edits a submitted request; `submittedAt` once it became (or updated) a request.
 */
export class PreRegistrationDraft {
  id!: string;
  account!: ParentAccount;
  data!: Record<string, unknown>;
  /** Furthest step reached (catalogue step name). */
  step!: string;
  photoKey?: string | null;
  reference?: string | null;
  createdAt!: Date;
  updatedAt!: Date;
  submittedAt?: Date | null;
}
export const PreRegistrationDraftSchema = new EntitySchema<PreRegistrationDraft>({
  class: PreRegistrationDraft,
  tableName: 'pre_registration_draft',
  indexes: [{ properties: ['account', 'updatedAt'] }],
  properties: {
    id: { type: 'uuid', primary: true },
    account: { kind: 'm:1', entity: () => ParentAccount, deleteRule: 'cascade' },
    data: { type: 'json' },
    step: { type: 'string', length: 16 },
    photoKey: { type: 'string', length: 64, nullable: true },
    reference: { type: 'string', length: 20, nullable: true },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime' },
    submittedAt: { type: 'datetime', nullable: true },
  },
});
