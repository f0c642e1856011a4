import { DEFAULT_REJECTION_REASONS, isRejectionReasonCode, validateDecision } from './rejectionReasons';
import { REJECTION_REASON_CODES } from './types';

describe('DEFAULT_REJECTION_REASONS', () => {
  test('one row per code, the circular\'s two reasons first, in its words', () => {
    expect(DEFAULT_REJECTION_REASONS.map((r) => r.code)).toEqual([...REJECTION_REASON_CODES]);
    expect(DEFAULT_REJECTION_REASONS[0]).toEqual({
      code: 'underAge',
      textAr: 'عدم استيفاء السن القانوني',
      textFr: "L'enfant n'a pas atteint l'âge légal",
      sortOrder: 10,
    });
    expect(DEFAULT_REJECTION_REASONS[1].textAr).toBe('عدم مطابقة المؤسسة المختارة مع محل السكنى');
    const orders = DEFAULT_REJECTION_REASONS.map((r) => r.sortOrder);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
    for (const r of DEFAULT_REJECTION_REASONS) {
      expect(r.textAr.length).toBeGreaterThan(0);
      expect(r.textFr.length).toBeGreaterThan(0);
    }
  });
});

test('isRejectionReasonCode', () => {
  expect(isRejectionReasonCode('zoneMismatch')).toBe(true);
  expect(isRejectionReasonCode('ZoneMismatch')).toBe(false);
  expect(isRejectionReasonCode('')).toBe(false);
});

describe('validateDecision', () => {
  const by = '6f1c2f4e-0d5c-4a53-9a3e-1f4c8f0a2b11';

  test('approve', () => {
    expect(validateDecision({ decision: 'approve', decidedBy: by })).toEqual({ ok: true, value: { decision: 'approve', decidedBy: by } });
  });
  test('approve drops reasons and a blank note, keeps a trimmed note', () => {
    expect(validateDecision({ decision: 'approve', decidedBy: by, reasons: ['underAge'], note: '   ' })).toEqual({
      ok: true,
      value: { decision: 'approve', decidedBy: by },
    });
    expect(validateDecision({ decision: 'approve', decidedBy: by, note: ' ملف كامل ' })).toEqual({
      ok: true,
      value: { decision: 'approve', decidedBy: by, note: 'ملف كامل' },
    });
  });
  test('reject with the circular\'s two reasons', () => {
    expect(validateDecision({ decision: 'reject', decidedBy: by, reasons: ['underAge', 'zoneMismatch'] })).toEqual({
      ok: true,
      value: { decision: 'reject', reasons: ['underAge', 'zoneMismatch'], decidedBy: by },
    });
  });
  test('reject with one reason posted as a string (one checked box), duplicates removed', () => {
    expect(validateDecision({ decision: 'reject', decidedBy: by, reasons: 'duplicate' })).toEqual({
      ok: true,
      value: { decision: 'reject', reasons: ['duplicate'], decidedBy: by },
    });
    expect(validateDecision({ decision: 'reject', decidedBy: by, reasons: ['duplicate', 'duplicate'] })).toEqual({
      ok: true,
      value: { decision: 'reject', reasons: ['duplicate'], decidedBy: by },
    });
  });
  test('reject with other and a note', () => {
    expect(validateDecision({ decision: 'reject', decidedBy: by, reasons: ['other'], note: ' الطفل مسجل بمؤسسة خاصة ' })).toEqual({
      ok: true,
      value: { decision: 'reject', reasons: ['other'], decidedBy: by, note: 'الطفل مسجل بمؤسسة خاصة' },
    });
  });
  test('a null note or null reasons are absent', () => {
    expect(validateDecision({ decision: 'approve', decidedBy: ` ${by} `, note: null })).toEqual({ ok: true, value: { decision: 'approve', decidedBy: by } });
    expect(validateDecision({ decision: 'reject', decidedBy: by, reasons: null })).toEqual({ ok: false, error: 'reasonRequired' });
  });
  test('a note of exactly 1000 characters is accepted', () => {
    const note = 'x'.repeat(1000);
    expect(validateDecision({ decision: 'approve', decidedBy: by, note })).toEqual({ ok: true, value: { decision: 'approve', decidedBy: by, note } });
  });
  test('reasonRequired', () => {
    expect(validateDecision({ decision: 'reject', decidedBy: by })).toEqual({ ok: false, error: 'reasonRequired' });
    expect(validateDecision({ decision: 'reject', decidedBy: by, reasons: [] })).toEqual({ ok: false, error: 'reasonRequired' });
    expect(validateDecision({ decision: 'reject', decidedBy: by, reasons: [' '] })).toEqual({ ok: false, error: 'reasonRequired' });
  });
  test('unknownReason', () => {
    expect(validateDecision({ decision: 'reject', decidedBy: by, reasons: ['underAge', 'tooNoisy'] })).toEqual({ ok: false, error: 'unknownReason' });
  });
  test('noteRequired', () => {
    expect(validateDecision({ decision: 'reject', decidedBy: by, reasons: ['zoneMismatch', 'other'] })).toEqual({ ok: false, error: 'noteRequired' });
    expect(validateDecision({ decision: 'reject', decidedBy: by, reasons: ['other'], note: '  ' })).toEqual({ ok: false, error: 'noteRequired' });
  });
  test.each([
    [null],
    ['approve'],
    [{}],
    [{ decision: 'approve' }],
    [{ decision: 'approve', decidedBy: '  ' }],
    [{ decision: 'approve', decidedBy: 'x'.repeat(65) }],
    [{ decision: 'maybe', decidedBy: by }],
    [{ decision: 'reject', decidedBy: by, reasons: [1] }],
    [{ decision: 'reject', decidedBy: by, reasons: ['underAge'], note: 'x'.repeat(1001) }],
    [{ decision: 'reject', decidedBy: by, reasons: { 0: 'underAge' } }],
    [{ decision: 'approve', decidedBy: by, note: 42 }],
    [{ decision: 'approve', decidedBy: 7 }],
    [['approve']],
  ])('invalid: %j', (d) => {
    expect(validateDecision(d)).toEqual({ ok: false, error: 'invalid' });
  });
});
