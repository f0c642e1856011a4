/** The validation catalogue (web/i18n/validation.{ar,fr}.json) has a message for every code the domain produces. */
import fs from 'node:fs';
import path from 'node:path';
import type { DecisionError } from './rejectionReasons';
import { SUBMISSION_ERROR_CODES } from './submission';

const DECISION_ERRORS: DecisionError[] = ['reasonRequired', 'unknownReason', 'noteRequired', 'invalid'];

function load(lang: 'ar' | 'fr'): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'web', 'i18n', `validation.${lang}.json`), 'utf8'));
}

describe.each(['ar', 'fr'] as const)('validation.%s.json', (lang) => {
  const catalogue = load(lang);

  test.each([...SUBMISSION_ERROR_CODES, ...DECISION_ERRORS.map((e) => `decision.${e}`)])('has %s', (key) => {
    expect(typeof catalogue[key]).toBe('string');
    expect(catalogue[key].trim().length).toBeGreaterThan(0);
  });

  test('placeholders', () => {
    expect(catalogue['validation.tooLong']).toContain('{{max}}');
    expect(catalogue['validation.tooMany']).toContain('{{max}}');
    expect(catalogue['validation.hijriMismatch']).toContain('{{expected}}');
  });

  test('flat object of strings', () => {
    for (const value of Object.values(catalogue)) expect(typeof value).toBe('string');
  });
});

test('both languages have the same keys', () => {
  expect(Object.keys(load('fr')).sort()).toEqual(Object.keys(load('ar')).sort());
});

test('Arabic messages are in Arabic', () => {
  for (const [key, value] of Object.entries(load('ar'))) expect([key, /[\u0600-\u06FF]/.test(value)]).toEqual([key, true]);
});
