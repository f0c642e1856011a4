/**
 * Zone check: compulsory schooling is given in the nearest public school to the place of
 * residence (law 04-00, art. 1), and the school map assigns each school its recruitment zones.
 */
import type { ZoneCheckResult } from './types';

/**
 * `inZone` when `residenceZoneCode` is one of the chosen school's recruitment zones
 * (`schoolZoneCodes`, from the school map), else `outOfZone` — the circular's second rejection
 * reason («عدم مطابقة المؤسسة المختارة مع محل السكنى»). Codes are compared exactly; an empty
 * residence code is always `outOfZone`. Never throws.
 */
export function checkZone(residenceZoneCode: string, schoolZoneCodes: readonly string[]): ZoneCheckResult {
  if (typeof residenceZoneCode !== 'string' || residenceZoneCode === '') return 'outOfZone';
  return schoolZoneCodes.includes(residenceZoneCode) ? 'inZone' : 'outOfZone';
}
