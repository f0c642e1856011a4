import { randomBytes } from 'node:crypto';
import { CROCKFORD_ALPHABET, generateReference, isReference, normalizeReference, workflowIdFor } from './reference';

const fixed = (bytes: number[]) => (n: number) => Uint8Array.from(bytes.slice(0, n));

describe('generateReference', () => {
  test('all-zero and all-one bits', () => {
    expect(generateReference(2026, fixed([0, 0, 0, 0, 0, 0, 0]))).toBe('P26-00000-00000');
    expect(generateReference(2026, fixed([255, 255, 255, 255, 255, 255, 255]))).toBe('P26-ZZZZZ-ZZZZZ');
  });
  test('uses the 50 most significant bits of 7 bytes', () => {
    // 0x0842 1084 2108 40 = 00001 00001 00001 … (each 5-bit group is 1), then 6 unused bits
    expect(generateReference(2026, fixed([0x08, 0x42, 0x10, 0x84, 0x21, 0x08, 0x42]))).toBe('P26-11111-11111');
    // the last 6 bits are ignored
    expect(generateReference(2026, fixed([0, 0, 0, 0, 0, 0, 0x3f]))).toBe('P26-00000-00000');
    expect(generateReference(2026, fixed([0, 0, 0, 0, 0, 0, 0x40]))).toBe('P26-00000-00001');
  });
  test('asks for 7 bytes', () => {
    const asked: number[] = [];
    generateReference(2027, (n) => {
      asked.push(n);
      return new Uint8Array(n);
    });
    expect(asked).toEqual([7]);
  });
  test('year prefix', () => {
    expect(generateReference(2027, fixed([0, 0, 0, 0, 0, 0, 0]))).toMatch(/^P27-/);
    expect(generateReference(2100, fixed([0, 0, 0, 0, 0, 0, 0]))).toMatch(/^P00-/);
    expect(generateReference(2105, fixed([0, 0, 0, 0, 0, 0, 0]))).toMatch(/^P05-/);
  });
  test('random references are well-formed, use no I, L, O, U and do not repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i += 1) {
      const r = generateReference(2026, (n) => randomBytes(n));
      expect(isReference(r)).toBe(true);
      expect(r.slice(4)).not.toMatch(/[ILOU]/);
      seen.add(r);
    }
    expect(seen.size).toBe(2000);
  });
  test('errors', () => {
    expect(() => generateReference(26, fixed([0, 0, 0, 0, 0, 0, 0]))).toThrow(RangeError);
    expect(() => generateReference(2026, fixed([0, 0, 0]))).toThrow(RangeError);
  });
  test('Crockford alphabet', () => {
    expect(CROCKFORD_ALPHABET).toHaveLength(32);
    expect(CROCKFORD_ALPHABET).not.toMatch(/[ILOU]/);
  });
});

describe('isReference', () => {
  test.each([
    ['P26-7K3QD-M2X9A', true],
    ['P26-00000-00000', true],
    ['p26-7k3qd-m2x9a', false],
    ['P26-7K3QD-M2X9I', false],
    ['P26-7K3QD-M2X9L', false],
    ['P26-7K3QO-M2X9A', false],
    ['P26-7K3QU-M2X9A', false],
    ['P26-7K3QDM2X9A', false],
    ['P2026-7K3QD-M2X9A', false],
    [' P26-7K3QD-M2X9A', false],
    ['', false],
  ])('%j → %s', (s, expected) => {
    expect(isReference(s)).toBe(expected);
  });
});

test('workflowIdFor', () => {
  expect(workflowIdFor('P26-7K3QD-M2X9A')).toBe('preRegistration-P26-7K3QD-M2X9A');
});

test('normalizeReference', () => {
  expect(normalizeReference('  p26-7k3qd-m2x9a ')).toBe('P26-7K3QD-M2X9A');
  expect(isReference(normalizeReference('p26-7k3qd-m2x9a'))).toBe(true);
  expect(normalizeReference(undefined as unknown as string)).toBe('');
});
