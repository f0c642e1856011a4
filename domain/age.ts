/**
 * Legal-age eligibility for a school year and level. The cut-off dates are data (one `AgeRule`
 * row per school year and level); this module only applies them.
 */
import { isIsoDate } from './dates';
import type { AgeCheckResult, AgeRule, IsoDate } from './types';

/**
 * Classifies a child's Gregorian birth date against an age rule (see `AgeRule` in types.ts):
 * - `eligible`  — born on or before `eligibleBornOnOrBefore` and, when `eligibleBornOnOrAfter`
 *   is set, on or after it;
 * - `overAge`   — born before `eligibleBornOnOrAfter` (only when that bound is set);
 * - `tolerance` — born between `toleranceBornFrom` and `toleranceBornTo` inclusive (both set);
 * - `underAge`  — anything later.
 *
 * Source: arrêté 1036.00 (2003) art. 2 and the ministry's yearly notes for `primary1`;
 * framework law 51-17 art. 8 for `preschool` (see `defaultAgeRules`).
 * Example (rule 2026-2027 primary1): 2020-12-31 → eligible, 2021-03-31 → tolerance,
 * 2021-04-01 → underAge.
 * @throws RangeError when `birthDate` or a date of the rule is not a valid `YYYY-MM-DD` date.
 */
export function classifyAge(birthDate: IsoDate, rule: AgeRule): AgeCheckResult {
  assertDate(birthDate, 'birthDate');
  assertDate(rule.eligibleBornOnOrBefore, 'eligibleBornOnOrBefore');
  if (rule.eligibleBornOnOrAfter !== null) assertDate(rule.eligibleBornOnOrAfter, 'eligibleBornOnOrAfter');
  if (rule.toleranceBornFrom !== null) assertDate(rule.toleranceBornFrom, 'toleranceBornFrom');
  if (rule.toleranceBornTo !== null) assertDate(rule.toleranceBornTo, 'toleranceBornTo');

  // ISO dates compare correctly as strings.
  if (birthDate <= rule.eligibleBornOnOrBefore) {
    if (rule.eligibleBornOnOrAfter !== null && birthDate < rule.eligibleBornOnOrAfter) return 'overAge';
    return 'eligible';
  }
  if (
    rule.toleranceBornFrom !== null &&
    rule.toleranceBornTo !== null &&
    birthDate >= rule.toleranceBornFrom &&
    birthDate <= rule.toleranceBornTo
  ) {
    return 'tolerance';
  }
  return 'underAge';
}

function assertDate(value: string, name: string): void {
  if (!isIsoDate(value)) throw new RangeError(`${name} is not a calendar date (YYYY-MM-DD): ${JSON.stringify(value)}`);
}

/** Text of the `source` column of the default primary-1 rule. */
export const PRIMARY1_AGE_RULE_SOURCE =
  "Arrêté ministériel 1036.00 (2003), art. 2, and the ministry's yearly notes: the child turns 6 during the " +
  'calendar year in which the school year starts (born on or before 31 December of start year − 6); ' +
  'tolerance band for children born 1 January – 31 March of start year − 5, subject to capacity.';

/** Text of the `source` column of the default preschool rule. */
export const PRESCHOOL_AGE_RULE_SOURCE =
  'Framework law 51-17 (2019), art. 8: preschool is for children aged 4 to 6, i.e. children who turn 4 or 5 ' +
  'during the calendar year in which the school year starts (born 1 January of start year − 5 to ' +
  '31 December of start year − 4); no tolerance band.';

/**
 * The default age rules of the school year starting in September of `startYear`
 * (school year `${startYear}-${startYear + 1}`), used by the seeder to create the `age_rule` rows:
 * - `primary1`: eligible if born ≤ 31 Dec (startYear − 6), no lower bound; tolerance
 *   1 Jan – 31 Mar (startYear − 5). Source: arrêté 1036.00 art. 2 and the yearly notes.
 * - `preschool`: eligible if born 1 Jan (startYear − 5) – 31 Dec (startYear − 4); no tolerance.
 *   Source: framework law 51-17 art. 8 (ages 4 to 6).
 * Both use `${startYear}-09-01` as the reference date for the age shown to directors.
 * @returns `[primary1Rule, preschoolRule]`.
 * @throws RangeError when `startYear` is not an integer between 2000 and 2999.
 */
export function defaultAgeRules(startYear: number): AgeRule[] {
  if (!Number.isInteger(startYear) || startYear < 2000 || startYear > 2999) {
    throw new RangeError(`Start year must be an integer between 2000 and 2999: ${startYear}`);
  }
  const schoolYear = `${startYear}-${startYear + 1}`;
  const referenceDate = `${startYear}-09-01`;
  return [
    {
      schoolYear,
      level: 'primary1',
      eligibleBornOnOrBefore: `${startYear - 6}-12-31`,
      eligibleBornOnOrAfter: null,
      toleranceBornFrom: `${startYear - 5}-01-01`,
      toleranceBornTo: `${startYear - 5}-03-31`,
      referenceDate,
      source: PRIMARY1_AGE_RULE_SOURCE,
    },
    {
      schoolYear,
      level: 'preschool',
      eligibleBornOnOrBefore: `${startYear - 4}-12-31`,
      eligibleBornOnOrAfter: `${startYear - 5}-01-01`,
      toleranceBornFrom: null,
      toleranceBornTo: null,
      referenceDate,
      source: PRESCHOOL_AGE_RULE_SOURCE,
    },
  ];
}

/**
 * The year in which the rule's school year starts, e.g. 2026 for `2026-2027`
 * (taken from `schoolYear`, falling back to the reference date's year).
 */
export function ruleStartYear(rule: AgeRule): number {
  const m = /^(\d{4})-\d{4}$/.exec(rule.schoolYear);
  return m ? Number(m[1]) : Number(rule.referenceDate.slice(0, 4));
}
