/**
 * End to end through real HTTP: the JSON API and the server-rendered pages, the Temporal worker,
 * the Massar sandbox, and the local SMTP and SMS sandboxes capturing what the parent receives.
 */
import { randomUUID } from 'node:crypto';
import { renderNotification } from '../activities/templates';
import { gregorianToHijri } from '../domain/hijri';
import { decisionDueOn } from '../domain/deadlines';
import { PreRegistration } from '../entities';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue, toFormFields } from './support/http';
import { signInStaff, staffApiToken } from './support/staff';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;
let otherSchool: Awaited<ReturnType<typeof demoSchool>>;

beforeAll(async () => {
  t = await startTestApp();
  photo = await testPhoto();
  school = await demoSchool(t, 'first');
  otherSchool = await demoSchool(t, 'second');
});
afterAll(async () => { await t?.stop(); });

interface OutboxRow { channel: string; recipient: string; subject: string | null; body: string }
const outbox = (recipient: string) => t.orm.em.fork().getConnection().execute<OutboxRow[]>(
  'select channel, recipient, subject, body from dev_outbox_message where recipient = ? order by id', [recipient],
);
/** `Bearer <token>` of a fresh API token of the staff user `u`. */
const bearer = async (u: string) => `Bearer ${await staffApiToken(t.orm, u)}`;
/** A random Maroc Telecom mobile (066x: a range libphonenumber knows as mobile; 06 alone includes unassigned ranges). */
const uniquePhone = () => `066${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const e164 = (national: string) => `+212${national.slice(1)}`;

/** The API's view of a request; with the birth certificate number (proof), its details too. */
async function apiStatus(reference: string, certificate?: string): Promise<{ status: string; massarCode: string | null; rejectionReasons: Array<{ code: string }> }> {
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`, { headers: certificate ? { 'X-Birth-Certificate-Number': certificate } : {} });
  return res.json() as never;
}

test('API: submit → checks → director approves → registered with a Massar code; one "received" and one "registered" email and SMS', async () => {
  const email = `parent-${randomUUID()}@example.ma`;
  const phone = uniquePhone();
  const base = validSubmission(school);
  const body = {
    ...base,
    father: { ...base.father, email, phone },
    civilStatus: { ...base.civilStatus, birthCertificateNumber: `API-${Date.now()}` },
    photo: { data: photo.toString('base64') },
  };
  const key = randomUUID();
  const post = () => fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key }, body: JSON.stringify(body),
  });
  const first = await post();
  if (first.status !== 201) throw new Error(`submission refused: ${first.status} ${await first.text()}`);
  const created = await first.json() as { reference: string; status: string };
  expect(created.reference).toMatch(/^P27-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  expect(created.status).toBe('submitted');
  const replay = await post();
  expect(replay.status).toBe(200);
  expect(await replay.json()).toMatchObject({ reference: created.reference });

  await eventually(async () => (await apiStatus(created.reference)).status === 'underReview');

  const unauth = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${created.reference}/decision`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }),
  });
  expect(unauth.status).toBe(401);
  const foreign = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${created.reference}/decision`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: await bearer(otherSchool.director.username) },
    body: JSON.stringify({ decision: 'approve' }),
  });
  expect(foreign.status).toBe(404);

  const decided = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${created.reference}/decision`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: await bearer(school.director.username) },
    body: JSON.stringify({ decision: 'approve' }),
  });
  expect(decided.status).toBe(200);
  expect(await decided.json()).toEqual({ reference: created.reference, status: 'approved' });

  const final = await eventually(async () => {
    const s = await apiStatus(created.reference, body.civilStatus.birthCertificateNumber);
    return s.status === 'registered' ? s : null;
  });
  expect(final.massarCode).toMatch(/^[A-Z][0-9]{9}$/);

  const again = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${created.reference}/decision`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: await bearer(school.director.username) },
    body: JSON.stringify({ decision: 'reject', reasons: ['underAge'] }),
  });
  expect(again.status).toBe(409);

  const schoolRow = await t.orm.em.fork().getConnection().execute<{ name_ar: string; address_ar: string }[]>('select name_ar, address_ar from school where code = ?', [school.schoolCode]);
  const submittedAt = (await t.orm.em.fork().findOneOrFail(PreRegistration, { reference: created.reference })).submittedAt;
  const data = {
    reference: created.reference, childFirstName: 'ياسين', schoolName: schoolRow[0].name_ar, statusUrl: `${t.config.publicBaseUrl}/pre-registrations/${created.reference}?lang=ar`,
    // The school year 2027-2028: a decision within 14 days of the submission; the originals by 15 July 2027.
    decisionDueOn: decisionDueOn(submittedAt, 14), schoolAddress: schoolRow[0].address_ar, originalsDueBy: '2027-07-15',
  };
  const expectedReceived = renderNotification('received', 'ar', data);
  const expectedRegistered = renderNotification('registered', 'ar', { ...data, massarCode: final.massarCode! });
  const mails = await eventually(async () => {
    const rows = await outbox(email);
    return rows.length >= 2 ? rows : null;
  });
  expect(mails.map((m) => [m.channel, m.subject])).toEqual([
    ['email', expectedReceived.subject],
    ['email', expectedRegistered.subject],
  ]);
  expect(mails[1].body).toContain(final.massarCode);
  // The SMS go through their own activity: wait for both as for the emails.
  const sms = await eventually(async () => {
    const rows = await outbox(e164(phone));
    return rows.length >= 2 ? rows : null;
  });
  expect(sms[1].body).toContain('\u206615/07/2027\u2069');
  expect(sms.map((m) => [m.channel, m.body])).toEqual([
    ['sms', expectedReceived.sms],
    ['sms', expectedRegistered.sms],
  ]);
});

test('API: invalid input gets 400 with per-field messages in Arabic and French, never 500', async () => {
  const base = validSubmission(school);
  const body = {
    ...base,
    child: { ...base.child, firstNameLatin: 'ياسين' },
    father: { ...base.father, cin: '123456', phone: '12345' },
    photo: { data: photo.toString('base64') },
  };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(400);
  const json = await res.json() as { error: string; errors: Array<{ field: string; code: string; message: { ar: string; fr: string } }> };
  expect(json.error).toBe('validation');
  expect(json.errors.map((e) => [e.field, e.code])).toEqual([
    ['child.firstNameLatin', 'validation.latinOnly'],
    ['father.cin', 'validation.cin'],
    ['father.phone', 'validation.phone'],
  ]);
  for (const e of json.errors) {
    expect(e.message.ar).not.toBe(e.code);
    expect(e.message.fr).not.toBe(e.code);
  }
  const garbage = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"level": [1,2' });
  expect(garbage.status).toBe(400);
  const notFound = await fetch(`${t.baseUrl}/api/v1/pre-registrations/P27-00000-00000`);
  expect(notFound.status).toBe(404);
  const doc = await (await fetch(`${t.baseUrl}/api/v1/openapi.json`)).json() as { openapi: string; paths: Record<string, unknown> };
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths).sort()).toEqual([
    '/pre-registrations', '/pre-registrations/{reference}', '/pre-registrations/{reference}/decision', '/pre-registrations/{reference}/withdraw',
    '/school-map/academies', '/school-map/academies/{code}/directorates', '/school-map/communes/{code}/zones',
    '/school-map/directorates/{code}/communes', '/school-map/zones/{code}/schools',
  ]);
  const academies = await (await fetch(`${t.baseUrl}/api/v1/school-map/academies`)).json() as Array<{ code: string; nameAr: string; nameFr: string }>;
  expect(academies).toHaveLength(12);
  expect(academies[3]).toEqual({ code: '04', nameAr: 'الأكاديمية الجهوية للتربية والتكوين لجهة الرباط-سلا-القنيطرة', nameFr: "Académie Régionale d'Éducation et de Formation Rabat-Salé-Kénitra" });
  const schools = await (await fetch(`${t.baseUrl}/api/v1/school-map/zones/${encodeURIComponent(school.zoneCode)}/schools`)).json() as Array<{ code: string }>;
  expect(schools.map((s) => s.code)).toContain(school.schoolCode);
});

test('pages: a parent fills the form (a wrong field corrected), a director signs in and rejects with reasons, the parent sees them', async () => {
  const parent = new Browser(t.baseUrl);
  const chain = await t.orm.em.fork().getConnection().execute<{ academy_code: string }[]>(
    'select academy_code from provincial_directorate where code = ?', [school.directorateCode],
  );
  const formUrl = `/pre-registration/new?level=primary1&academy=${chain[0].academy_code}&directorate=${school.directorateCode}&commune=${school.communeCode}&zone=${encodeURIComponent(school.zoneCode)}`;
  const page = await parent.get(formUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<html lang="ar" dir="rtl">');
  const csrf = inputValue(html, '_csrf')!;
  const submissionToken = inputValue(html, 'submissionToken')!;
  const schoolYear = inputValue(html, 'schoolYear')!;
  expect(csrf).toBeTruthy();

  const email = `form-${randomUUID()}@example.ma`;
  const base = validSubmission(school);
  const submission = {
    ...base, schoolYear, father: { ...base.father, email, phone: uniquePhone() },
    civilStatus: { ...base.civilStatus, birthCertificateNumber: `FORM-${Date.now()}` },
  };
  const form = (s: Record<string, unknown>) => {
    const fd = new FormData();
    fd.append('_csrf', csrf);
    fd.append('submissionToken', submissionToken);
    for (const [k, v] of toFormFields(s)) if (k !== 'language') fd.append(k, v);
    fd.append('photo', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
    return fd;
  };

  // A Latin name typed in Arabic script: refused at the field, everything else kept.
  const wrong = await parent.postMultipart('/pre-registration', form({ ...submission, child: { ...submission.child, lastNameLatin: 'العلوي' } }));
  expect(wrong.status).toBe(400);
  const wrongHtml = await wrong.text();
  expect(wrongHtml).toContain('class="error-summary"');
  expect(wrongHtml).toContain('href="#child-lastNameLatin"');
  expect(wrongHtml).toMatch(/id="child-lastNameLatin-error"/);
  expect(inputValue(wrongHtml, 'child[firstNameAr]')).toBe('ياسين');
  expect(inputValue(wrongHtml, 'father[email]')).toBe(email);
  expect(inputValue(wrongHtml, 'civilStatus[birthDateHijri]')).toBe(gregorianToHijri('2021-05-10'));

  const ok = await parent.postMultipart('/pre-registration', form(submission));
  if (ok.status !== 303) throw new Error((await ok.text()).match(/<div class="error-summary"[\s\S]*?<\/div>/)?.[0] ?? String(ok.status));
  expect(ok.status).toBe(303);
  const location = ok.headers.get('location')!;
  const reference = decodeURIComponent(/\/pre-registrations\/([^?]+)/.exec(location)![1]);
  const twice = await parent.postMultipart('/pre-registration', form(submission));
  expect(twice.headers.get('location')).toBe(location);
  const confirmation = await (await parent.get(location)).text();
  expect(confirmation).toContain(`<bdi dir="ltr">${reference}</bdi>`);

  await eventually(async () => (await apiStatus(reference)).status === 'underReview');

  const staff = new Browser(t.baseUrl);
  const login = await (await staff.get('/staff/login')).text();
  const bad = await staff.postForm('/staff/login', { _csrf: inputValue(login, '_csrf')!, username: school.director.username, password: 'wrong' });
  expect(bad.status).toBe(401);
  const signedIn = await signInStaff(staff, school.director.username, school.director.password);
  expect(signedIn.status).toBe(303);
  expect(signedIn.headers.get('location')).toBe('/staff/requests');
  const list = await (await staff.get('/staff/requests')).text();
  expect(list).toContain(reference);
  const review = await staff.get(`/staff/requests/${reference}`);
  expect(review.status).toBe(200);
  const reviewHtml = await review.text();
  expect(reviewHtml).toContain('AB123456');
  const photoRes = await staff.get(`/staff/requests/${reference}/photo`);
  expect(photoRes.headers.get('content-type')).toBe('image/jpeg');

  const noReason = await staff.postForm(`/staff/requests/${reference}/decision`, { _csrf: inputValue(reviewHtml, '_csrf')!, decision: 'reject', note: '' });
  expect(noReason.status).toBe(400);
  // The page shown after the error carries a fresh, working token (the director corrects and resubmits from it).
  const retryToken = inputValue(await noReason.text(), '_csrf')!;
  expect(retryToken).not.toBe('');
  const rejected = await staff.postForm(`/staff/requests/${reference}/decision`, {
    _csrf: retryToken, decision: 'reject', reasons: ['underAge', 'zoneMismatch'], note: '',
  });
  expect(rejected.status).toBe(303);

  const other = new Browser(t.baseUrl);
  const otherSignedIn = await signInStaff(other, otherSchool.director.username, otherSchool.director.password);
  expect(otherSignedIn.status).toBe(303);
  expect((await other.get(`/staff/requests/${reference}`)).status).toBe(404);

  const final = await eventually(async () => {
    const s = await apiStatus(reference, submission.civilStatus.birthCertificateNumber);
    return s.status === 'rejected' ? s : null;
  });
  expect(final.rejectionReasons.map((r) => r.code)).toEqual(['underAge', 'zoneMismatch']);
  // The reasons show once the birth certificate number is given (the reference alone shows the status):
  // in another browser after the unlock; in the session that submitted the form at once (it typed the file).
  const stranger = new Browser(t.baseUrl);
  const before = await (await stranger.get(`/pre-registrations/${reference}`)).text();
  expect(before).toContain('data-status="rejected"');
  expect(before).not.toContain('عدم استيفاء السن القانوني');
  const unlocked = await stranger.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: inputValue(before, '_csrf')!, birthCertificateNumber: submission.civilStatus.birthCertificateNumber });
  expect(unlocked.headers.get('location')).toBe(`/pre-registrations/${reference}#manage`);
  const statusHtml = await (await stranger.get(`/pre-registrations/${reference}`)).text();
  expect(statusHtml).toContain('data-status="rejected"');
  expect(statusHtml).toContain('عدم استيفاء السن القانوني');
  expect(await (await parent.get(`/pre-registrations/${reference}`)).text()).toContain('عدم استيفاء السن القانوني');

  const mails = await eventually(async () => {
    const rows = await outbox(email);
    return rows.length >= 2 ? rows : null;
  });
  expect(mails).toHaveLength(2);
  expect(mails[1].body).toContain('عدم استيفاء السن القانوني');
  expect(mails[1].body).toContain('عدم مطابقة المؤسسة المختارة مع محل السكنى');

  const history = await staff.get(`/staff/requests/${reference}/history`);
  expect(history.status).toBe(200);
  const historyHtml = await history.text();
  // The history in words (submitted, checks, the decision, the end); the raw events behind a link.
  expect([...historyHtml.matchAll(/<li data-kind="([a-zA-Z]+)"/g)].map((m) => m[1]).filter((k) => ['submitted', 'checks', 'rejected', 'completed'].includes(k)))
    .toEqual(['submitted', 'checks', 'rejected', 'completed']);
  expect((await staff.get(`/staff/requests/${reference}/history/events`)).status).toBe(403); // the raw events: supervisors only
  const supervisor = new Browser(t.baseUrl);
  expect((await signInStaff(supervisor, `supervisor.${school.directorateCode}`, school.director.password)).status).toBe(303);
  const events = await (await supervisor.get(`/staff/requests/${reference}/history/events`)).text();
  expect(events).toContain('data-kind="started"');
  // The intake's checks and queue: a local activity, shown by its type and outcome.
  expect(events).toMatch(/data-kind="localActivity"[\s\S]*?runChecksAndQueue \(#1\) →/);
  expect(events).toContain('data-kind="updateAccepted"');
  expect(events).toContain('data-kind="completed"');
});
