/**
 * The public reference of a pre-registration (رقم الطلب / numéro de demande): short enough to
 * read over the phone, impossible to guess, free of ambiguous letters.
 */

/** Crockford's base-32 alphabet: digits and letters without I, L, O, U. */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `P` + two digits of the start year, then two groups of five Crockford characters. */
const REFERENCE_PATTERN = /^P[0-9]{2}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

/** Random bytes needed for one reference (7 bytes = 56 bits, of which 50 are used). */
const RANDOM_BYTES = 7;

/**
 * A new reference `P<yy>-XXXXX-XXXXX`, e.g. `P26-7K3QD-M2X9A` for the school year starting in 2026:
 * `yy` = last two digits of `startYear`, then 10 Crockford base-32 characters carrying 50 random
 * bits (≈ 1.1 × 10^15 values, so guessing a live reference among a million is hopeless).
 * @param random returns `n` cryptographically random bytes, e.g. `(n) => crypto.randomBytes(n)`
 *   (injected so the module stays pure and testable).
 * @throws RangeError when `startYear` is not an integer in 2000–2999, or `random` returns fewer than 7 bytes.
 */
export function generateReference(startYear: number, random: (n: number) => Uint8Array): string {
  if (!Number.isInteger(startYear) || startYear < 2000 || startYear > 2999) {
    throw new RangeError(`Start year must be an integer between 2000 and 2999: ${startYear}`);
  }
  const bytes = random(RANDOM_BYTES);
  if (!bytes || bytes.length < RANDOM_BYTES) throw new RangeError(`Expected ${RANDOM_BYTES} random bytes`);
  let bits = 0n;
  for (let i = 0; i < RANDOM_BYTES; i += 1) bits = (bits << 8n) | BigInt(bytes[i]);
  bits >>= 6n; // keep the 50 most significant bits
  let chars = '';
  for (let i = 0; i < 10; i += 1) {
    chars = CROCKFORD_ALPHABET[Number(bits & 31n)] + chars;
    bits >>= 5n;
  }
  const yy = String(startYear % 100).padStart(2, '0');
  return `P${yy}-${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** True when `s` has exactly the reference format `P<2 digits>-<5 Crockford>-<5 Crockford>` (upper-case). */
export function isReference(s: string): boolean {
  return typeof s === 'string' && REFERENCE_PATTERN.test(s);
}

/** Temporal workflow id of a pre-registration: `preRegistration-<reference>`. */
export function workflowIdFor(reference: string): string {
  return `preRegistration-${reference}`;
}

/** What a parent or director typed as a reference, trimmed and upper-cased (check it with `isReference`). */
export function normalizeReference(input: string): string {
  return typeof input === 'string' ? input.trim().toUpperCase() : '';
}
