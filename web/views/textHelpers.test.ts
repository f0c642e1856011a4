/**
 * Counted nouns through i18next's plural rules (Arabic zero/one/two/few/many/other, French
 * one/many/other), ages in years and months, and catalogue strings with their parameters
 * isolated left-to-right inside Arabic text.
 */
import Handlebars from 'handlebars';
import { ageHtml, countHtml, countText, translateHtml } from './textHelpers';

const N = [0, 1, 2, 3, 11, 100] as const;

test.each([
  ['ar', 'months', ['0 شهر', 'شهر واحد', 'شهران', '3 أشهر', '11 شهرا', '100 شهر']],
  ['ar', 'years', ['0 سنة', 'سنة واحدة', 'سنتان', '3 سنوات', '11 سنة', '100 سنة']],
  ['fr', 'months', ['0 mois', '1 mois', '2 mois', '3 mois', '11 mois', '100 mois']],
  ['fr', 'years', ['0 an', '1 an', '2 ans', '3 ans', '11 ans', '100 ans']],
  ['ar', 'segments', ['0 جزء', 'جزء واحد', 'جزآن', '3 أجزاء', '11 جزءا', '100 جزء']],
  ['fr', 'segments', ['0 segment', '1 segment', '2 segments', '3 segments', '11 segments', '100 segments']],
  ['ar', 'minutes', ['0 دقيقة', 'دقيقة واحدة', 'دقيقتان', '3 دقائق', '11 دقيقة', '100 دقيقة']],
] as const)('%s %s for 0, 1, 2, 3, 11, 100', (lang, unit, expected) => {
  expect(N.map((n) => countText(lang, unit, n))).toEqual(expected);
});

test('Arabic forms between the sample points: 10 is few, 99 many, 102 other', () => {
  expect(countText('ar', 'months', 10)).toBe('10 أشهر');
  expect(countText('ar', 'months', 99)).toBe('99 شهرا');
  expect(countText('ar', 'months', 102)).toBe('102 شهر');
  expect(countText('ar', 'years', 103)).toBe('103 سنوات');
});

test('ages: years and months with their own forms, numbers isolated, months 0 left out', () => {
  expect(ageHtml('ar', 6, 2)).toBe('<bdi dir="ltr">6</bdi> سنوات وشهران');
  expect(ageHtml('ar', 5, 11)).toBe('<bdi dir="ltr">5</bdi> سنوات و<bdi dir="ltr">11</bdi> شهرا');
  expect(ageHtml('ar', 2, 1)).toBe('سنتان وشهر واحد');
  expect(ageHtml('ar', 6, 0)).toBe('<bdi dir="ltr">6</bdi> سنوات');
  expect(ageHtml('fr', 6, 2)).toBe('<bdi dir="ltr">6</bdi> ans et <bdi dir="ltr">2</bdi> mois');
  expect(ageHtml('fr', 1, 1)).toBe('<bdi dir="ltr">1</bdi> an et <bdi dir="ltr">1</bdi> mois');
});

test('counted HTML isolates the number', () => {
  expect(countHtml('ar', 'segments', 3)).toBe('<bdi dir="ltr">3</bdi> أجزاء');
  expect(countHtml('ar', 'segments', 2)).toBe('جزآن');
});

test('catalogue strings: every parameter isolated left-to-right, text and values escaped, HTML parameters kept', () => {
  expect(translateHtml('ar', 'staff.review.zone.inZone', { zone: '04.421.01.05-Z01', schoolZones: '04.421.01.05-Z01, 04.421.01.05-Z02' }))
    .toBe('منطقة السكنى <bdi dir="ltr">04.421.01.05-Z01</bdi> ضمن مناطق استقطاب المؤسسة (<bdi dir="ltr">04.421.01.05-Z01, 04.421.01.05-Z02</bdi>).');
  expect(translateHtml('fr', 'check.hijriConsistency.explain', { entered: '<b>', expected: '1442-01-12' }))
    .toBe('Saisie : <bdi dir="ltr">&lt;b&gt;</bdi> ; date correspondant à la date grégorienne selon le calendrier Umm al-Qura : <bdi dir="ltr">1442-01-12</bdi> (écart de 2 jours au plus accepté).');
  expect(translateHtml('ar', 'staff.review.duplicate.possibleDuplicate', { others: new Handlebars.SafeString(countHtml('ar', 'requests', 2)) }))
    .toBe('طلبات أخرى قد تخص نفس الطفل(ة) (نفس رسم الولادة أو نفس الاسم وتاريخ الازدياد): طلبان');
  expect(translateHtml('ar', 'parent.manage.locked', { minutes: 'x' }, { minutes: 'auto' })).toContain('<bdi dir="auto">x</bdi>');
});
