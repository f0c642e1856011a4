/**
 * Duplicate detection: two live requests for the same child, e.g. the same child submitted to two
 * schools, or submitted twice. Keys are stored per request (column `duplicateKeys`); requests that
 * share a key are possible duplicates, for the director to judge.
 */
import { normalizeArabicForSearch, toAsciiDigits } from './names';
import type { IsoDate } from './types';

/**
 * A birth-certificate number reduced to its letters and digits, upper-case, ASCII digits:
 * `'1234 / 2020'`, `'1234-2020'` and `'١٢٣٤/٢٠٢٠'` all give `'12342020'`.
 */
export function normalizeCertificateNumber(s: string): string {
  return toAsciiDigits(s.normalize('NFKC')).toUpperCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * Duplicate keys of a child, such that two requests for the same child share at least one:
 * - `bc:<normalised certificate number>|<birthDate>` (see `normalizeCertificateNumber`);
 * - `name:<normalizeArabicForSearch(firstNameAr + ' ' + lastNameAr)>|<birthDate>`.
 * A key whose first part would be empty is left out. Source: `DuplicateCheckResult` in types.ts.
 * E.g. `{ birthDate: '2020-05-04', firstNameAr: 'أحمد', lastNameAr: 'العلوي', birthCertificateNumber: '123/2020' }`
 * → `['bc:1232020|2020-05-04', 'name:احمد العلوي|2020-05-04']`.
 */
export function duplicateKeys(x: {
  birthDate: IsoDate;
  firstNameAr: string;
  lastNameAr: string;
  birthCertificateNumber: string;
}): string[] {
  const keys: string[] = [];
  const certificate = normalizeCertificateNumber(x.birthCertificateNumber);
  if (certificate !== '') keys.push(`bc:${certificate}|${x.birthDate}`);
  const name = normalizeArabicForSearch(`${x.firstNameAr} ${x.lastNameAr}`);
  if (name !== '') keys.push(`name:${name}|${x.birthDate}`);
  return keys;
}
