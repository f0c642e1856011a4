import cases from '../test/acceptance/cases.json';
import { checkHijriConsistency, formatHijri, gregorianToHijri, HIJRI_MONTH_NAMES, isHijriDate } from './hijri';

type HijriCase = { gregorian: string; computedHijri?: string; enteredHijri?: string; expected?: string };
const hijriCases = cases.hijri.cases as HijriCase[];

describe('acceptance: hijri (shared cases.json)', () => {
  test.each(hijriCases.filter((c) => c.computedHijri !== undefined))('$gregorian is $computedHijri (umm al-qura)', (c) => {
    expect(gregorianToHijri(c.gregorian)).toBe(c.computedHijri);
  });
  test.each(hijriCases.filter((c) => c.enteredHijri !== undefined))('$gregorian with entered $enteredHijri → $expected', (c) => {
    expect(checkHijriConsistency(c.gregorian, c.enteredHijri as string).result).toBe(c.expected);
  });
});

describe('gregorianToHijri', () => {
  test.each([
    ['2020-08-19', '1441-12-29'], // last day of a 29-day month
    ['2020-08-20', '1442-01-01'],
    ['2020-10-17', '1442-02-30'], // a 30-day month
    ['2020-10-18', '1442-03-01'],
    ['2023-07-19', '1445-01-01'],
    ['2024-02-29', '1445-08-19'],
    ['1937-03-14', '1356-01-01'],
  ])('%s → %s', (g, h) => {
    expect(gregorianToHijri(g)).toBe(h);
  });
  test('invalid input throws', () => {
    expect(() => gregorianToHijri('2023-02-29')).toThrow(RangeError);
  });
});

describe('isHijriDate', () => {
  test.each([
    ['1442-01-13', true],
    ['1442-02-30', true],
    ['1300-01-01', true],
    ['1600-12-30', true],
    ['1299-12-30', false],
    ['1601-01-01', false],
    ['1442-13-01', false],
    ['1442-00-01', false],
    ['1442-01-31', false],
    ['1442-01-00', false],
    ['1442-1-13', false],
    ['13/01/1442', false],
    ['', false],
  ])('%j → %s', (s, expected) => {
    expect(isHijriDate(s)).toBe(expected);
  });
});

describe('checkHijriConsistency', () => {
  test('exact date: difference 0', () => {
    expect(checkHijriConsistency('2020-09-01', '1442-01-13')).toEqual({ result: 'consistent', expectedHijri: '1442-01-13', differenceDays: 0 });
  });
  test('±1 and ±2 days are consistent, ±3 are not (moon sighting tolerance)', () => {
    expect(checkHijriConsistency('2020-09-01', '1442-01-14')).toEqual({ result: 'consistent', expectedHijri: '1442-01-13', differenceDays: 1 });
    expect(checkHijriConsistency('2020-09-01', '1442-01-11')).toEqual({ result: 'consistent', expectedHijri: '1442-01-13', differenceDays: -2 });
    expect(checkHijriConsistency('2020-09-01', '1442-01-15')).toEqual({ result: 'consistent', expectedHijri: '1442-01-13', differenceDays: 2 });
    expect(checkHijriConsistency('2020-09-01', '1442-01-16')).toEqual({ result: 'inconsistent', expectedHijri: '1442-01-13', differenceDays: 3 });
    expect(checkHijriConsistency('2020-09-01', '1442-01-10')).toEqual({ result: 'inconsistent', expectedHijri: '1442-01-13', differenceDays: -3 });
  });
  test('acceptance case 1442-01-20 is 7 days off', () => {
    expect(checkHijriConsistency('2020-09-01', '1442-01-20')).toEqual({ result: 'inconsistent', expectedHijri: '1442-01-13', differenceDays: 7 });
  });
  test('across a month boundary', () => {
    // 2020-08-20 is 1 Muharram 1442; the certificate says 29 Dhu al-Hijja 1441 (month not yet sighted)
    expect(checkHijriConsistency('2020-08-20', '1441-12-29')).toEqual({ result: 'consistent', expectedHijri: '1442-01-01', differenceDays: -1 });
    expect(checkHijriConsistency('2020-08-19', '1442-01-02')).toEqual({ result: 'consistent', expectedHijri: '1441-12-29', differenceDays: 2 });
  });
  test('day 30 of a 29-day month counts as day 29 + 1', () => {
    // Dhu al-Hijja 1441 has 29 days in umm al-qura; in Morocco it may have had 30.
    expect(checkHijriConsistency('2020-08-20', '1441-12-30')).toEqual({ result: 'consistent', expectedHijri: '1442-01-01', differenceDays: 0 });
    expect(checkHijriConsistency('2020-08-18', '1441-12-30')).toEqual({ result: 'consistent', expectedHijri: '1441-12-28', differenceDays: 2 });
    expect(checkHijriConsistency('2020-08-17', '1441-12-30')).toEqual({ result: 'inconsistent', expectedHijri: '1441-12-27', differenceDays: 3 });
    // Muharram 1442 has 29 days too
    expect(checkHijriConsistency('2020-09-17', '1442-01-30')).toEqual({ result: 'consistent', expectedHijri: '1442-01-29', differenceDays: 1 });
  });
  test('day 30 of a 30-day month is a real day', () => {
    expect(checkHijriConsistency('2020-10-17', '1442-02-30')).toEqual({ result: 'consistent', expectedHijri: '1442-02-30', differenceDays: 0 });
    expect(checkHijriConsistency('2023-07-18', '1444-12-30')).toEqual({ result: 'consistent', expectedHijri: '1444-12-30', differenceDays: 0 });
  });
  test('a year off is out of the ±40-day window: difference null', () => {
    expect(checkHijriConsistency('2020-09-01', '1441-01-13')).toEqual({ result: 'inconsistent', expectedHijri: '1442-01-13', differenceDays: null });
  });
  test('within the window but far: exact difference', () => {
    expect(checkHijriConsistency('2020-09-01', '1442-02-13')).toEqual({ result: 'inconsistent', expectedHijri: '1442-01-13', differenceDays: 29 });
  });
  test('custom tolerance', () => {
    expect(checkHijriConsistency('2020-09-01', '1442-01-14', 0).result).toBe('inconsistent');
    expect(checkHijriConsistency('2020-09-01', '1442-01-20', 7).result).toBe('consistent');
  });
  test('errors', () => {
    expect(() => checkHijriConsistency('2020-09-31', '1442-01-13')).toThrow(RangeError);
    expect(() => checkHijriConsistency('2020-09-01', '1442-01-31')).toThrow(RangeError);
    expect(() => checkHijriConsistency('2020-09-01', '1442-01-13', -1)).toThrow(RangeError);
  });
});

describe('formatHijri', () => {
  test('Arabic and French', () => {
    expect(formatHijri('1442-01-13', 'ar')).toBe('13 محرم 1442');
    expect(formatHijri('1442-01-13', 'fr')).toBe('13 Mouharram 1442');
    expect(formatHijri('1444-12-30', 'ar')).toBe('30 ذي الحجة 1444');
    expect(formatHijri('1445-09-01', 'fr')).toBe('1 Ramadan 1445');
    expect(formatHijri('1441-04-05', 'ar')).toBe('5 ربيع الآخر 1441');
  });
  test('twelve month names per language', () => {
    expect(HIJRI_MONTH_NAMES.ar).toHaveLength(12);
    expect(HIJRI_MONTH_NAMES.fr).toHaveLength(12);
  });
  test('invalid input throws', () => {
    expect(() => formatHijri('1442-13-01', 'ar')).toThrow(RangeError);
  });
});
