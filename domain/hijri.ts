/**
 * Hijri dates of birth. The Gregorian date is authoritative; the Hijri date typed from the birth
 * certificate is only checked for consistency, because Morocco fixes Hijri months by moon
 * sighting and a certificate may differ by one or two days from the Umm al-Qura calendar that
 * Intl (ICU) computes (mission "facts to build on"; shared acceptance cases `hijri`).
 */
import { addDays, isIsoDate } from './dates';
import type { HijriCheckResult, HijriDate, IsoDate, Language } from './types';

const HIJRI_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Lowest and highest Hijri years accepted as a date of birth (1300 AH ≈ 1882, 1600 AH ≈ 2174). */
export const HIJRI_MIN_YEAR = 1300;
export const HIJRI_MAX_YEAR = 1600;

/** Default tolerance of the consistency check, in days (mission: ±2 days). */
export const HIJRI_TOLERANCE_DAYS = 2;

/** How far around the Gregorian date the consistency check looks for the entered Hijri date, in days. */
const SEARCH_WINDOW_DAYS = 40;

/**
 * Hijri month names as written in dates, after the day number: Arabic as in the Bulletin officiel
 * («ربيع الآخر», «جمادى الآخرة», genitive «ذي القعدة»), French in a common Moroccan transliteration.
 */
export const HIJRI_MONTH_NAMES: Readonly<Record<Language, readonly string[]>> = {
  ar: [
    'محرم', 'صفر', 'ربيع الأول', 'ربيع الآخر', 'جمادى الأولى', 'جمادى الآخرة',
    'رجب', 'شعبان', 'رمضان', 'شوال', 'ذي القعدة', 'ذي الحجة',
  ],
  fr: [
    'Mouharram', 'Safar', 'Rabii al-awal', 'Rabii al-akhir', 'Joumada al-oula', 'Joumada al-akhira',
    'Rajab', 'Chaabane', 'Ramadan', 'Chaoual', 'Dou al-qiada', 'Dou al-hijja',
  ],
};

const umalquraFormatter = new Intl.DateTimeFormat('en-u-ca-islamic-umalqura-nu-latn', {
  timeZone: 'UTC',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
});

/**
 * The Umm al-Qura Hijri date (`YYYY-MM-DD`, zero-padded) of a Gregorian date, computed by Intl
 * (`islamic-umalqura` calendar, at 00:00 UTC of that day), e.g. `2020-09-01` → `1442-01-13`,
 * `2023-07-18` → `1444-12-30`.
 * @throws RangeError when `date` is not a valid `YYYY-MM-DD` date.
 */
export function gregorianToHijri(date: IsoDate): HijriDate {
  if (!isIsoDate(date)) throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  const instant = new Date(0);
  instant.setUTCFullYear(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
  const parts = umalquraFormatter.formatToParts(instant);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  // ICU names the Hijri year part `year` (or `relatedYear` in some builds); take whichever is there.
  const year = get('year') || get('relatedYear');
  return `${year.padStart(4, '0')}-${get('month').padStart(2, '0')}-${get('day').padStart(2, '0')}`;
}

/**
 * Shape check of a Hijri date `YYYY-MM-DD`: year 1300–1600, month 01–12, day 01–30.
 * It does not say whether day 30 exists in that month (Hijri months have 29 or 30 days).
 */
export function isHijriDate(s: string): boolean {
  if (typeof s !== 'string') return false;
  const m = HIJRI_DATE.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  return year >= HIJRI_MIN_YEAR && year <= HIJRI_MAX_YEAR && month >= 1 && month <= 12 && day >= 1 && day <= 30;
}

/**
 * Checks the Hijri date typed from the birth certificate against the Gregorian birth date.
 *
 * `differenceDays` is the signed number of days from the computed date to the entered one
 * (positive: the entered Hijri date is later), found by looking up which Gregorian day within
 * ±40 days has the entered Hijri date. A date that does not exist in Umm al-Qura (day 30 of a
 * 29-day month) counts as the month's last day plus the missing days (30 of a 29-day month is
 * day 29 + 1). `null` when the entered date is further than the window (then `inconsistent`).
 * The result is `consistent` iff |differenceDays| ≤ `toleranceDays`.
 *
 * Source: mission "facts to build on" (moon sighting, ±2 days); shared acceptance cases `hijri`:
 * 2020-09-01 with 1442-01-14 → consistent, with 1442-01-20 → inconsistent.
 * @param toleranceDays non-negative integer, default 2.
 * @throws RangeError when `gregorian` is not a valid date, `enteredHijri` fails `isHijriDate`,
 *   or `toleranceDays` is not a non-negative integer.
 */
export function checkHijriConsistency(
  gregorian: IsoDate,
  enteredHijri: HijriDate,
  toleranceDays: number = HIJRI_TOLERANCE_DAYS,
): { result: HijriCheckResult; expectedHijri: HijriDate; differenceDays: number | null } {
  if (!isHijriDate(enteredHijri)) throw new RangeError(`Not a Hijri date (YYYY-MM-DD): ${JSON.stringify(enteredHijri)}`);
  if (!Number.isInteger(toleranceDays) || toleranceDays < 0) throw new RangeError(`Invalid tolerance: ${toleranceDays}`);
  const expectedHijri = gregorianToHijri(gregorian);
  const differenceDays = hijriOffset(gregorian, expectedHijri, enteredHijri);
  const result: HijriCheckResult =
    differenceDays !== null && Math.abs(differenceDays) <= toleranceDays ? 'consistent' : 'inconsistent';
  return { result, expectedHijri, differenceDays };
}

/** Signed offset in days of `entered` from the Hijri date of `gregorian`, or null when out of the window. */
function hijriOffset(gregorian: IsoDate, expected: HijriDate, entered: HijriDate): number | null {
  if (entered === expected) return 0;
  // Hijri date → offset (days from `gregorian`) for every day of the window.
  const offsets = new Map<HijriDate, number>();
  for (let k = -SEARCH_WINDOW_DAYS; k <= SEARCH_WINDOW_DAYS; k += 1) {
    let day: IsoDate;
    try {
      day = addDays(gregorian, k);
    } catch {
      continue; // beyond year 1 or 9999
    }
    offsets.set(gregorianToHijri(day), k);
  }
  const found = offsets.get(entered);
  if (found !== undefined) return found;
  // A day that does not exist in Umm al-Qura (e.g. 30 of a 29-day month): take the latest existing
  // day of the same month and add the missing days.
  const prefix = entered.slice(0, 8);
  const day = Number(entered.slice(8, 10));
  for (let d = day - 1; d >= 29; d -= 1) {
    const base = offsets.get(`${prefix}${String(d).padStart(2, '0')}`);
    if (base !== undefined) return base + (day - d);
  }
  return null;
}

/**
 * A Hijri date written for people, e.g. `1442-01-13` → `13 محرم 1442` (ar) or
 * `13 Mouharram 1442` (fr). Day without leading zero, Western digits as used in Morocco.
 * @throws RangeError when `h` fails `isHijriDate`.
 */
export function formatHijri(h: HijriDate, lang: Language): string {
  if (!isHijriDate(h)) throw new RangeError(`Not a Hijri date (YYYY-MM-DD): ${JSON.stringify(h)}`);
  const month = HIJRI_MONTH_NAMES[lang][Number(h.slice(5, 7)) - 1];
  return `${Number(h.slice(8, 10))} ${month} ${Number(h.slice(0, 4))}`;
}
