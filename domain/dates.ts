/**
 * Calendar-date arithmetic on `YYYY-MM-DD` strings (proleptic Gregorian calendar).
 *
 * Everything here is integer arithmetic on day numbers (days since 1970-01-01), so no result
 * ever depends on the server's time zone or on daylight-saving changes. The only use of the
 * clock's zone is `todayInCasablanca`, which asks Intl for the civil date in Morocco.
 */
import type { IsoDate } from './types';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parts of a calendar date. `month` is 1–12, `day` 1–31. */
export interface DateParts {
  year: number;
  month: number;
  day: number;
}

/** True for leap years of the Gregorian calendar (divisible by 4, centuries only if divisible by 400). */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Number of days (28–31) in `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * True when `s` is exactly `YYYY-MM-DD` and names a real calendar date (years 0001–9999),
 * e.g. `2024-02-29` is true, `2023-02-29`, `2024-13-01` and `2024-2-1` are false.
 */
export function isIsoDate(s: string): boolean {
  if (typeof s !== 'string') return false;
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * Splits a valid ISO date into numbers.
 * @throws RangeError when `d` is not a real `YYYY-MM-DD` date.
 */
export function parseIsoDate(d: IsoDate): DateParts {
  if (!isIsoDate(d)) throw new RangeError(`Not a calendar date (YYYY-MM-DD): ${JSON.stringify(d)}`);
  return { year: Number(d.slice(0, 4)), month: Number(d.slice(5, 7)), day: Number(d.slice(8, 10)) };
}

/** Formats parts as `YYYY-MM-DD` (zero-padded). Does not validate. */
export function formatIsoDate(p: DateParts): IsoDate {
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/**
 * Day number of a civil date: days since 1970-01-01 (negative before). Algorithm
 * `days_from_civil` of H. Hinnant, "chrono-compatible low-level date algorithms" (exact integers).
 */
function toDayNumber({ year, month, day }: DateParts): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of `toDayNumber` (Hinnant's `civil_from_days`). */
function fromDayNumber(n: number): DateParts {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/**
 * The civil date `n` days after `d` (`n` may be negative), e.g. `addDays('2024-02-28', 1)` is
 * `2024-02-29`, `addDays('2024-03-01', -1)` is `2024-02-29`.
 * @throws RangeError when `d` is not a valid date, `n` is not an integer, or the result leaves years 0001–9999.
 */
export function addDays(d: IsoDate, n: number): IsoDate {
  if (!Number.isInteger(n)) throw new RangeError(`Day count must be an integer: ${n}`);
  const result = fromDayNumber(toDayNumber(parseIsoDate(d)) + n);
  if (result.year < 1 || result.year > 9999) throw new RangeError(`Date out of range: ${d} + ${n} days`);
  return formatIsoDate(result);
}

/**
 * Signed number of days from `a` to `b` (`b − a`), e.g. `diffDays('2024-02-28', '2024-03-01')` is 2.
 * @throws RangeError when either argument is not a valid date.
 */
export function diffDays(a: IsoDate, b: IsoDate): number {
  return toDayNumber(parseIsoDate(b)) - toDayNumber(parseIsoDate(a));
}

/** Compares two valid ISO dates: negative if a < b, 0 if equal, positive if a > b (string order is date order). */
export function compareIsoDates(a: IsoDate, b: IsoDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const casablancaFormatter = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Africa/Casablanca',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** {@link todayInCasablanca}'s answers by UTC minute (ms since the epoch / 60 000, floored); cleared at 10 000 entries. */
const daysByMinute = new Map<number, IsoDate>();

/**
 * The civil date in Morocco (IANA zone `Africa/Casablanca`, which includes Morocco's
 * Ramadan switch between UTC+1 and UTC+0) at the instant `now`.
 * Pass the clock in (e.g. `new Date()`, or Temporal's workflow clock) so that callers stay testable.
 * @throws RangeError when `now` is an invalid Date.
 */
export function todayInCasablanca(now: Date): IsoDate {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new RangeError('Invalid Date');
  // Since 1970 every UTC offset of the zone is a whole number of minutes (its local mean time of
  // -0:30:20 ended in 1913), so the civil date is the same throughout one UTC minute: answers are
  // kept by minute (Intl's formatToParts is the costly part; a status page asks for the
  // submission's day and today's).
  const minute = now.getTime() >= 0 ? Math.floor(now.getTime() / 60_000) : Number.NaN;
  const known = daysByMinute.get(minute);
  if (known !== undefined) return known;
  const parts = casablancaFormatter.formatToParts(now);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const date = formatIsoDate({ year: get('year'), month: get('month'), day: get('day') });
  if (Number.isNaN(minute)) return date;
  if (daysByMinute.size >= 10_000) daysByMinute.clear();
  daysByMinute.set(minute, date);
  return date;
}

/**
 * Date of the `totalMonths`-th monthly anniversary of `birth`. When that month has no such day
 * (a 31st, or 29 February in a common year), the anniversary falls on the 1st of the next month.
 */
function monthlyAnniversary(birth: DateParts, totalMonths: number): DateParts {
  const monthIndex = birth.month - 1 + totalMonths;
  const year = birth.year + Math.floor(monthIndex / 12);
  const month = (monthIndex % 12) + 1;
  if (birth.day <= daysInMonth(year, month)) return { year, month, day: birth.day };
  return month === 12 ? { year: year + 1, month: 1, day: 1 } : { year, month: month + 1, day: 1 };
}

/**
 * Age in completed years and months on the date `on`, as shown to directors
 * (shared acceptance cases `ageOn`): a month is completed on the monthly anniversary of the
 * birth date; when that day does not exist in the month (31st, 29 February) the anniversary
 * falls on the 1st of the next month. So a child born 2020-02-29 is 5 years 11 months on
 * 2026-02-28 and 6 years 0 months on 2026-03-01.
 * @returns `{ years, months }` with `months` in 0–11.
 * @throws RangeError when a date is invalid or `on` is before `birthDate`.
 */
export function ageOn(birthDate: IsoDate, on: IsoDate): { years: number; months: number } {
  const birth = parseIsoDate(birthDate);
  const target = parseIsoDate(on);
  if (on < birthDate) throw new RangeError(`Date ${on} is before the birth date ${birthDate}`);
  let total = (target.year - birth.year) * 12 + (target.month - birth.month);
  // The anniversary of month `total` is in the target month or on the 1st of the next one, so at
  // most one step back is needed; the anniversary of `total - 1` is always on or before `on`.
  if (formatIsoDate(monthlyAnniversary(birth, total)) > on) total -= 1;
  return { years: Math.floor(total / 12), months: total % 12 };
}
