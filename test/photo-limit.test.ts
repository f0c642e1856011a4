/**
 * A photo over the limit loses nothing typed: the multipart body has the photo first and every
 * field after it; the parser discards the photo, keeps every field, and the form comes back (400)
 * with each value in place and the message at the photo field — on the one-page form, the
 * parents' space photo step and the correction form.
 */
import { randomUUID } from 'node:crypto';
import { requestCorrection } from '../web/services/preRegistrations';
import { MAX_PHOTO_BYTES } from '../web/services/photos';
import { translator } from '../web/i18n';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue, toFormFields } from './support/http';
import { spaceHelpers } from './support/space';

let t: TestApp;
let school: Awaited<ReturnType<typeof demoSchool>>;
let chain: { academy: string; directorate: string };

beforeAll(async () => {
  t = await startTestApp();
  school = await demoSchool(t);
  const [row] = await t.orm.em.fork().getConnection().execute<{ academy_code: string }[]>('select academy_code from provincial_directorate where code = ?', [school.directorateCode]);
  chain = { academy: row.academy_code, directorate: school.directorateCode };
});
afterAll(async () => { await t?.stop(); });

/** 11 MB: over the 10 MB limit. */
const bigPhoto = () => new Blob([new Uint8Array(MAX_PHOTO_BYTES + 1024 * 1024).fill(0xff)], { type: 'image/jpeg' });
/** The photo's message at its field, in the page's language. */
const photoMessage = (html: string) => {
  const lang = /<html lang="(ar|fr)"/.exec(html)?.[1] as 'ar' | 'fr';
  return `<span class="error-message" id="photo-error">${translator(lang)('validation.photo.tooLarge').replace(/'/g, '&#x27;')}</span>`;
};

/** The photo first, then every field in order. */
function photoFirst(fields: Array<[string, string]>): FormData {
  const fd = new FormData();
  fd.append('photo', bigPhoto(), 'IMG_2024.jpg');
  for (const [k, v] of fields) fd.append(k, v);
  return fd;
}

/** The submission's text fields, as the form names them. */
function typedFields(certificate: string): Array<[string, string]> {
  const s = validSubmission(school);
  return toFormFields({
    level: s.level, child: s.child, civilStatus: { ...s.civilStatus, birthCertificateNumber: certificate },
    guardianRole: 'father', father: s.father, mother: { ...s.mother, firstNameAr: 'فاطمة', profession: 'طبيبة' },
    siblings: [{ firstNameAr: 'سلمى', lastNameAr: 'العلوي', firstNameLatin: 'Salma', lastNameLatin: 'El Alaoui', birthDate: '2016-03-02' }],
    residence: s.residence, schoolCode: s.schoolCode,
  });
}

function expectAllKept(html: string, fields: Array<[string, string]>): void {
  const radios = new Set(['guardianRole', 'level', 'schoolCode']);
  const missing = fields.filter(([k, v]) => v !== '' && !radios.has(k) && !k.startsWith('residence') && inputValue(html, k) !== v);
  expect(missing).toEqual([]);
  expect(html).toMatch(/<input[^>]*name="guardianRole"[^>]*value="father"[^>]*checked/);
}

test('one-page form: an 11 MB photo placed first keeps every field typed after it, with the message at the photo', async () => {
  const b = new Browser(t.baseUrl);
  const page = await (await b.get(`/pre-registration/new?level=primary1&academy=${chain.academy}&directorate=${chain.directorate}&commune=${school.communeCode}&zone=${school.zoneCode}`)).text();
  const certificate = `BIG-${Date.now()}`;
  const fields: Array<[string, string]> = [
    ...typedFields(certificate),
    ['schoolYear', inputValue(page, 'schoolYear') ?? ''], ['submissionToken', inputValue(page, 'submissionToken')!], ['_csrf', inputValue(page, '_csrf')!],
  ];
  const res = await b.postMultipart('/pre-registration', photoFirst(fields));
  expect(res.status).toBe(400);
  const html = await res.text();
  expect(html).toContain(photoMessage(html));
  expectAllKept(html, typedFields(certificate));
  expect(inputValue(html, 'siblings[0][firstNameLatin]')).toBe('Salma');
});

test("parents' space photo step: an 11 MB photo placed first is refused with the message, the step's fields are kept", async () => {
  const H = spaceHelpers(t, school, chain);
  const { b } = await H.newParent();
  const draftId = await H.newDraftId(b);
  const { token } = await H.csrfOf(b, `/space/drafts/${draftId}/photo`);
  const res = await b.postMultipart(`/space/drafts/${draftId}/photo`, photoFirst([['_csrf', token], ['action', 'next']]));
  expect(res.status).toBe(400);
  const html = await res.text();
  expect(html).toContain(photoMessage(html));
  // Then a photo within the limit goes through on the same step.
  const fd = new FormData();
  fd.append('photo', new Blob([new Uint8Array(await testPhoto())], { type: 'image/jpeg' }), 'ok.jpg');
  fd.append('_csrf', inputValue(html, '_csrf')!);
  fd.append('action', 'next');
  const ok = await b.postMultipart(`/space/drafts/${draftId}/photo`, fd);
  expect(ok.status).toBe(303);
});

test('correction form: an 11 MB photo placed first keeps every corrected field', async () => {
  const certificate = `BIGC-${Date.now()}`;
  const base = validSubmission(school);
  const body = { ...base, civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate }, photo: { data: (await testPhoto()).toString('base64') } };
  const sub = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }, body: JSON.stringify(body) });
  expect(sub.status).toBe(201);
  const { reference } = await sub.json() as { reference: string };
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
  await requestCorrection({ em: t.orm.em.fork(), temporal: t.temporal }, reference, 'Merci de corriger la photo.', 'director-test');
  await eventually(async () => (await t.temporal.status(reference)).status === 'correctionRequested');

  const b = new Browser(t.baseUrl);
  const status = await (await b.get(`/pre-registrations/${reference}`)).text();
  const unlocked = await b.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: inputValue(status, '_csrf')!, birthCertificateNumber: certificate });
  expect(unlocked.headers.get('location')).toBe(`/pre-registrations/${reference}#manage`);
  const form = await (await b.get(`/pre-registrations/${reference}/correct`)).text();
  const fields: Array<[string, string]> = [...typedFields(certificate).map(([k, v]): [string, string] => [k, k === 'child[firstNameLatin]' ? 'Yacine' : v]), ['_csrf', inputValue(form, '_csrf')!]];
  const res = await b.postMultipart(`/pre-registrations/${reference}/correct`, photoFirst(fields));
  expect(res.status).toBe(400);
  const html = await res.text();
  expect(html).toContain(photoMessage(html));
  expect(inputValue(html, 'child[firstNameLatin]')).toBe('Yacine');
  expectAllKept(html, fields.filter(([k]) => k !== '_csrf' && k !== 'level'));
});
