import { needsDerogation } from './derogation';

const ok = { age: 'eligible', zone: 'inZone', duplicate: 'none', hijriConsistency: 'consistent' } as const;

test('no derogation for an eligible child in the zone, whatever the other checks say', () => {
  expect(needsDerogation(ok)).toBe(false);
  expect(needsDerogation({ ...ok, duplicate: 'possibleDuplicate', hijriConsistency: 'inconsistent' })).toBe(false);
  expect(needsDerogation(null)).toBe(false);
});

test('a derogation for out of zone, tolerance band, under age and over age', () => {
  expect(needsDerogation({ ...ok, zone: 'outOfZone' })).toBe(true);
  expect(needsDerogation({ ...ok, age: 'tolerance' })).toBe(true);
  expect(needsDerogation({ ...ok, age: 'underAge' })).toBe(true);
  expect(needsDerogation({ ...ok, age: 'overAge' })).toBe(true);
});
