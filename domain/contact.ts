/**
 * Contact details of parents: phone numbers (stored E.164), national ID card numbers (CIN/CNIE)
 * and email addresses (shared acceptance cases `phones` and `cin`).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';

/** Characters a typed phone number may contain: digits (Western or Arabic-Indic), `+`, spaces and `-.()/`. */
const PHONE_CHARACTERS = /^\+?[0-9\u0660-\u0669\u06F0-\u06F9\s\-.()/]+$/u;
const PHONE_MAX_INPUT_LENGTH = 32;

export type PhoneResult = { ok: true; e164: string; mobile: boolean; fixedLine: boolean } | { ok: false; error: 'invalid' };

/**
 * Normalises a phone number typed by a parent to E.164, Morocco (`MA`) being the default country:
 * `0612345678`, `06 12 34 56 78`, `00212612345678` and `+212612345678` all give `+212612345678`.
 * `mobile` says whether the number can receive SMS: for Moroccan numbers, `+2126…` and `+2127…`
 * (mission: national `06…`/`07…`); for foreign numbers, libphonenumber's type `MOBILE` or
 * `FIXED_LINE_OR_MOBILE` (e.g. the United States, where the two cannot be told apart); `fixedLine`
 * whether libphonenumber types it `FIXED_LINE` (a landline, e.g. `0537…`).
 * Numbers that libphonenumber-js (full metadata) does not consider valid, or that contain letters
 * or an extension, give `{ ok: false, error: 'invalid' }`.
 */
export function normalizePhone(input: string): PhoneResult {
  if (typeof input !== 'string') return { ok: false, error: 'invalid' };
  const text = input.trim();
  if (text.length === 0 || text.length > PHONE_MAX_INPUT_LENGTH || !PHONE_CHARACTERS.test(text)) {
    return { ok: false, error: 'invalid' };
  }
  const phone = parsePhoneNumberFromString(text, 'MA');
  if (!phone || !phone.isValid() || phone.ext) return { ok: false, error: 'invalid' };
  const e164 = phone.number;
  const mobile =
    phone.countryCallingCode === '212'
      ? /^[67]/.test(phone.nationalNumber)
      : phone.getType() === 'MOBILE' || phone.getType() === 'FIXED_LINE_OR_MOBILE';
  // A landline by libphonenumber's number type (Moroccan 05… numbers): it cannot receive SMS.
  const fixedLine = !mobile && phone.getType() === 'FIXED_LINE';
  return { ok: true, e164, mobile, fixedLine };
}

/** CIN/CNIE after normalisation: one or two letters, then 1 to 6 digits (e.g. `AB123456`, `J12345`). */
export const CIN_PATTERN = /^[A-Z]{1,2}[0-9]{1,6}$/;

export type CinResult = { ok: true; value: string } | { ok: false; error: 'invalid' };

/**
 * Normalises a national ID card number (CIN/CNIE): whitespace and hyphens removed, upper-cased,
 * then checked against `CIN_PATTERN` (one or two letters then 1–6 digits; the mission says "one
 * or two letters followed by digits", and issued numbers have at most six digits).
 * E.g. `'ab 123456'` → `AB123456`; `'123456'` and `'ABC12345678'` are invalid.
 */
export function normalizeCin(input: string): CinResult {
  if (typeof input !== 'string') return { ok: false, error: 'invalid' };
  const value = input.replace(/[\s-]+/gu, '').toUpperCase();
  return CIN_PATTERN.test(value) ? { ok: true, value } : { ok: false, error: 'invalid' };
}

/** Longest email address accepted (RFC 5321 path limit). */
export const EMAIL_MAX_LENGTH = 254;

const emailSchema = z.email().max(EMAIL_MAX_LENGTH);

/**
 * True when `s` (already trimmed) is an email address as zod's `z.email()` defines it
 * (ASCII local part, dotted domain with a TLD of two or more letters), at most 254 characters.
 */
export function isEmail(s: string): boolean {
  return typeof s === 'string' && emailSchema.safeParse(s).success;
}
