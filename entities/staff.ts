import { EntitySchema } from '@mikro-orm/core';
import { Academy, ProvincialDirectorate } from './reference';
import { School } from './school';

export const STAFF_ROLES = ['director', 'provincialSupervisor', 'academySupervisor', 'administrator'] as const;
/** Staff roles; each role's scope is one school, one directorate, one academy, or everything. */
export type StaffRole = (typeof STAFF_ROLES)[number];

/** A staff account (director or supervisor); password hashed with argon2id. */
export class StaffUser {
  id!: string;
  username!: string;
  passwordHash!: string;
  displayName!: string;
  /** Work address for reminders and escalations. */
  email?: string | null;
  role!: StaffRole;
  school?: School | null;
  directorate?: ProvincialDirectorate | null;
  academy?: Academy | null;
  active!: boolean;
  createdAt!: Date;
  lastSignInAt?: Date | null;
  /** TOTP secret (RFC 6238), AES-256-GCM encrypted with `STAFF_TOTP_KEY`; null before enrolment. */
  totpSecret?: string | null;
  /** When the user confirmed the second factor with a code; null = not enrolled (enrolment forced at sign-in). */
  totpEnrolledAt?: Date | null;
  /** The last TOTP time step accepted: a code of this step or an earlier one is refused (replay). */
  totpLastStep?: number | null;
}
export const StaffUserSchema = new EntitySchema<StaffUser>({
  class: StaffUser,
  tableName: 'staff_user',
  properties: {
    id: { type: 'uuid', primary: true },
    username: { type: 'string', length: 64, unique: true },
    passwordHash: { type: 'string', length: 255 },
    displayName: { type: 'string', length: 120 },
    email: { type: 'string', length: 254, nullable: true },
    role: { type: 'string', length: 24 },
    school: { kind: 'm:1', entity: () => School, nullable: true },
    directorate: { kind: 'm:1', entity: () => ProvincialDirectorate, nullable: true },
    academy: { kind: 'm:1', entity: () => Academy, nullable: true },
    active: { type: 'boolean', default: true },
    createdAt: { type: 'datetime' },
    lastSignInAt: { type: 'datetime', nullable: true },
    totpSecret: { type: 'text', nullable: true, lazy: true },
    totpEnrolledAt: { type: 'datetime', nullable: true },
    totpLastStep: { type: 'integer', nullable: true },
  },
});

/** A single-use recovery code of the staff second factor (HMAC-SHA256 only). */
export class StaffRecoveryCode {
  id!: string;
  user!: StaffUser;
  codeHash!: string;
  createdAt!: Date;
  usedAt?: Date | null;
}
export const StaffRecoveryCodeSchema = new EntitySchema<StaffRecoveryCode>({
  class: StaffRecoveryCode,
  tableName: 'staff_recovery_code',
  properties: {
    id: { type: 'uuid', primary: true },
    user: { kind: 'm:1', entity: () => StaffUser, deleteRule: 'cascade' },
    codeHash: { type: 'string', length: 64, unique: true },
    createdAt: { type: 'datetime' },
    usedAt: { type: 'datetime', nullable: true },
  },
});

/** A staff API token (`Authorization: Bearer …`): SHA-256 of the token only, with the user's rights. */
export class StaffApiToken {
  id!: string;
  user!: StaffUser;
  name!: string;
  tokenHash!: string;
  /** The token's first characters, to recognise it in the list. */
  prefix!: string;
  createdAt!: Date;
  lastUsedAt?: Date | null;
  revokedAt?: Date | null;
}
export const StaffApiTokenSchema = new EntitySchema<StaffApiToken>({
  class: StaffApiToken,
  tableName: 'staff_api_token',
  properties: {
    id: { type: 'uuid', primary: true },
    user: { kind: 'm:1', entity: () => StaffUser, deleteRule: 'cascade' },
    name: { type: 'string', length: 80 },
    tokenHash: { type: 'string', length: 64, unique: true },
    prefix: { type: 'string', length: 16 },
    createdAt: { type: 'datetime' },
    lastUsedAt: { type: 'datetime', nullable: true },
    revokedAt: { type: 'datetime', nullable: true },
  },
});

/** Who saw or changed what (law 09-08): views of personal data, decisions, exports. */
export class AuditLog {
  id!: number;
  at!: Date;
  actorId!: string;
  actorRole!: string;
  action!: string;
  reference?: string | null;
  /** Client address (from where). */
  ip?: string | null;
  details!: Record<string, unknown>;
}
export const AuditLogSchema = new EntitySchema<AuditLog>({
  class: AuditLog,
  tableName: 'audit_log',
  indexes: [{ properties: ['reference'] }, { properties: ['at'] }],
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    at: { type: 'datetime' },
    actorId: { type: 'string', length: 64 },
    actorRole: { type: 'string', length: 24 },
    action: { type: 'string', length: 48 },
    reference: { type: 'string', length: 20, nullable: true },
    ip: { type: 'string', length: 45, nullable: true },
    details: { type: 'json' },
  },
});
