/**
 * Encryption at rest of the staff second-factor (TOTP) secrets: AES-256-GCM with the key of
 * `STAFF_TOTP_KEY`, stored as `v1.<base64 iv(12) ‖ ciphertext ‖ tag(16)>` in `staff_user.totp_secret`.
 * Used by the web services and by the demo seeder.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The 32-byte key of `STAFF_TOTP_KEY` (base64; length checked by config/index.ts). */
export function totpKey(config: { STAFF_TOTP_KEY: string }): Buffer {
  return Buffer.from(config.STAFF_TOTP_KEY, 'base64');
}

/** Encrypts a base32 secret for storage. */
export function sealSecret(key: Buffer, secret: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([iv, c.update(secret, 'utf8'), c.final(), c.getAuthTag()]);
  return `v1.${data.toString('base64')}`;
}

/** Decrypts a stored secret. @throws Error when it was not sealed with `key` (or was altered). */
export function openSecret(key: Buffer, sealed: string): string {
  if (!sealed.startsWith('v1.')) throw new Error('totp secret: unknown format');
  const data = Buffer.from(sealed.slice(3), 'base64');
  const d = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
  d.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]).toString('utf8');
}
