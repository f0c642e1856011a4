import cases from '../test/acceptance/cases.json';
import { classifyAge, defaultAgeRules, ruleStartYear, PRESCHOOL_AGE_RULE_SOURCE, PRIMARY1_AGE_RULE_SOURCE } from './age';
import type { AgeRule } from './types';

/** cases.json gives the rule's dates; the fields it leaves out are those of `defaultAgeRules(2026)`. */
const acceptanceRule: AgeRule = {
  ...cases.ageRule.rule,
  level: 'primary1',
  eligibleBornOnOrAfter: null,
  referenceDate: '2026-09-01',
};

describe('acceptance: ageRule (shared cases.json)', () => {
  test.each(cases.ageRule.cases)('born $birthDate → $expected', ({ birthDate, expected }) => {
    expect(classifyAge(birthDate, acceptanceRule)).toBe(expected);
  });

  test('defaultAgeRules(2026) gives the acceptance rule for primary1', () => {
    const [primary1] = defaultAgeRules(2026);
    expect(primary1).toEqual({ ...acceptanceRule, source: PRIMARY1_AGE_RULE_SOURCE });
    for (const { birthDate, expected } of cases.ageRule.cases) expect(classifyAge(birthDate, primary1)).toBe(expected);
  });
});

describe('defaultAgeRules', () => {
  test('2026: primary1 and preschool rows', () => {
    expect(defaultAgeRules(2026)).toEqual([
      {
        schoolYear: '2026-2027',
        level: 'primary1',
        eligibleBornOnOrBefore: '2020-12-31',
        eligibleBornOnOrAfter: null,
        toleranceBornFrom: '2021-01-01',
        toleranceBornTo: '2021-03-31',
        referenceDate: '2026-09-01',
        source: PRIMARY1_AGE_RULE_SOURCE,
      },
      {
        schoolYear: '2026-2027',
        level: 'preschool',
        eligibleBornOnOrBefore: '2022-12-31',
        eligibleBornOnOrAfter: '2021-01-01',
        toleranceBornFrom: null,
        toleranceBornTo: null,
        referenceDate: '2026-09-01',
        source: PRESCHOOL_AGE_RULE_SOURCE,
      },
    ]);
  });

  test('sources cite the texts', () => {
    expect(PRIMARY1_AGE_RULE_SOURCE).toContain('1036.00');
    expect(PRIMARY1_AGE_RULE_SOURCE).toContain('art. 2');
    expect(PRESCHOOL_AGE_RULE_SOURCE).toContain('51-17');
    expect(PRESCHOOL_AGE_RULE_SOURCE).toContain('art. 8');
  });

  test('invalid start years throw', () => {
    expect(() => defaultAgeRules(26)).toThrow(RangeError);
    expect(() => defaultAgeRules(2026.5)).toThrow(RangeError);
  });
});

describe('classifyAge: preschool (law 51-17 art. 8, 4 or 5 during the start year)', () => {
  const preschool = defaultAgeRules(2026)[1];
  test.each([
    ['2022-12-31', 'eligible'], // turns 4 on 31 Dec 2026
    ['2021-01-01', 'eligible'], // turns 5 on 1 Jan 2026
    ['2022-02-28', 'eligible'],
    ['2020-12-31', 'overAge'], // 6 during 2026: first year of primary
    ['2023-01-01', 'underAge'],
    ['2024-02-29', 'underAge'],
  ])('born %s → %s', (birthDate, expected) => {
    expect(classifyAge(birthDate, preschool)).toBe(expected);
  });
});

describe('classifyAge: primary1 boundaries', () => {
  const primary1 = defaultAgeRules(2027)[0];
  test.each([
    ['2021-12-31', 'eligible'],
    ['2012-06-15', 'eligible'], // no upper bound on age in the rule itself
    ['2020-02-29', 'eligible'],
    ['2022-01-01', 'tolerance'],
    ['2022-03-31', 'tolerance'],
    ['2022-04-01', 'underAge'],
    ['2023-01-01', 'underAge'],
  ])('born %s → %s', (birthDate, expected) => {
    expect(classifyAge(birthDate, primary1)).toBe(expected);
  });

  test('a rule without tolerance band', () => {
    const strict: AgeRule = { ...primary1, toleranceBornFrom: null, toleranceBornTo: null };
    expect(classifyAge('2022-01-01', strict)).toBe('underAge');
  });

  test('invalid dates throw', () => {
    expect(() => classifyAge('2021-02-29', primary1)).toThrow(RangeError);
    expect(() => classifyAge('2021-01-01', { ...primary1, eligibleBornOnOrBefore: '31/12/2021' })).toThrow(RangeError);
  });
});

test('ruleStartYear', () => {
  expect(ruleStartYear(defaultAgeRules(2026)[0])).toBe(2026);
  expect(ruleStartYear({ ...defaultAgeRules(2026)[0], schoolYear: 'odd' })).toBe(2026);
});
