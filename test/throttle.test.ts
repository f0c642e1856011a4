/**
 * One throttle for unlocking a request with the birth certificate number, whatever the door: the
 * status page's form and the API's `X-Birth-Certificate-Number` header count in one PostgreSQL
 * table (shared by processes), per request across client addresses; the failure that reaches the
 * limit (5) locks the request for the rest of its hour on both doors (429 + Retry-After, bilingual
 * message), the right number included, and tells the parent once by email and SMS. Per client
 * address: 20 failures an hour over all requests (service level, its own limiter instance).
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { PreRegistration } from '../entities';
import { translator } from '../web/i18n';
import { UnlockService } from '../web/services/unlock';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';

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
const e164 = (national: string) => `+212${national.slice(1)}`;
const outbox = (recipient: string) => t.orm.em.fork().getConnection().execute<Array<{ channel: string; subject: string | null; body: string }>>(
  'select channel, subject, body from dev_outbox_message where recipient = ? order by id', [recipient],
);

async function submitted() {
  const base = validSubmission(school);
  const certificate = `${Math.floor(Math.random() * 9000) + 1000}/2021-${randomUUID().slice(0, 6)}`;
  const email = `throttle-${randomUUID()}@example.ma`;
  const phone = uniquePhone();
  const body = { ...base, father: { ...base.father, email, phone }, civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate }, photo: { data: photo.toString('base64') } };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  const { reference } = await res.json() as { reference: string };
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
  return { reference, certificate, email, phone };
}

test('page and API share one counter: 3 wrong on the page + 2 on the API lock both doors (429, Retry-After), the right number is refused while locked, the parent is told once', async () => {
  const { reference, certificate, email, phone } = await submitted();
  const page = new Browser(t.baseUrl);
  const html = await (await page.get(`/pre-registrations/${reference}`)).text();
  const csrf = inputValue(html, '_csrf')!;
  const pageUnlock = (n: string) => page.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: csrf, birthCertificateNumber: n });
  const api = (n: string) => fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`, { headers: { 'X-Birth-Certificate-Number': n } });
  const apiWithdraw = (n: string) => fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}/withdraw`, { method: 'POST', headers: { 'X-Birth-Certificate-Number': n } });

  // Three wrong numbers on the page: each says how many tries are left.
  const locations: Array<string | null> = [];
  for (const n of ['1/2021', '2/2021', '3/2021']) {
    const r = await pageUnlock(n);
    expect(r.status).toBe(303);
    locations.push(r.headers.get('location'));
  }
  expect(locations).toEqual([1, 2, 3].map((i) => `/pre-registrations/${reference}?unlock=failed&remaining=${5 - i}#manage`));
  const failedPage = await (await page.get(`/pre-registrations/${reference}?unlock=failed&remaining=2`)).text();
  expect(failedPage).toContain('المحاولات المتبقية قبل الإيقاف لمدة ساعة: <bdi dir="ltr">2</bdi>.');

  // The fourth on the API: 403 with one try left; the fifth (another API route) locks.
  const fourth = await api('4/2021');
  expect(fourth.status).toBe(403);
  expect(await fourth.json()).toEqual({
    error: 'verificationFailed', remainingAttempts: 1,
    message: { ar: translator('ar')('api.unlock.failed'), fr: translator('fr')('api.unlock.failed') },
  });
  const started = Date.now();
  const fifth = await apiWithdraw('5/2021');
  expect(fifth.status).toBe(429);
  const retryAfter = Number(fifth.headers.get('retry-after'));
  // The hour started at the first failure, a few seconds ago.
  expect(retryAfter).toBeGreaterThanOrEqual(3600 - 120);
  expect(retryAfter).toBeLessThanOrEqual(3600);
  const fifthBody = await fifth.json() as { error: string; retryAfterSeconds: number; message: { ar: string; fr: string } };
  expect(fifthBody).toEqual({
    error: 'tooManyAttempts', retryAfterSeconds: retryAfter,
    message: { ar: translator('ar')('api.unlock.locked', { seconds: String(retryAfter) }), fr: translator('fr')('api.unlock.locked', { seconds: String(retryAfter) }) },
  });
  expect(fifthBody.message.fr).toBe(`Trop de numéros d'acte de naissance erronés pour cette demande\u00a0: réessayez après ${retryAfter} secondes.`);

  // Locked on both doors, the right number included: page 429 with the wait, API 429 on every route.
  const rightOnPage = await pageUnlock(certificate);
  expect(rightOnPage.status).toBe(429);
  const pageRetry = Number(rightOnPage.headers.get('retry-after'));
  expect(pageRetry).toBeLessThanOrEqual(retryAfter);
  expect(pageRetry).toBeGreaterThanOrEqual(retryAfter - Math.ceil((Date.now() - started) / 1000) - 1);
  const lockedHtml = await rightOnPage.text();
  expect(lockedHtml).toContain('id="unlock-locked"');
  // 11 to 99 minutes: the Arabic plural's "many" form (دقيقة), the number isolated left-to-right.
  expect(lockedHtml).toContain(`أعيدوا المحاولة بعد <bdi dir="ltr">${Math.ceil(pageRetry / 60)}</bdi> دقيقة؛ تم إخبار ولي الأمر`);
  expect(lockedHtml).not.toContain('Yassine');
  const rightOnApi = await api(certificate);
  expect(rightOnApi.status).toBe(429);
  expect(Number(rightOnApi.headers.get('retry-after'))).toBeLessThanOrEqual(retryAfter);
  expect((await apiWithdraw(certificate)).status).toBe(429);
  const put = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`, { method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Birth-Certificate-Number': certificate }, body: '{}' });
  expect(put.status).toBe(429);
  // The session was not unlocked, the request not withdrawn.
  expect(await (await page.get(`/pre-registrations/${reference}`)).text()).not.toContain('id="child-first-name"');
  expect((await t.temporal.status(reference)).status).toBe('underReview');

  // One counter row per request and per client, keyed by HMACs: neither the reference nor the address is stored.
  const rows = await t.orm.em.fork().getConnection().execute<Array<{ key: string; points: number }>>(`select key, points from unlock_throttle where key like 'unlock-ref:%'`);
  expect(rows.every((r) => /^unlock-ref:[0-9a-f]{64}$/.test(r.key))).toBe(true);
  expect(rows.some((r) => r.points === 5)).toBe(true);
  expect(rows.some((r) => r.key.includes(reference))).toBe(false);

  // The parent is told once, by email and by SMS.
  const mails = await eventually(async () => { const m = await outbox(email); return m.length >= 2 ? m : null; });
  const sms = await eventually(async () => { const m = await outbox(e164(phone)); return m.length >= 2 ? m : null; });
  await new Promise((r) => setTimeout(r, 1500)); // nothing more comes
  const lockedMails = (await outbox(email)).filter((m) => m.subject?.startsWith('محاولات خاطئة'));
  expect(lockedMails).toHaveLength(1);
  expect(lockedMails[0].subject).toBe(`محاولات خاطئة على طلب التسجيل الأولي رقم \u2066${reference}\u2069`);
  expect((await outbox(e164(phone))).filter((m) => m.body.includes('أرقام عقد ازدياد خاطئة'))).toHaveLength(1);
  expect(mails.map((m) => m.channel)).toEqual(['email', 'email']);
  expect(sms.map((m) => m.channel)).toEqual(['sms', 'sms']);
  const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
  const notes = await t.orm.em.fork().getConnection().execute<Array<{ channel: string; status: string }>>(
    `select channel, status from notification where pre_registration_id = ? and event = 'unlockLocked' order by channel`, [pr.id],
  );
  expect(notes).toEqual([{ channel: 'email', status: 'sent' }, { channel: 'sms', status: 'sent' }]);
});

test('the right number before the limit unlocks (page and API) and clears the request\'s count', async () => {
  const { reference, certificate } = await submitted();
  const page = new Browser(t.baseUrl);
  const csrf = inputValue(await (await page.get(`/pre-registrations/${reference}`)).text(), '_csrf')!;
  expect((await page.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: csrf, birthCertificateNumber: 'nope' })).headers.get('location'))
    .toBe(`/pre-registrations/${reference}?unlock=failed&remaining=4#manage`);
  const ok = await page.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: csrf, birthCertificateNumber: ` ${certificate.toLowerCase()} ` });
  expect([ok.status, ok.headers.get('location')]).toEqual([303, `/pre-registrations/${reference}#manage`]);
  // The count starts again: four wrong numbers leave one try.
  let last: Response | null = null;
  for (let i = 0; i < 4; i += 1) last = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`, { headers: { 'X-Birth-Certificate-Number': `X${i}` } });
  expect(last!.status).toBe(403);
  expect((await last!.json() as { remainingAttempts: number }).remainingAttempts).toBe(1);
  const right = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`, { headers: { 'X-Birth-Certificate-Number': certificate } });
  expect(right.status).toBe(200);
  expect((await right.json() as { proof: string }).proof).toBe('certificate');
});

test('per client address: 20 failures an hour over all requests, then 429 for that client only (service level, shared table)', async () => {
  const { reference, certificate } = await submitted();
  const pool = new Pool({ connectionString: t.config.DATABASE_URL, max: 2 });
  try {
    const make = () => new UnlockService({ pool, secret: t.config.SESSION_SECRET, temporal: t.temporal, taskQueue: t.config.TEMPORAL_TASK_QUEUE, maxPerReference: 5, maxPerClient: 20 });
    // Two instances (two processes) share the count through PostgreSQL.
    const [a, b] = [make(), make()];
    const client = `198.51.100.${Math.floor(Math.random() * 250) + 1}-${randomUUID()}`;
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const o = await (i % 2 ? a : b).unlock(t.orm.em.fork(), `P27-AAAAA-${String(i).padStart(5, '0')}`, '1/2021', client);
      outcomes.push(o.ok ? 'ok' : o.reason);
    }
    expect(outcomes).toEqual([...Array(19).fill('notFound'), 'locked']);
    const refused = await a.unlock(t.orm.em.fork(), reference, certificate, client);
    expect(refused.ok).toBe(false);
    if (!refused.ok && refused.reason === 'locked') {
      expect(refused.retryAfterSeconds).toBeGreaterThan(3500);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(3600);
    } else throw new Error(`expected locked, got ${JSON.stringify(refused)}`);
    expect(await b.unlock(t.orm.em.fork(), reference, certificate, `${client}-other`)).toEqual({ ok: true, reference });
  } finally {
    await pool.end();
  }
});
