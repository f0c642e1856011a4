/**
 * The staff second factor: TOTP (RFC 6238, SHA-1, 6 digits, 30-second steps — what every
 * authenticator app reads from an `otpauth://` QR code) with otplib, and ten single-use
 * recovery codes.
 * - The secret is stored encrypted (AES-256-GCM, key `STAFF_TOTP_KEY`): `v1.<base64 iv ‖ ciphertext ‖ tag>`.
 * - A code is accepted one step either side of now (clock drift) and only once: the last step
 *   accepted is kept, and a code of that step or an earlier one is refused (replay), atomically.
 * - Recovery codes (`xxxxx-xxxxx`, 50 random bits) are stored as HMAC-SHA256 keyed from
 *   `STAFF_TOTP_KEY`; each works once.
 * otplib 13 ships a CommonJS build (`dist/index.cjs`), so it loads from our CommonJS output as is.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { openSecret, sealSecret } from '../../entities/staffSecret';
import type { EntityManager } from '@mikro-orm/postgresql';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { toAsciiDigits } from '../../domain/names';
import { StaffRecoveryCode, StaffUser } from '../../entities';

export const TOTP_POLICY = { period: 30, digits: 6, toleranceSeconds: 30, recoveryCodes: 10, issuer: 'Tasjil' } as const;

/** A refused code: wrong, already used (replay: wait for the next one), or not enrolled. */
export class SecondFactorError extends Error {
  constructor(readonly code: 'totp.wrong' | 'totp.replayed' | 'totp.notEnrolled') {
    super(code);
    this.name = 'SecondFactorError';
  }
}

export { openSecret, sealSecret, totpKey } from '../../entities/staffSecret';

/** A new random secret (20 bytes, base32). */
export function newSecret(): string {
  return generateSecret();
}

/** `JBSW Y3DP …`: the secret in groups of four for typing into an app. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

/** The `otpauth://` URI and its QR code as inline SVG (rendered here: the page needs no JavaScript). */
export async function enrolmentQr(username: string, secret: string): Promise<{ uri: string; svg: string }> {
  const uri = generateURI({ issuer: TOTP_POLICY.issuer, label: username, secret });
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { uri, svg };
}

/** The time step of a code accepted for `secret` now (±1 step), or null. */
async function matchingStep(secret: string, typed: string, now: Date): Promise<number | null> {
  const token = toAsciiDigits(typed).replace(/[\s-]/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const r = await verify({ secret, token, epoch: Math.floor(now.getTime() / 1000), epochTolerance: TOTP_POLICY.toleranceSeconds });
  // The TOTP strategy's result carries the matched time step (the HOTP one does not: hence the union type).
  return r.valid && 'timeStep' in r ? (r as { timeStep: number }).timeStep : null;
}

/** Normalises a typed recovery code (`ABCDE-FGHJK`, spaces, case). */
const normalRecovery = (typed: string) => typed.toLowerCase().replace(/[^a-z0-9]/g, '');
function recoveryHash(key: Buffer, userId: string, code: string): string {
  return createHmac('sha256', createHmac('sha256', key).update('tasjil-recovery-codes').digest()).update(`${userId}:${normalRecovery(code)}`).digest('hex');
}
const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32 symbols: no l, o, 0, 1

/** The stored secret of a user (decrypted), or null before enrolment started. */
export async function secretOf(em: EntityManager, key: Buffer, user: StaffUser): Promise<string | null> {
  const row = await em.findOneOrFail(StaffUser, { id: user.id }, { populate: ['totpSecret'] });
  return row.totpSecret ? openSecret(key, row.totpSecret) : null;
}

/**
 * The secret an unenrolled user is asked to scan: the one already pending (they may have scanned
 * it before leaving), else a new one stored encrypted (not yet active: `totpEnrolledAt` stays null).
 */
export async function pendingSecret(em: EntityManager, key: Buffer, user: StaffUser): Promise<string> {
  const row = await em.findOneOrFail(StaffUser, { id: user.id }, { populate: ['totpSecret'] });
  if (row.totpEnrolledAt) throw new Error('already enrolled');
  if (row.totpSecret) return openSecret(key, row.totpSecret);
  const secret = newSecret();
  row.totpSecret = sealSecret(key, secret);
  await em.flush();
  return secret;
}

/** Replaces the user's recovery codes by ten new ones. @returns the codes in clear (shown once). */
export async function newRecoveryCodes(em: EntityManager, key: Buffer, user: StaffUser, now = new Date()): Promise<string[]> {
  await em.nativeDelete(StaffRecoveryCode, { user: user.id });
  const codes: string[] = [];
  for (let i = 0; i < TOTP_POLICY.recoveryCodes; i++) {
    const bytes = randomBytes(10);
    const raw = [...bytes].map((b) => RECOVERY_ALPHABET[b & 31]).join('');
    const code = `${raw.slice(0, 5)}-${raw.slice(5)}`;
    codes.push(code);
    em.create(StaffRecoveryCode, { id: randomUUID(), user: em.getReference(StaffUser, user.id), codeHash: recoveryHash(key, user.id, code), createdAt: now });
  }
  await em.flush();
  return codes;
}

/** Sets the last accepted step if `step` is newer (atomic: two uses of one code cannot both win). */
async function takeStep(em: EntityManager, userId: string, step: number): Promise<boolean> {
  const n = await em.getConnection().execute(
    'update staff_user set totp_last_step = ? where id = ? and (totp_last_step is null or totp_last_step < ?)', [step, userId, step], 'run',
  ) as unknown as { affectedRows: number };
  return n.affectedRows === 1;
}

/**
 * Confirms enrolment with a first code of the pending secret.
 * @returns the ten recovery codes, to show once
 * @throws SecondFactorError `totp.wrong`
 */
export async function confirmEnrolment(em: EntityManager, key: Buffer, user: StaffUser, typed: string, now = new Date()): Promise<string[]> {
  const row = await em.findOneOrFail(StaffUser, { id: user.id }, { populate: ['totpSecret'] });
  if (row.totpEnrolledAt || !row.totpSecret) throw new SecondFactorError('totp.notEnrolled');
  const step = await matchingStep(openSecret(key, row.totpSecret), typed, now);
  if (step === null || !(await takeStep(em, user.id, step))) throw new SecondFactorError('totp.wrong');
  await em.nativeUpdate(StaffUser, { id: user.id }, { totpEnrolledAt: now });
  return newRecoveryCodes(em, key, user, now);
}

/**
 * Checks the second step of a sign-in: a current code (±1 step, once) or an unused recovery code.
 * @returns how the user proved it
 * @throws SecondFactorError `totp.replayed` (a code already used: wait for the next one),
 *   `totp.wrong`, `totp.notEnrolled`
 */
export async function verifySecondFactor(em: EntityManager, key: Buffer, user: StaffUser, typed: string, now = new Date()): Promise<'totp' | 'recovery'> {
  const row = await em.findOneOrFail(StaffUser, { id: user.id }, { populate: ['totpSecret'] });
  if (!row.totpEnrolledAt || !row.totpSecret) throw new SecondFactorError('totp.notEnrolled');
  const step = await matchingStep(openSecret(key, row.totpSecret), typed, now);
  if (step !== null) {
    if (await takeStep(em, user.id, step)) return 'totp';
    throw new SecondFactorError('totp.replayed');
  }
  if (normalRecovery(typed).length === 10) {
    const used = await em.nativeUpdate(StaffRecoveryCode, { user: user.id, codeHash: recoveryHash(key, user.id, typed), usedAt: null }, { usedAt: now });
    if (used === 1) return 'recovery';
  }
  throw new SecondFactorError('totp.wrong');
}

/** Unused recovery codes left. */
export function recoveryCodesLeft(em: EntityManager, user: StaffUser): Promise<number> {
  return em.count(StaffRecoveryCode, { user: user.id, usedAt: null });
}
