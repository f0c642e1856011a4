import cases from '../test/acceptance/cases.json';
import {
  addDays, ageOn, compareIsoDates, daysInMonth, diffDays, formatIsoDate, isIsoDate, isLeapYear, parseIsoDate, todayInCasablanca,
} from './dates';

describe('acceptance: ageOn (shared cases.json)', () => {
  test.each(cases.ageOn.cases)('born $birthDate, on $on → $years y $months m', ({ birthDate, on, years, months }) => {
    expect(ageOn(birthDate, on)).toEqual({ years, months });
  });
});

describe('isIsoDate', () => {
  test.each([
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['2020-12-31', true],
    ['0001-01-01', true],
    ['2023-02-29', false],
    ['1900-02-29', false],
    ['2024-04-31', false],
    ['2024-13-01', false],
    ['2024-00-10', false],
    ['2024-01-00', false],
    ['2024-2-1', false],
    ['24-02-01', false],
    ['2024-02-01T00:00:00Z', false],
    [' 2024-02-01', false],
    ['0000-01-01', false],
    ['', false],
  ])('%j → %s', (s, expected) => {
    expect(isIsoDate(s)).toBe(expected);
  });

  test('non-strings are not dates', () => {
    expect(isIsoDate(20240101 as unknown as string)).toBe(false);
    expect(isIsoDate(undefined as unknown as string)).toBe(false);
  });
});

describe('leap years and month lengths', () => {
  test('Gregorian leap-year rule', () => {
    expect([1900, 2000, 2020, 2023, 2024, 2100].map(isLeapYear)).toEqual([false, true, true, false, true, false]);
  });
  test('days in month', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((m) => daysInMonth(2023, m))).toEqual([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
    expect(daysInMonth(2024, 2)).toBe(29);
  });
  test('parse and format', () => {
    expect(parseIsoDate('2026-09-01')).toEqual({ year: 2026, month: 9, day: 1 });
    expect(formatIsoDate({ year: 987, month: 3, day: 4 })).toBe('0987-03-04');
    expect(() => parseIsoDate('2023-02-29')).toThrow(RangeError);
  });
});

describe('addDays', () => {
  test.each([
    ['2024-02-28', 1, '2024-02-29'],
    ['2024-02-29', 1, '2024-03-01'],
    ['2023-02-28', 1, '2023-03-01'],
    ['2024-03-01', -1, '2024-02-29'],
    ['2023-12-31', 1, '2024-01-01'],
    ['2024-01-01', -1, '2023-12-31'],
    ['2020-09-01', 0, '2020-09-01'],
    ['2020-09-01', 40, '2020-10-11'],
    ['2020-09-01', -40, '2020-07-23'],
    ['2000-01-01', 366, '2001-01-01'],
    ['1970-01-01', -1, '1969-12-31'],
    ['1900-02-28', 1, '1900-03-01'],
    ['2026-03-29', 1, '2026-03-30'],
  ])('%s + %i → %s', (d, n, expected) => {
    expect(addDays(d, n)).toBe(expected);
  });

  test('round trip over 150 years, day by day, matches Date.UTC', () => {
    let d = '1900-01-01';
    for (let i = 0; i < 365 * 150; i += 1) {
      const next = addDays(d, 1);
      const ms = Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10))) + 86_400_000;
      expect(next).toBe(new Date(ms).toISOString().slice(0, 10));
      d = next;
    }
  });

  test('errors', () => {
    expect(() => addDays('2024-02-30', 1)).toThrow(RangeError);
    expect(() => addDays('2024-02-01', 1.5)).toThrow(RangeError);
    expect(() => addDays('0001-01-01', -1)).toThrow(RangeError);
    expect(() => addDays('9999-12-31', 1)).toThrow(RangeError);
  });
});

describe('diffDays', () => {
  test.each([
    ['2024-02-28', '2024-03-01', 2],
    ['2023-02-28', '2023-03-01', 1],
    ['2024-03-01', '2024-02-28', -2],
    ['2020-09-01', '2020-09-01', 0],
    ['2000-01-01', '2100-01-01', 36525],
    ['1969-12-31', '1970-01-01', 1],
  ])('%s → %s = %i', (a, b, expected) => {
    expect(diffDays(a, b)).toBe(expected);
  });
  test('invalid input throws', () => {
    expect(() => diffDays('2024-02-30', '2024-03-01')).toThrow(RangeError);
  });
});

test('compareIsoDates', () => {
  expect(compareIsoDates('2020-01-01', '2020-01-02')).toBe(-1);
  expect(compareIsoDates('2020-01-02', '2020-01-02')).toBe(0);
  expect(compareIsoDates('2021-01-01', '2020-12-31')).toBe(1);
});

describe('ageOn', () => {
  test.each([
    // birthday itself and the day before
    ['2020-09-07', '2026-09-06', 5, 11],
    ['2020-09-07', '2020-09-07', 0, 0],
    ['2020-09-07', '2020-10-06', 0, 0],
    ['2020-09-07', '2020-10-07', 0, 1],
    // 29 February in leap years: anniversary on 29 February itself
    ['2020-02-29', '2024-02-28', 3, 11],
    ['2020-02-29', '2024-02-29', 4, 0],
    // monthly anniversary of a 31st in a 30-day month falls on the 1st of the next month
    ['2020-01-31', '2020-04-30', 0, 2],
    ['2020-01-31', '2020-05-01', 0, 3],
    ['2020-01-31', '2020-02-29', 0, 0],
    ['2020-01-31', '2020-03-01', 0, 1],
    ['2021-01-31', '2021-02-28', 0, 0],
    ['2021-01-31', '2021-03-01', 0, 1],
    // a 31 December birthday at the school-year reference date
    ['2020-12-31', '2026-09-01', 5, 8],
    ['2021-03-31', '2026-09-01', 5, 5],
    // crossing the year end
    ['2019-12-15', '2026-01-14', 6, 0],
    ['2019-12-15', '2026-01-15', 6, 1],
  ])('born %s, on %s → %i y %i m', (birth, on, years, months) => {
    expect(ageOn(birth, on)).toEqual({ years, months });
  });

  test('errors', () => {
    expect(() => ageOn('2020-09-07', '2020-09-06')).toThrow(RangeError);
    expect(() => ageOn('2020-02-30', '2026-09-01')).toThrow(RangeError);
    expect(() => ageOn('2020-02-01', 'tomorrow')).toThrow(RangeError);
  });
});

describe('todayInCasablanca', () => {
  test('Morocco is UTC+1 outside Ramadan: 23:30 UTC is already the next day', () => {
    expect(todayInCasablanca(new Date('2026-04-30T23:30:00Z'))).toBe('2026-05-01');
    expect(todayInCasablanca(new Date('2026-04-30T22:59:59Z'))).toBe('2026-04-30');
  });
  test('year end', () => {
    expect(todayInCasablanca(new Date('2025-12-31T23:00:00Z'))).toBe('2026-01-01');
  });
  test('invalid Date throws', () => {
    expect(() => todayInCasablanca(new Date('nope'))).toThrow(RangeError);
  });
  test('answers kept by minute stay exact at midnight and at the Ramadan switch, asked in any order', () => {
    // Every second of the minutes around local midnight (23:00 UTC in summer time), twice, then backwards.
    const start = Date.parse('2026-04-30T22:58:00Z');
    const seconds = Array.from({ length: 4 * 60 }, (_, i) => start + i * 1000);
    const expected = (ms: number) => (ms < Date.parse('2026-04-30T23:00:00Z') ? '2026-04-30' : '2026-05-01');
    for (const ms of [...seconds, ...seconds, ...[...seconds].reverse()]) expect(todayInCasablanca(new Date(ms))).toBe(expected(ms));
    // Across 2026 (Ramadan's switches to UTC+0 and back included), every 36 minutes and 53 seconds,
    // forwards then backwards: the same as a formatter of its own.
    const own = new Intl.DateTimeFormat('en-CA', { timeZone: 'Africa/Casablanca', year: 'numeric', month: '2-digit', day: '2-digit' });
    const year = Array.from({ length: Math.floor((365 * 24 * 3600) / 2213) }, (_, i) => Date.parse('2026-01-01T00:00:00Z') + i * 2_213_000);
    for (const ms of [...year, ...[...year].reverse()]) expect(todayInCasablanca(new Date(ms))).toBe(own.format(new Date(ms)));
  });
});
