/**
 * Staff API tokens (issue 11, item 9): HTTP Basic on the staff API is replaced by per-user tokens,
 * created and revoked on /staff/security (shown once, stored as SHA-256, named, last use shown),
 * sent as `Authorization: Bearer`, acting with exactly their user's rights and scope. Real HTTP,
 * PostgreSQL, Temporal worker.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { gregorianToHijri } from '../domain/hijri';
import { sealSecret, totpKey } from '../entities/staffSecret';
import { DEMO_TOTP_SECRET } from '../migrations/seeders/demoAccounts';
import { eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';
import { signInStaff } from './support/staff';

let t: TestApp;
// Behind a trusted proxy (the test), each client has an address of its own: the bad tokens tried
// here do not count against 127.0.0.1, which the other suites share.
beforeAll(async () => { t = await startTestApp({ env: { TRUST_PROXY: 'loopback', SIGN_IN_FAILURES_PER_ADDRESS: '20' } }); });
afterAll(async () => { await t?.stop(); });

const PASSWORD = 'Kasbah-Oudayas-2027';
const addr = () => `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0] % 250 + 1}`;
const client = () => new Browser(t.baseUrl, { 'X-Forwarded-For': addr() });
const sql = <T extends Array<Record<string, unknown>>>(q: string, p: unknown[] = []) => t.orm.em.fork().getConnection().execute<T>(q, p);

/** A staff account of its own, enrolled with the demo secret (as the seeder enrols the demo accounts). */
async function newStaff(role: 'director' | 'provincialSupervisor', scope: { school?: string; directorate?: string }): Promise<string> {
  const username = `${role === 'director' ? 'director' : 'supervisor'}.tok-${randomUUID().slice(0, 8)}`;
  const argon2 = await import('argon2');
  await sql(
    `insert into staff_user (id, username, password_hash, display_name, role, school_code, directorate_code, active, created_at, totp_secret, totp_enrolled_at)
     values (?, ?, ?, 'Test', ?, ?, ?, true, now(), ?, now())`,
    [randomUUID(), username, await argon2.hash(PASSWORD, { type: argon2.argon2id }), role, scope.school ?? null, scope.directorate ?? null, sealSecret(totpKey(t.config), DEMO_TOTP_SECRET)],
  );
  return username;
}
async function signedIn(username: string): Promise<Browser> {
  const b = client();
  await b.get('/staff/login?lang=fr');
  const res = await signInStaff(b, username, PASSWORD);
  expect(res.status).toBe(303);
  return b;
}
/** Creates a token on the page; returns it and the page. */
async function createToken(b: Browser, name: string): Promise<{ status: number; token: string | null; html: string }> {
  const page = await (await b.get('/staff/security')).text();
  const res = await b.postForm('/staff/security/tokens', { _csrf: inputValue(page, '_csrf')!, name });
  const html = await res.text();
  return { status: res.status, token: /<code dir="ltr" id="new-token">([^<]+)<\/code>/.exec(html)?.[1] ?? null, html };
}
const api = (path: string, token: string, init: RequestInit = {}, from = addr()) => fetch(`${t.baseUrl}/api/v1${path}`, {
  ...init, headers: { 'Content-Type': 'application/json', Authorization: token.startsWith('Basic ') ? token : `Bearer ${token}`, 'X-Forwarded-For': from, ...(init.headers as Record<string, string> ?? {}) },
});

/** A request submitted through the API to `schoolCode` (unique child), once under review. */
async function submitted(schoolCode: string): Promise<string> {
  const [place] = await sql<Array<{ zone: string; commune: string }>>(
    'select z.code as zone, z.commune_code as commune from school_zone sz join residence_zone z on z.code = sz.residence_zone_code where sz.school_code = ? order by z.code limit 1', [schoolCode]);
  const base = validSubmission({ schoolCode, zoneCode: place.zone, communeCode: place.commune });
  const birthDate = '2021-03-14';
  const body = {
    ...base,
    civilStatus: { ...base.civilStatus, birthDate, birthDateHijri: gregorianToHijri(birthDate), birthCertificateNumber: `${randomInt(1, 99999)}/2021`, birthCertificateDate: birthDate },
    father: { ...base.father, cin: `K${randomInt(100000, 999999)}` },
    photo: { data: (await testPhoto()).toString('base64') },
  };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  const { reference } = await res.json() as { reference: string };
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview', 45000);
  return reference;
}

test('a director creates a token (shown once, stored as SHA-256), uses it with their own scope and rights, sees its last use, revokes it', async () => {
  const director = await newStaff('director', { school: '04421A01' });
  const b = await signedIn(director);
  const empty = await (await b.get('/staff/security')).text();
  expect(empty).toContain('Aucun jeton.');
  const created = await createToken(b, '  Export du soir ');
  expect(created.status).toBe(201);
  expect(created.token).toMatch(/^tsj_[A-Za-z0-9_-]{43}$/);
  const token = created.token!;
  expect(created.html).toContain('Voici le jeton «\u00a0<bdi dir="auto">Export du soir</bdi>\u00a0». Copiez-le maintenant\u00a0: il ne sera plus affiché.');
  const [row] = await sql<Array<{ id: string; name: string; token_hash: string; prefix: string; last_used_at: string | null }>>(
    'select t.id, t.name, t.token_hash, t.prefix, t.last_used_at from staff_api_token t join staff_user u on u.id = t.user_id where u.username = ?', [director]);
  expect(row).toMatchObject({ name: 'Export du soir', token_hash: createHash('sha256').update(token).digest('hex'), prefix: token.slice(0, 10), last_used_at: null });
  const again = await (await b.get('/staff/security')).text();
  expect(again).not.toContain(token);
  expect(again).toContain(`<tr data-token-id="${row.id}"><td>Export du soir <bdi dir="ltr"><small>${token.slice(0, 10)}…</small></bdi></td>`);
  expect(again).toContain('<td>jamais</td>');

  const reference = await submitted('04421A01');
  const view = await api(`/pre-registrations/${reference}`, token);
  expect(view.status).toBe(200);
  expect(await view.json()).toMatchObject({ reference, status: 'underReview', editable: false, openedAt: expect.any(String) });
  expect((await sql<Array<{ last_used_at: string | null }>>('select last_used_at from staff_api_token where id = ?', [row.id]))[0].last_used_at).not.toBeNull();
  expect(await (await b.get('/staff/security')).text()).not.toContain('<td>jamais</td>');

  // Scope: another school's director does not see it; rights: a supervisor of its directorate may not decide.
  const other = await newStaff('director', { school: '061410100A01' });
  const otherToken = (await createToken(await signedIn(other), 'autre')).token!;
  expect((await api(`/pre-registrations/${reference}/decision`, otherToken, { method: 'POST', body: JSON.stringify({ decision: 'approve' }) })).status).toBe(404);
  const supervisor = await newStaff('provincialSupervisor', { directorate: '04.421' });
  const supToken = (await createToken(await signedIn(supervisor), 'tableau de bord')).token!;
  const forbidden = await api(`/pre-registrations/${reference}/decision`, supToken, { method: 'POST', body: JSON.stringify({ decision: 'approve' }) });
  expect([forbidden.status, await forbidden.json()]).toEqual([403, { error: 'forbidden' }]);
  const decided = await api(`/pre-registrations/${reference}/decision`, token, { method: 'POST', body: JSON.stringify({ decision: 'approve' }) });
  expect([decided.status, await decided.json()]).toEqual([200, { reference, status: 'approved' }]);

  // Revoking another user's token: not found; one's own: the token stops working.
  const page = await (await b.get('/staff/security')).text();
  const supRow = (await sql<Array<{ id: string }>>('select t.id from staff_api_token t join staff_user u on u.id = t.user_id where u.username = ?', [supervisor]))[0];
  expect((await b.postForm(`/staff/security/tokens/${supRow.id}/revoke`, { _csrf: inputValue(page, '_csrf')! })).status).toBe(404);
  const revoked = await b.postForm(`/staff/security/tokens/${row.id}/revoke`, { _csrf: inputValue(page, '_csrf')! });
  expect([revoked.status, revoked.headers.get('location')]).toEqual([303, '/staff/security?revoked=1']);
  const refused = await api(`/pre-registrations/${reference}`, token);
  expect(refused.status).toBe(401);
  expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="Tasjil staff"');
  expect(await refused.json()).toEqual({ error: 'unauthorized', message: { ar: 'رمز ولوج غير معروف أو ملغى.', fr: "Jeton d'accès inconnu ou révoqué." } });
  expect((await api(`/pre-registrations/${reference}`, supToken)).status).toBe(200); // the other tokens still work
  // A deactivated user's tokens stop working.
  await sql('update staff_user set active = false where username = ?', [supervisor]);
  expect((await api(`/pre-registrations/${reference}`, supToken)).status).toBe(401);
});

test('HTTP Basic is refused with the way to get a token, in Arabic and French', async () => {
  const res = await api('/pre-registrations/P27-ABCDE-FGHJK/decision', `Basic ${Buffer.from('director.04421A01:Tasjil-Demo-2027').toString('base64')}`, { method: 'POST', body: '{"decision":"approve"}' });
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="Tasjil staff"');
  expect(await res.json()).toEqual({
    error: 'basicAuthRemoved',
    message: {
      ar: 'لم تعد المصادقة HTTP Basic مقبولة: أنشئوا رمز ولوج في /staff/security وأرسلوا «Authorization: Bearer <الرمز>».',
      fr: "L'authentification HTTP Basic n'est plus acceptée\u00a0: créez un jeton d'accès sur /staff/security et envoyez «\u00a0Authorization: Bearer <jeton>\u00a0».",
    },
  });
});

test('a token needs a name; one address trying 20 bad tokens is refused (429 + Retry-After), another address is not', async () => {
  const director = await newStaff('director', { school: '04421A01' });
  const b = await signedIn(director);
  const nameless = await createToken(b, '   ');
  expect(nameless.status).toBe(400);
  expect(nameless.html).toContain('Donnez un nom au jeton (80 caractères au plus).');
  const token = (await createToken(b, 'bon')).token!;
  const guesser = addr();
  const statuses: number[] = [];
  for (let i = 0; i < 21; i++) statuses.push((await api('/pre-registrations/P27-ABCDE-FGHJK', `tsj_${randomBytes(32).toString('base64url')}`, {}, guesser)).status);
  expect(statuses).toEqual([...Array(20).fill(401), 429]);
  const blocked = await api('/pre-registrations/P27-ABCDE-FGHJK', token, {}, guesser);
  expect(blocked.status).toBe(429);
  expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(860);
  expect(await blocked.json()).toEqual({
    error: 'tooManyAttempts',
    message: { ar: 'محاولات فاشلة كثيرة من اتصالكم. المرجو إعادة المحاولة بعد 15 دقيقة.', fr: "Trop d'essais manqués depuis votre connexion. Réessayez dans 15 minutes." },
  });
  expect((await api('/pre-registrations/P27-ABCDE-FGHJK', token)).status).toBe(404);
});
