/**
 * One service per operation, whatever the door: a director's decision through the review page and
 * through the staff API follows the same rules (over-capacity confirmation, derogation note, who
 * may decide) and writes the same audit entry, the door only in `details.via`. School 04421A03
 * (Rabat), which no other suite changes.
 */
import { randomInt } from 'node:crypto';
import { gregorianToHijri } from '../domain/hijri';
import { PreRegistration } from '../entities';
import { translator } from '../web/i18n';
import { eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';
import { signInStaff, staffApiToken } from './support/staff';

const SCHOOL = '04421A03';
const PASSWORD = 'Tasjil-Demo-2027';
let t: TestApp;
let photo: Buffer;
let place: { schoolCode: string; zoneCode: string; communeCode: string };
let outOfZone: { schoolCode: string; zoneCode: string; communeCode: string };

beforeAll(async () => {
  t = await startTestApp();
  photo = await testPhoto();
  const conn = t.orm.em.fork().getConnection();
  const [z] = await conn.execute<Array<{ code: string; commune_code: string }>>(
    `select z.code, z.commune_code from school_zone sz join residence_zone z on z.code = sz.residence_zone_code where sz.school_code = ? order by z.code limit 1`, [SCHOOL]);
  place = { schoolCode: SCHOOL, zoneCode: z.code, communeCode: z.commune_code };
  const [o] = await conn.execute<Array<{ code: string; commune_code: string }>>(
    `select z.code, z.commune_code from residence_zone z where z.is_demo and not exists (select 1 from school_zone sz where sz.residence_zone_code = z.code and sz.school_code = ?) order by z.code limit 1`, [SCHOOL]);
  outOfZone = { schoolCode: SCHOOL, zoneCode: o.code, communeCode: o.commune_code };
});
afterAll(async () => { await t?.stop(); });

const tokens = new Map<string, string>();
/** `Bearer <token>` of an API token of the staff user `u` (made once per username). */
const bearer = async (u: string) => `Bearer ${tokens.get(u) ?? tokens.set(u, await staffApiToken(t.orm, u)).get(u)!}`;

async function submitted(where: typeof place): Promise<string> {
  const base = validSubmission(where);
  const birthDate = new Date(Date.UTC(2020, 0, 1) + randomInt(0, 480) * 86400000).toISOString().slice(0, 10);
  const body = { ...base, civilStatus: { ...base.civilStatus, birthDate, birthDateHijri: gregorianToHijri(birthDate), birthCertificateDate: birthDate, birthCertificateNumber: `${randomInt(1, 99999)}/${birthDate.slice(0, 4)}-O` } };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body, photo: { data: photo.toString('base64') } }) });
  expect(res.status).toBe(201);
  const { reference } = await res.json() as { reference: string };
  await eventually(async () => { const r = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference }); return r.status === 'underReview' && r.ageCheck; }, 45000);
  return reference;
}
async function signedIn(username: string): Promise<Browser> {
  const b = new Browser(t.baseUrl);
  const res = await signInStaff(b, username, PASSWORD);
  expect(res.status).toBe(303);
  return b;
}
const apiDecide = async (reference: string, username: string, body: Record<string, unknown>) => fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}/decision`, {
  method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: await bearer(username) }, body: JSON.stringify(body),
});
const statusOf = async (reference: string) => (await t.orm.em.fork().findOneOrFail(PreRegistration, { reference })).status;
const audits = (references: string[]) => t.orm.em.fork().getConnection().execute<Array<{ reference: string; action: string; details: Record<string, unknown> }>>(
  `select reference, action, details from audit_log where reference in (?) and action in ('decision.submitted', 'decision.refused') order by id`, [references]);

test('approval beyond capacity needs a confirmation on the page and on the API; the same audit entry, the door in via', async () => {
  const viaApi = await submitted(place);
  const viaPage = await submitted(place);
  const conn = t.orm.em.fork().getConnection();
  const [cap] = await conn.execute<Array<{ id: number; seats: number }>>(
    `select c.id, c.seats from school_capacity c where c.school_code = ? and c.school_year_code = '2027-2028' and c.level = 'primary1'`, [SCHOOL]);
  const taken = async () => Number((await conn.execute<Array<{ n: string }>>(
    `select count(*) as n from pre_registration where school_code = ? and level = 'primary1' and school_year = '2027-2028' and status in ('approved','exportFailed','registered')`, [SCHOOL]))[0].n);
  const full = await taken();
  await conn.execute('update school_capacity set seats = ? where id = ?', [full, cap.id]);
  try {
    // API: 409 with the seats, nothing decided; then confirmed.
    const asked = await apiDecide(viaApi, `director.${SCHOOL}`, { decision: 'approve' });
    expect(asked.status).toBe(409);
    const params = { seats: String(full), taken: String(full) };
    expect(await asked.json()).toEqual({
      error: 'confirmOverCapacity', seats: full, taken: full,
      message: { ar: translator('ar')('api.confirmOverCapacity', params), fr: translator('fr')('api.confirmOverCapacity', params) },
    });
    expect(await statusOf(viaApi)).toBe('underReview');
    const confirmed = await apiDecide(viaApi, `director.${SCHOOL}`, { decision: 'approve', confirmOverCapacity: true });
    expect([confirmed.status, await confirmed.json()]).toEqual([200, { reference: viaApi, status: 'approved' }]);

    // Page: the confirmation form, then confirmed.
    const director = await signedIn(`director.${SCHOOL}`);
    const review = await (await director.get(`/staff/requests/${viaPage}`)).text();
    const first = await director.postForm(`/staff/requests/${viaPage}/decision`, { _csrf: inputValue(review, '_csrf')!, decision: 'approve', note: '' });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('name="confirmOverCapacity" value="1"');
    expect(await statusOf(viaPage)).toBe('underReview');
    const second = await director.postForm(`/staff/requests/${viaPage}/decision`, { _csrf: inputValue(review, '_csrf')!, decision: 'approve', note: '', confirmOverCapacity: '1' });
    expect([second.status, second.headers.get('location')]).toEqual([303, `/staff/requests/${viaPage}?decided=1`]);
  } finally {
    await conn.execute('update school_capacity set seats = ? where id = ?', [cap.seats, cap.id]);
  }
  const rows = await audits([viaApi, viaPage]);
  const entry = { action: 'decision.submitted', details: { decision: 'approve', reasons: [], noted: false, overCapacity: true } };
  expect(rows).toEqual([
    { reference: viaApi, ...entry, details: { ...entry.details, via: 'api' } },
    { reference: viaPage, ...entry, details: { ...entry.details, via: 'page' } },
  ]);
});

test('out of zone: a derogation note is required on both doors (400, nothing sent); a supervisor may not decide on either door (403)', async () => {
  const viaApi = await submitted(outOfZone);
  const viaPage = await submitted(outOfZone);
  const noNote = await apiDecide(viaApi, `director.${SCHOOL}`, { decision: 'approve' });
  expect(noNote.status).toBe(400);
  expect(await noNote.json()).toEqual({
    error: 'validation',
    errors: [{ field: 'note', code: 'decision.refused.derogationNoteRequired', message: { ar: translator('ar')('decision.refused.derogationNoteRequired'), fr: translator('fr')('decision.refused.derogationNoteRequired') } }],
  });
  const director = await signedIn(`director.${SCHOOL}`);
  const review = await (await director.get(`/staff/requests/${viaPage}`)).text();
  const pageNoNote = await director.postForm(`/staff/requests/${viaPage}/decision`, { _csrf: inputValue(review, '_csrf')!, decision: 'approve', note: '' });
  expect(pageNoNote.status).toBe(400);
  expect(await pageNoNote.text()).toContain(translator('ar')('decision.refused.derogationNoteRequired'));
  expect([await statusOf(viaApi), await statusOf(viaPage)]).toEqual(['underReview', 'underReview']);
  expect(await audits([viaApi, viaPage])).toEqual([]);

  const supervisorApi = await apiDecide(viaApi, 'supervisor.04.421', { decision: 'reject', reasons: ['zoneMismatch'] });
  expect([supervisorApi.status, await supervisorApi.json()]).toEqual([403, { error: 'forbidden' }]);
  const supervisor = await signedIn('supervisor.04.421');
  const supervisorReview = await (await supervisor.get(`/staff/requests/${viaPage}`)).text();
  const supervisorPage = await supervisor.postForm(`/staff/requests/${viaPage}/decision`, { _csrf: inputValue(supervisorReview, '_csrf')!, decision: 'reject', reasons: 'zoneMismatch', note: '' });
  expect(supervisorPage.status).toBe(403);

  // With a note, both doors approve; the entries differ only by the door.
  expect((await apiDecide(viaApi, `director.${SCHOOL}`, { decision: 'approve', note: 'Frère scolarisé dans l\'école' })).status).toBe(200);
  const ok = await director.postForm(`/staff/requests/${viaPage}/decision`, { _csrf: inputValue(review, '_csrf')!, decision: 'approve', note: 'Frère scolarisé dans l\'école' });
  expect(ok.status).toBe(303);
  const rows = await audits([viaApi, viaPage]);
  expect(rows.map((r) => [r.reference, r.action, r.details])).toEqual([
    [viaApi, 'decision.submitted', { decision: 'approve', reasons: [], noted: true, overCapacity: false, via: 'api' }],
    [viaPage, 'decision.submitted', { decision: 'approve', reasons: [], noted: true, overCapacity: false, via: 'page' }],
  ]);
});
