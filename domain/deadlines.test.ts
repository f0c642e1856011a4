import { decisionDueOn } from './deadlines';

describe('decisionDueOn', () => {
  test.each([
    ['2026-12-01T09:00:00Z', 14, '2026-12-15'],
    // 23:30 UTC on 31 Dec is already 1 January in Casablanca (UTC+1).
    ['2026-12-31T23:30:00Z', 14, '2027-01-15'],
    ['2027-02-20T10:00:00Z', 14, '2027-03-06'],
    ['2026-12-01T09:00:00Z', 0, '2026-12-01'],
  ])('submitted %s + %i days → %s', (at, days, due) => {
    expect(decisionDueOn(new Date(at), days)).toBe(due);
  });
  test('refuses a negative or fractional number of days', () => {
    expect(() => decisionDueOn(new Date(), -1)).toThrow(RangeError);
    expect(() => decisionDueOn(new Date(), 1.5)).toThrow(RangeError);
  });
});
