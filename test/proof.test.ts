/**
 * Proof before personal data: with the reference alone, the status page, the receipt and
 * `GET /api/v1/pre-registrations/{reference}` show the status and dates only; the child's first
 * name, the school, the Massar code, the rejection reasons and note and the correction message
 * come after proof — the birth certificate number (throttled unlock), the signed-in parent who
 * owns the request, or staff in scope. Exact fields asserted for each case on each door.
 */
import { randomUUID } from 'node:crypto';
import { PreRegistration } from '../entities';
import { requestCorrection, sendDecision } from '../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';
import { spaceHelpers } from './support/space';
import { staffApiToken } from './support/staff';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;
let schoolNameAr = '';

beforeAll(async () => {
  t = await startTestApp();
  photo = await testPhoto();
  school = await demoSchool(t);
  schoolNameAr = (await t.orm.em.fork().getConnection().execute<Array<{ name_ar: string }>>('select name_ar from school where code = ?', [school.schoolCode]))[0].name_ar;
});
afterAll(async () => { await t?.stop(); });

const CHILD = { firstNameAr: 'زهيرة', firstNameLatin: 'Zouhaira' };
const PUBLIC_KEYS = ['decisionDueOn', 'editable', 'level', 'openedAt', 'originalsDueBy', 'proof', 'reference', 'schoolYear', 'status', 'submittedAt', 'timeline', 'updatedAt'];
const DETAIL_KEYS = ['correctionMessage', 'decisionNote', 'massarCode', 'rejectionReasons', 'school'];
/** `Bearer <token>` of a fresh API token of the staff user `u`. */
const bearer = async (u: string) => `Bearer ${await staffApiToken(t.orm, u)}`;

async function submitted() {
  const base = validSubmission(school);
  const certificate = `PRF-${randomUUID().slice(0, 10)}`;
  const body = { ...base, child: { ...base.child, ...CHILD }, civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate }, photo: { data: photo.toString('base64') } };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  const { reference } = await res.json() as { reference: string };
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
  return { reference, certificate };
}

const apiView = async (reference: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`, { headers });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
};

/** What of the personal data a page shows. */
function shown(html: string, extra: Record<string, string>) {
  return Object.fromEntries(Object.entries({ child: CHILD.firstNameAr, school: schoolNameAr, ...extra }).map(([k, v]) => [k, html.includes(v)]));
}

test('a rejected request: reasons and note only after proof, on the API, the status page and the receipt', async () => {
  const { reference, certificate } = await submitted();
  const note = `ملاحظة المدير ${randomUUID().slice(0, 6)}`;
  await sendDecision(t.temporal, reference, { decision: 'reject', reasons: ['underAge', 'other'], note, decidedBy: 'director-test' });
  await eventually(async () => (await t.orm.em.fork().findOneOrFail(PreRegistration, { reference })).status === 'rejected');

  // API: reference alone → status and dates only.
  const anon = await apiView(reference);
  expect(anon.status).toBe(200);
  expect(Object.keys(anon.body).sort()).toEqual(PUBLIC_KEYS);
  expect(anon.body).toMatchObject({ reference, status: 'rejected', schoolYear: '2027-2028', level: 'primary1', proof: 'none', editable: false });
  expect(JSON.stringify(anon.body)).not.toContain(note);
  // API: the certificate number → the details.
  const proved = await apiView(reference, { 'X-Birth-Certificate-Number': certificate });
  expect(Object.keys(proved.body).sort()).toEqual([...PUBLIC_KEYS, ...DETAIL_KEYS].sort());
  expect(proved.body).toMatchObject({
    proof: 'certificate', decisionNote: note, correctionMessage: null, massarCode: null,
    school: { code: school.schoolCode, nameAr: schoolNameAr },
  });
  expect((proved.body.rejectionReasons as Array<{ code: string }>).map((r) => r.code)).toEqual(['underAge', 'other']);
  // API: a wrong number → 403, nothing of the request.
  const wrong = await apiView(reference, { 'X-Birth-Certificate-Number': 'nope' });
  expect([wrong.status, wrong.body.error, wrong.body.status]).toEqual([403, 'verificationFailed', undefined]);

  // Page and receipt: reference alone, then after the unlock in this session.
  const page = new Browser(t.baseUrl);
  const before = await (await page.get(`/pre-registrations/${reference}`)).text();
  expect(before).toContain('data-status="rejected"');
  expect(shown(before, { note, reason: 'عدم استيفاء السن القانوني' })).toEqual({ child: false, school: false, note: false, reason: false });
  expect(before).toContain('id="proof-hint"');
  const receiptBefore = await (await page.get(`/pre-registrations/${reference}/receipt`)).text();
  expect(receiptBefore).toContain(reference);
  expect(shown(receiptBefore, {})).toEqual({ child: false, school: false });
  const unlock = await page.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: inputValue(before, '_csrf')!, birthCertificateNumber: certificate });
  expect(unlock.headers.get('location')).toBe(`/pre-registrations/${reference}#manage`);
  const after = await (await page.get(`/pre-registrations/${reference}`)).text();
  expect(shown(after, { note, reason: 'عدم استيفاء السن القانوني' })).toEqual({ child: true, school: true, note: true, reason: true });
  expect(after).not.toContain('id="proof-hint"');
  expect(shown(await (await page.get(`/pre-registrations/${reference}/receipt`)).text(), {})).toEqual({ child: true, school: true });
  // Another browser with the reference only still sees nothing personal.
  expect(shown(await (await new Browser(t.baseUrl).get(`/pre-registrations/${reference}`)).text(), { note })).toEqual({ child: false, school: false, note: false });
});

test('a correction asked for: the message only after proof; staff in scope see everything, staff out of scope nothing', async () => {
  const { reference, certificate } = await submitted();
  const message = `Merci de corriger le nom ${randomUUID().slice(0, 6)}.`;
  await requestCorrection({ em: t.orm.em.fork(), temporal: t.temporal }, reference, message, 'director-test');
  await eventually(async () => (await t.temporal.status(reference)).status === 'correctionRequested');

  const anon = await apiView(reference);
  expect(Object.keys(anon.body).sort()).toEqual(PUBLIC_KEYS);
  expect(JSON.stringify(anon.body)).not.toContain(message);
  expect((await apiView(reference, { 'X-Birth-Certificate-Number': certificate })).body).toMatchObject({ proof: 'certificate', correctionMessage: message, decisionNote: null });
  const staff = await apiView(reference, { Authorization: await bearer(school.director.username) });
  expect(staff.status).toBe(200);
  expect(Object.keys(staff.body).sort()).toEqual([...PUBLIC_KEYS, ...DETAIL_KEYS].sort());
  expect(staff.body).toMatchObject({ proof: 'staff', correctionMessage: message });
  const other = await demoSchool(t, 'second');
  expect((await apiView(reference, { Authorization: await bearer(other.director.username) })).status).toBe(404);

  const page = await (await new Browser(t.baseUrl).get(`/pre-registrations/${reference}?lang=fr`)).text();
  expect(shown(page, { message, child: CHILD.firstNameLatin })).toEqual({ child: false, school: false, message: false });
});

test('the signed-in parent who owns the request sees its details without the number; another parent does not', async () => {
  const { reference } = await submitted();
  const chain = await t.orm.em.fork().getConnection().execute<Array<{ academy_code: string }>>('select academy_code from provincial_directorate where code = ?', [school.directorateCode]);
  const space = spaceHelpers(t, school, { academy: chain[0].academy_code, directorate: school.directorateCode });
  const owner = await space.newParent();
  const stranger = await space.newParent();
  const [account] = await t.orm.em.fork().getConnection().execute<Array<{ id: string }>>('select id from parent_account where email = ?', [owner.identifier.toLowerCase()]);
  await t.orm.em.fork().nativeUpdate(PreRegistration, { reference }, { parentAccountId: account.id });

  const mine = await (await owner.b.get(`/pre-registrations/${reference}?lang=ar`)).text();
  expect(shown(mine, {})).toEqual({ child: true, school: true });
  expect(mine).toContain('id="child-first-name"');
  expect(shown(await (await owner.b.get(`/pre-registrations/${reference}/receipt?lang=ar`)).text(), {})).toEqual({ child: true, school: true });
  const theirs = await (await stranger.b.get(`/pre-registrations/${reference}?lang=ar`)).text();
  expect(shown(theirs, {})).toEqual({ child: false, school: false });
  expect(shown(await (await stranger.b.get(`/pre-registrations/${reference}/receipt?lang=ar`)).text(), {})).toEqual({ child: false, school: false });
});

test('a registered request: the Massar code only after proof', async () => {
  const { reference, certificate } = await submitted();
  await sendDecision(t.temporal, reference, { decision: 'approve', decidedBy: 'director-test' });
  const pr = await eventually(async () => {
    const row = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
    return row.status === 'registered' ? row : null;
  });
  const anon = await apiView(reference);
  expect(Object.keys(anon.body).sort()).toEqual(PUBLIC_KEYS);
  expect(JSON.stringify(anon.body)).not.toContain(pr.massarCode!);
  expect((await apiView(reference, { 'X-Birth-Certificate-Number': certificate })).body).toMatchObject({ status: 'registered', massarCode: pr.massarCode });
  const page = await (await new Browser(t.baseUrl).get(`/pre-registrations/${reference}`)).text();
  expect(page).toContain('data-status="registered"');
  expect(page.includes(pr.massarCode!)).toBe(false);
  expect(page).not.toContain('id="massar-code"');
});
