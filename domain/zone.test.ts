import { checkZone } from './zone';

describe('checkZone', () => {
  const schoolZones = ['01.511.01.01-Z1', '01.511.01.01-Z2'];
  test('residence among the school\'s recruitment zones', () => {
    expect(checkZone('01.511.01.01-Z2', schoolZones)).toBe('inZone');
  });
  test('residence outside', () => {
    expect(checkZone('01.511.01.09-Z1', schoolZones)).toBe('outOfZone');
  });
  test('exact comparison', () => {
    expect(checkZone('01.511.01.01-z2', schoolZones)).toBe('outOfZone');
    expect(checkZone('01.511.01.01', schoolZones)).toBe('outOfZone');
  });
  test('empty residence code or empty school map', () => {
    expect(checkZone('', ['', 'Z1'])).toBe('outOfZone');
    expect(checkZone('Z1', [])).toBe('outOfZone');
  });
});
