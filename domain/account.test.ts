import { checkNewPassword, maskIdentifier, parseAccountIdentifier } from './account';

describe('parseAccountIdentifier', () => {
  test.each([
    [' Parent.Test@Example.MA ', { ok: true, value: { kind: 'email', value: 'parent.test@example.ma' } }],
    ['06 12 34 56 78', { ok: true, value: { kind: 'phone', value: '+212612345678' } }],
    ['+212712345678', { ok: true, value: { kind: 'phone', value: '+212712345678' } }],
    ['٠٦١٢٣٤٥٦٧٨', { ok: true, value: { kind: 'phone', value: '+212612345678' } }],
    ['0537123456', { ok: false, error: 'account.identifier.notMobile' }],
    ['parent@', { ok: false, error: 'account.identifier.invalid' }],
    ['hello', { ok: false, error: 'account.identifier.invalid' }],
    ['', { ok: false, error: 'account.identifier.invalid' }],
  ])('%s', (raw, expected) => {
    expect(parseAccountIdentifier(raw)).toEqual(expected);
  });
});

describe('checkNewPassword', () => {
  test.each([
    ['short1', 'a@b.ma', 'account.password.tooShort'],
    ['x'.repeat(129), 'a@b.ma', 'account.password.tooLong'],
    ['12345678', 'a@b.ma', 'account.password.common'],
    ['Azertyuiop', 'a@b.ma', 'account.password.common'],
    ['aaaaaaaaaa', 'a@b.ma', 'account.password.common'],
    ['parent@example.ma', 'parent@example.ma', 'account.password.common'],
    ['0612345678', '+212612345678', 'account.password.common'],
    ['0612345678', 'a@b.ma', null],
    ['+212612345678', '+212612345678', 'account.password.common'],
    ['كلمة سر طويلة', 'a@b.ma', null],
    ['Jardin-Tanger-2027', 'a@b.ma', null],
  ])('%s', (password, identifier, expected) => {
    expect(checkNewPassword(password, identifier)).toBe(expected);
  });
});

test('maskIdentifier', () => {
  expect(maskIdentifier({ kind: 'email', value: 'amina@example.ma' })).toBe('a•••@example.ma');
  expect(maskIdentifier({ kind: 'phone', value: '+212612345678' })).toBe('+2126•••••78');
});
