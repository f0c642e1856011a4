import cases from '../test/acceptance/cases.json';
import { isEmail, normalizeCin, normalizePhone } from './contact';

type PhoneCase = { input: string; e164?: string; mobile?: boolean; error?: string };
type CinCase = { input: string; normalized?: string; error?: string };

describe('acceptance: phones (shared cases.json)', () => {
  test.each(cases.phones.cases as PhoneCase[])('$input', (c) => {
    const expected = c.error !== undefined ? { ok: false, error: c.error } : { ok: true, e164: c.e164, mobile: c.mobile, fixedLine: c.mobile === false }; // the shared cases' non-mobiles are Moroccan landlines (05…)
    expect(normalizePhone(c.input)).toEqual(expected);
  });
});

describe('acceptance: cin (shared cases.json)', () => {
  test.each(cases.cin.cases as CinCase[])('$input', (c) => {
    const expected = c.error !== undefined ? { ok: false, error: c.error } : { ok: true, value: c.normalized };
    expect(normalizeCin(c.input)).toEqual(expected);
  });
});

describe('normalizePhone', () => {
  test.each([
    ['0712345678', '+212712345678', true, false],
    ['+212612345678', '+212612345678', true],
    ['+212 6 12 34 56 78', '+212612345678', true],
    ['06-12-34-56-78', '+212612345678', true],
    ['06.12.34.56.78', '+212612345678', true],
    ['(0)6 12 34 56 78', '+212612345678', true],
    ['٠٦١٢٣٤٥٦٧٨', '+212612345678', true], // Arabic-Indic digits
    ['0537123456', '+212537123456', false, true], // Rabat fixed line
    ['+33612345678', '+33612345678', true], // French mobile (parents abroad)
    ['0033612345678', '+33612345678', true],
    ['+33142685300', '+33142685300', false, true], // Paris fixed line
    ['+12025550123', '+12025550123', true], // US: fixed line or mobile, cannot tell
    ['0801234567', '+212801234567', false, false], // Moroccan VoIP range: neither mobile nor a landline
  ])('%j → %s (mobile %s, fixed line %s)', (input, e164, mobile, fixedLine = false) => {
    expect(normalizePhone(input)).toEqual({ ok: true, e164, mobile, fixedLine });
  });

  test.each([
    ['12345'],
    [''],
    ['   '],
    ['06123456789'], // 11 digits
    ['061234567'], // 9 digits
    ['0812345678'], // unallocated range
    ['0612345678 ext 12'],
    ['0612345678x12'],
    ['tel: 0612345678'],
    ['+212 6 12 34 56 78 90 12 34 56 78 90 12 34'], // too long
  ])('%j is invalid', (input) => {
    expect(normalizePhone(input)).toEqual({ ok: false, error: 'invalid' });
  });

  test('non-strings are invalid', () => {
    expect(normalizePhone(612345678 as unknown as string)).toEqual({ ok: false, error: 'invalid' });
  });
});

describe('normalizeCin', () => {
  test.each([
    ['  bk 123 456 ', 'BK123456'],
    ['A1', 'A1'],
    ['AB-123456', 'AB123456'],
    ['x123456', 'X123456'],
  ])('%j → %s', (input, value) => {
    expect(normalizeCin(input)).toEqual({ ok: true, value });
  });
  test.each([[''], ['AB'], ['AB1234567'], ['A1B2'], ['ÉA123'], ['AB 12.345'], ['١٢٣٤٥٦AB']])('%j is invalid', (input) => {
    expect(normalizeCin(input)).toEqual({ ok: false, error: 'invalid' });
  });
});

describe('isEmail', () => {
  test.each([
    ['parent@example.ma', true],
    ['prenom.nom+tasjil@men.gov.ma', true],
    ['a@b', false],
    ['parent@', false],
    ['parent example.ma', false],
    ['', false],
    [`${'a'.repeat(250)}@x.ma`, false], // longer than 254
  ])('%j → %s', (s, expected) => {
    expect(isEmail(s)).toBe(expected);
  });
});
