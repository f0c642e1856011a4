/**
 * One child, one request: the same child (birth certificate number + birth date + school year)
 * submitted again — another tab, another door, concurrently — gets the first request back, never a
 * second row, workflow or set of "received" messages (unique index on `pre_registration.child_key`
 * among requests not withdrawn or rejected). A withdrawn or rejected child may be submitted again.
 * An API Idempotency-Key is bound to its client and body: same key + same body → the same answer;
 * same key + another body → 422 with a bilingual message.
 */
import { randomUUID } from 'node:crypto';
import { PreRegistration } from '../entities';
import { translator } from '../web/i18n';
import { sendDecision, submitPreRegistration } from '../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue, toFormFields } from './support/http';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;

beforeAll(async () => {
  t = await startTestApp();
  photo = await testPhoto();
  school = await demoSchool(t);
});
afterAll(async () => { await t?.stop(); });

const uniquePhone = () => `066${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const outbox = (recipient: string) => t.orm.em.fork().getConnection().execute<Array<{ channel: string; subject: string | null }>>(
  'select channel, subject from dev_outbox_message where recipient = ? order by id', [recipient],
);
function child(overrides: Record<string, unknown> = {}) {
  const base = validSubmission(school);
  const email = `one-${randomUUID()}@example.ma`;
  return { ...base, father: { ...base.father, email, phone: uniquePhone() }, civilStatus: { ...base.civilStatus, birthCertificateNumber: `${Math.floor(Math.random() * 9000) + 1000}/2021-${randomUUID().slice(0, 4)}` }, ...overrides };
}
const api = (b: Record<string, unknown>, headers: Record<string, string> = {}) => fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
  method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ ...b, photo: { data: photo.toString('base64') } }),
});
const rowsOf = (certificate: string) => t.orm.em.fork().find(PreRegistration, { birthCertificateNumber: certificate }, { orderBy: { submittedAt: 'asc' } });
async function workflowsOf(reference: string): Promise<number> {
  let n = 0;
  for await (const _ of t.temporal.client.workflow.list({ query: `WorkflowId = 'preRegistration-${reference}'` })) n += 1;
  return n;
}

/** A tab of the one-page form: its own session, CSRF token and submission token. */
async function tab() {
  const b = new Browser(t.baseUrl);
  const chain = await t.orm.em.fork().getConnection().execute<Array<{ academy_code: string }>>('select academy_code from provincial_directorate where code = ?', [school.directorateCode]);
  const html = await (await b.get(`/pre-registration/new?level=primary1&academy=${chain[0].academy_code}&directorate=${school.directorateCode}&commune=${school.communeCode}&zone=${encodeURIComponent(school.zoneCode)}`)).text();
  return {
    post(s: Record<string, unknown>) {
      const fd = new FormData();
      fd.append('_csrf', inputValue(html, '_csrf')!);
      fd.append('submissionToken', inputValue(html, 'submissionToken')!);
      for (const [k, v] of toFormFields({ schoolYear: inputValue(html, 'schoolYear')!, ...s })) if (k !== 'language') fd.append(k, v);
      fd.append('photo', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
      return b.postMultipart('/pre-registration', fd);
    },
  };
}

test('five concurrent API submissions of the same child (different keys): one request, one workflow, one "received" email and SMS; the others get it back', async () => {
  const body = child();
  const answers = await Promise.all(Array.from({ length: 5 }, () => api(body, { 'Idempotency-Key': randomUUID() })));
  const statuses = answers.map((a) => a.status).sort();
  expect(statuses).toEqual([200, 200, 200, 200, 201]);
  const bodies = await Promise.all(answers.map((a) => a.json() as Promise<{ reference: string; existing?: boolean; message?: { ar: string; fr: string } }>));
  const reference = bodies[answers.findIndex((a) => a.status === 201)].reference;
  expect(new Set(bodies.map((b) => b.reference))).toEqual(new Set([reference]));
  for (const [i, a] of answers.entries()) {
    if (a.status === 201) { expect(a.headers.get('tasjil-existing-request')).toBeNull(); expect(bodies[i].existing).toBeUndefined(); continue; }
    expect(a.headers.get('tasjil-existing-request')).toBe('true');
    expect(bodies[i]).toMatchObject({ reference, existing: true, message: { ar: translator('ar')('api.existing'), fr: translator('fr')('api.existing') } });
    expect(a.headers.get('location')).toBe(`/api/v1/pre-registrations/${reference}`);
  }
  const rows = await rowsOf(body.civilStatus.birthCertificateNumber);
  expect(rows.map((r) => r.reference)).toEqual([reference]);
  expect(await workflowsOf(reference)).toBe(1);
  await eventually(async () => (await outbox(body.father.email)).length === 1);
  await eventually(async () => (await outbox(`+212${body.father.phone.slice(1)}`)).length === 1);
  await new Promise((r) => setTimeout(r, 1500));
  expect((await outbox(body.father.email)).map((m) => m.channel)).toEqual(['email']);
  expect((await outbox(`+212${body.father.phone.slice(1)}`)).map((m) => m.channel)).toEqual(['sms']);
});

test('two tabs of the one-page form, posted together: one request; one tab lands on its confirmation, the other on its status page (existing)', async () => {
  const body = child();
  const [a, b] = await Promise.all([tab(), tab()]);
  const [ra, rb] = await Promise.all([a.post(body), b.post(body)]);
  expect([ra.status, rb.status]).toEqual([303, 303]);
  const rows = await rowsOf(body.civilStatus.birthCertificateNumber);
  expect(rows).toHaveLength(1);
  const ref = rows[0].reference;
  expect([ra.headers.get('location'), rb.headers.get('location')].sort()).toEqual([`/pre-registrations/${ref}?existing=1`, `/pre-registrations/${ref}?submitted=1`]);
  const existingPage = await (await new Browser(t.baseUrl).get(`/pre-registrations/${ref}?existing=1`)).text();
  expect(existingPage).toContain(translator('ar')('parent.status.existing'));
  // The same child later, through the API: the same request.
  const later = await api(body);
  expect([later.status, (await later.json() as { reference: string }).reference]).toEqual([200, ref]);
  expect(await workflowsOf(ref)).toBe(1);
});

test('a withdrawn or rejected child may be submitted again: a new request', async () => {
  const body = child();
  const first = await (await api(body)).json() as { reference: string };
  await eventually(async () => (await t.temporal.status(first.reference)).status === 'underReview');
  const withdrawn = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${first.reference}/withdraw`, { method: 'POST', headers: { 'X-Birth-Certificate-Number': body.civilStatus.birthCertificateNumber } });
  expect(withdrawn.status).toBe(200);
  await eventually(async () => (await t.orm.em.fork().findOneOrFail(PreRegistration, { reference: first.reference })).status === 'withdrawn');
  const second = await api(body);
  expect(second.status).toBe(201);
  const { reference } = await second.json() as { reference: string };
  expect(reference).not.toBe(first.reference);
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
  await sendDecision(t.temporal, reference, { decision: 'reject', reasons: ['underAge'], decidedBy: 'director-test' });
  await eventually(async () => (await t.orm.em.fork().findOneOrFail(PreRegistration, { reference })).status === 'rejected');
  const third = await api(body);
  expect(third.status).toBe(201);
  const rows = await rowsOf(body.civilStatus.birthCertificateNumber);
  expect(rows.map((r) => r.status)).toEqual(['withdrawn', 'rejected', 'submitted']);
  // The same certificate number with another birth date is another child; another school year too.
  const twin = child({ civilStatus: { ...body.civilStatus, birthDate: '2021-05-11', birthDateHijri: (await import('../domain/hijri')).gregorianToHijri('2021-05-11') } });
  expect((await api(twin)).status).toBe(201);
});

test('Idempotency-Key: same key + same body → the same answer; same key + another body → 422 (bilingual); bound to its client', async () => {
  const key = randomUUID();
  const body = child();
  const first = await api(body, { 'Idempotency-Key': key });
  expect(first.status).toBe(201);
  const { reference } = await first.json() as { reference: string };
  const again = await api(body, { 'Idempotency-Key': key });
  expect(again.status).toBe(200);
  expect(await again.json()).toEqual({ reference, status: expect.any(String), statusUrl: `${t.config.publicBaseUrl}/pre-registrations/${reference}` });
  const other = child();
  const reused = await api(other, { 'Idempotency-Key': key });
  expect(reused.status).toBe(422);
  const params = { reference };
  expect(await reused.json()).toEqual({
    error: 'idempotencyKeyReused',
    message: { ar: translator('ar')('validation.idempotencyKeyReused', params), fr: translator('fr')('validation.idempotencyKeyReused', params) },
    errors: [{ field: '', code: 'validation.idempotencyKeyReused', message: { ar: translator('ar')('validation.idempotencyKeyReused', params), fr: translator('fr')('validation.idempotencyKeyReused', params) } }],
  });
  expect(await rowsOf(other.civilStatus.birthCertificateNumber)).toHaveLength(0);
  // Another client's same key is another key (service level: the client is the address).
  const fromElsewhere = await submitPreRegistration({ em: t.orm.em.fork(), temporal: t.temporal }, other, photo, key, { idempotencyClient: '203.0.113.9' });
  expect(fromElsewhere).toMatchObject({ ok: true, created: true });
  const sameElsewhere = await submitPreRegistration({ em: t.orm.em.fork(), temporal: t.temporal }, other, photo, key, { idempotencyClient: '203.0.113.9' });
  expect(sameElsewhere).toMatchObject({ ok: true, created: false });
  if (fromElsewhere.ok && sameElsewhere.ok) expect(sameElsewhere.reference).toBe(fromElsewhere.reference);
});

test('a parent edit that would make the child another active request\'s child is refused at the field', async () => {
  const a = child();
  const b = child();
  const ra = await (await api(a)).json() as { reference: string };
  await api(b);
  await eventually(async () => (await t.temporal.status(ra.reference)).status === 'underReview');
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${ra.reference}`, {
    method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Birth-Certificate-Number': a.civilStatus.birthCertificateNumber },
    body: JSON.stringify({ ...a, civilStatus: { ...a.civilStatus, birthCertificateNumber: b.civilStatus.birthCertificateNumber } }),
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({
    error: 'validation',
    errorCount: 1,
    errors: [{ field: 'civilStatus.birthCertificateNumber', code: 'validation.childAlreadyRequested', message: { ar: translator('ar')('validation.childAlreadyRequested'), fr: translator('fr')('validation.childAlreadyRequested') } }],
  });
});
