/**
 * The campaign window of each school year and level (table `campaign_window`, from
 * migrations/data/school-years.json): submissions and parent edits outside it are refused on both
 * doors with the dates in the message (Arabic and French); a day ends at 23:59:59 Casablanca time.
 * The app's clock is set by the test (`startTestApp({ clock })`), the data stays as shipped:
 * 2027-2028 opens on 2026-11-01 and closes on 2027-06-30; 2026-2027 closed on 2026-04-30.
 */
import { randomUUID } from 'node:crypto';
import { translator } from '../web/i18n';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue, toFormFields } from './support/http';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;
let now = new Date();

beforeAll(async () => {
  t = await startTestApp({ clock: () => now });
  photo = await testPhoto();
  school = await demoSchool(t);
});
afterAll(async () => { await t?.stop(); });

const tAr = translator('ar');
const tFr = translator('fr');

function body(overrides: Record<string, unknown> = {}) {
  const base = validSubmission(school);
  return { ...base, civilStatus: { ...base.civilStatus, birthCertificateNumber: `WIN-${randomUUID().slice(0, 12)}` }, ...overrides };
}
const api = (b: Record<string, unknown>) => fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...b, photo: { data: photo.toString('base64') } }),
});

/** The one-page form, as a browser without JavaScript posts it. */
async function page(b: Record<string, unknown>): Promise<Response> {
  const browser = new Browser(t.baseUrl);
  const chain = await t.orm.em.fork().getConnection().execute<Array<{ academy_code: string }>>('select academy_code from provincial_directorate where code = ?', [school.directorateCode]);
  const html = await (await browser.get(`/pre-registration/new?level=primary1&academy=${chain[0].academy_code}&directorate=${school.directorateCode}&commune=${school.communeCode}&zone=${encodeURIComponent(school.zoneCode)}`)).text();
  const fd = new FormData();
  fd.append('_csrf', inputValue(html, '_csrf')!);
  fd.append('submissionToken', inputValue(html, 'submissionToken')!);
  for (const [k, v] of toFormFields({ schoolYear: inputValue(html, 'schoolYear')!, ...b })) if (k !== 'language') fd.append(k, v);
  fd.append('photo', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
  return browser.postMultipart('/pre-registration', fd);
}

const closedParams = { schoolYear: '2027-2028', opensOn: '01/11/2026', closesOn: '30/06/2027' };

test('the deadline day: 23:59 Casablanca is accepted on both doors, 00:00 the next day refused on both with the dates', async () => {
  now = new Date('2027-06-30T22:59:00Z'); // 23:59 in Casablanca (UTC+1)
  expect((await api(body())).status).toBe(201);
  const lastMinute = await page(body());
  expect([lastMinute.status, lastMinute.headers.get('location')]).toEqual([303, expect.stringMatching(/^\/pre-registrations\/P27-[0-9A-Z]{5}-[0-9A-Z]{5}\?submitted=1$/)]);

  now = new Date('2027-06-30T23:00:00Z'); // 00:00 on 1 July in Casablanca
  const late = await api(body());
  expect(late.status).toBe(422);
  const lateBody = await late.json() as Record<string, unknown>;
  expect(lateBody).toEqual({
    error: 'campaignClosed',
    message: { ar: tAr('validation.campaignClosed', closedParams), fr: tFr('validation.campaignClosed', closedParams) },
    errors: [{ field: 'schoolYear', code: 'validation.campaignClosed', message: { ar: tAr('validation.campaignClosed', closedParams), fr: tFr('validation.campaignClosed', closedParams) } }],
  });
  expect((lateBody.message as { fr: string }).fr).toBe("La pré-inscription pour l'année scolaire 2027-2028 est close\u00a0: elle était ouverte du 01/11/2026 au 30/06/2027 (jusqu'à 23 h 59, heure de Casablanca).");
  const latePage = await page(body());
  expect(latePage.status).toBe(400);
  const html = await latePage.text();
  expect(html).toContain(tAr('validation.campaignClosed', closedParams));
  expect(html).toContain('href="#schoolYear"');
  expect(inputValue(html, 'child[firstNameAr]')).toBe('ياسين'); // nothing typed is lost
});

test('the opening day: 23:59 the day before is refused (not open yet), 00:00 Casablanca accepted', async () => {
  now = new Date('2026-10-31T22:59:00Z'); // 23:59 on 31 October in Casablanca (UTC+1)
  const early = await api(body());
  expect(early.status).toBe(422);
  expect(await early.json()).toMatchObject({ error: 'campaignClosed', message: { fr: tFr('validation.campaignNotOpen', closedParams) } });
  expect(tFr('validation.campaignNotOpen', closedParams)).toContain('du 01/11/2026 au 30/06/2027');
  expect((await page(body())).status).toBe(400);
  now = new Date('2026-10-31T23:00:00Z');
  expect((await api(body())).status).toBe(201);
});

test('a closed school year is refused whatever the day, with its own dates', async () => {
  now = new Date('2026-12-01T10:00:00Z');
  const res = await api(body({ schoolYear: '2026-2027' }));
  expect(res.status).toBe(422);
  const params = { schoolYear: '2026-2027', opensOn: '01/04/2026', closesOn: '30/04/2026' };
  expect(await res.json()).toMatchObject({ error: 'campaignClosed', message: { ar: tAr('validation.campaignClosed', params), fr: tFr('validation.campaignClosed', params) } });
});

test('dates per level: a preschool window closing earlier refuses preschool while the first year is still open', async () => {
  const conn = t.orm.em.fork().getConnection();
  await conn.execute(`update campaign_window set closes_on = '2027-05-31' where school_year_code = '2027-2028' and level = 'preschool'`);
  try {
    now = new Date('2027-06-15T10:00:00Z');
    const preschool = await api(body({ level: 'preschool', civilStatus: { ...body().civilStatus, birthDate: '2022-05-10', birthDateHijri: (await import('../domain/hijri')).gregorianToHijri('2022-05-10'), birthCertificateDate: '2022-05-20' } }));
    expect(preschool.status).toBe(422);
    const params = { schoolYear: '2027-2028', opensOn: '01/11/2026', closesOn: '31/05/2027' };
    expect(await preschool.json()).toMatchObject({ error: 'campaignClosed', message: { fr: tFr('validation.campaignClosed', params) } });
    expect((await api(body())).status).toBe(201);
  } finally {
    await conn.execute(`update campaign_window set closes_on = '2027-06-30' where school_year_code = '2027-2028' and level = 'preschool'`);
  }
});

test('a parent edit follows the window (refused from 00:00 after the deadline); a correction the school asked for does not', async () => {
  now = new Date('2027-06-30T12:00:00Z');
  const b = body();
  const created = await api(b);
  expect(created.status).toBe(201);
  const { reference } = await created.json() as { reference: string };
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
  const put = (payload: unknown) => fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`, {
    method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Birth-Certificate-Number': b.civilStatus.birthCertificateNumber }, body: JSON.stringify(payload),
  });
  now = new Date('2027-06-30T22:59:59Z');
  const edited = await put({ ...b, child: { ...b.child, firstNameLatin: 'Yacine' } });
  expect([edited.status, await edited.json()]).toEqual([200, { reference, status: 'underReview' }]);
  now = new Date('2027-06-30T23:00:00Z');
  const late = await put({ ...b, child: { ...b.child, firstNameLatin: 'Yassin' } });
  expect(late.status).toBe(422);
  expect(await late.json()).toMatchObject({ error: 'campaignClosed', message: { ar: tAr('validation.campaignClosed', closedParams) } });
  const row = await t.orm.em.fork().getConnection().execute<Array<{ child_first_name_latin: string }>>('select child_first_name_latin from pre_registration where reference = ?', [reference]);
  expect(row[0].child_first_name_latin).toBe('Yacine');

  const { requestCorrection } = await import('../web/services/preRegistrations');
  await requestCorrection({ em: t.orm.em.fork(), temporal: t.temporal }, reference, 'Merci de corriger le prénom.', 'director-test');
  await eventually(async () => (await t.temporal.status(reference)).status === 'correctionRequested');
  const corrected = await put({ ...b, child: { ...b.child, firstNameLatin: 'Yassin' } });
  expect([corrected.status, await corrected.json()]).toEqual([200, { reference, status: 'underReview' }]);
});
