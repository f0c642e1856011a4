/**
 * Rules of the parents' space accounts: the sign-in identifier (an email address or a Moroccan
 * mobile number) and the password policy. Pure functions.
 */
import { EMAIL_MAX_LENGTH, isEmail, normalizePhone } from './contact';

/** A parsed sign-in identifier: a lower-case email address or an E.164 mobile number. */
export type AccountIdentifier = { kind: 'email'; value: string } | { kind: 'phone'; value: string };

/**
 * Parses what a parent typed as their identifier. Anything with an `@` is an email (lower-cased,
 * trimmed); anything else a phone number, which must be a mobile (06/07): the one-time code is
 * sent to it by SMS.
 * @returns the identifier, or the catalogue code of the problem: `account.identifier.invalid`
 *   (neither), `account.identifier.notMobile` (a fixed line).
 */
export function parseAccountIdentifier(raw: string): { ok: true; value: AccountIdentifier } | { ok: false; error: 'account.identifier.invalid' | 'account.identifier.notMobile' } {
  const s = raw.trim();
  if (s.includes('@')) {
    const email = s.toLowerCase();
    return email.length <= EMAIL_MAX_LENGTH && isEmail(email) ? { ok: true, value: { kind: 'email', value: email } } : { ok: false, error: 'account.identifier.invalid' };
  }
  const phone = normalizePhone(s);
  if (!phone.ok) return { ok: false, error: 'account.identifier.invalid' };
  if (!phone.mobile) return { ok: false, error: 'account.identifier.notMobile' };
  return { ok: true, value: { kind: 'phone', value: phone.e164 } };
}

/** Password length bounds in characters (NIST SP 800-63B §5.1.1.2: at least 8, accept at least 64). */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** Passwords refused whatever their length: the most common ones and simple sequences (NIST SP 800-63B §5.1.1.2 "blocklist"). */
const COMMON_PASSWORDS = new Set([
  'password', 'password1', 'motdepasse', 'azertyuiop', 'qwertyuiop', '12345678', '123456789', '1234567890', '87654321',
  '11111111', '00000000', '12341234', 'iloveyou', 'morocco1', 'maroc123', 'marocain', 'bismillah', 'azerty123', 'qwerty123',
  'abcd1234', 'abc12345', 'password123', 'admin123', 'welcome1', 'tasjil123', 'tasjil2027',
]);

/**
 * Checks a new password: length within bounds, not a common password, not the identifier itself.
 * Composition rules (digits, symbols) are deliberately not imposed (NIST SP 800-63B §5.1.1.2).
 * @returns `null` when acceptable, else the catalogue code of the problem.
 */
export function checkNewPassword(password: string, identifier: string): null | 'account.password.tooShort' | 'account.password.tooLong' | 'account.password.common' {
  const chars = [...password].length;
  if (chars < PASSWORD_MIN_LENGTH) return 'account.password.tooShort';
  if (chars > PASSWORD_MAX_LENGTH) return 'account.password.tooLong';
  const lower = password.toLowerCase();
  const asPhone = normalizePhone(password);
  if (COMMON_PASSWORDS.has(lower) || /^(.)\1+$/.test(password) || lower === identifier.trim().toLowerCase() || (asPhone.ok && asPhone.e164 === identifier.trim())) {
    return 'account.password.common';
  }
  return null;
}

/** Masks an identifier for display ("a•••@example.ma", "+212 6•• ••• •78"), so a page never shows it in full to someone who only typed it. */
export function maskIdentifier(id: AccountIdentifier): string {
  if (id.kind === 'email') {
    const [local, domain] = id.value.split('@');
    return `${local.slice(0, 1)}•••@${domain}`;
  }
  return `${id.value.slice(0, 5)}•••••${id.value.slice(-2)}`;
}
