/**
 * The staff second factor over real HTTP and PostgreSQL (issue 11, item 9): enrolment at the
 * first sign-in (QR code rendered by the server + the secret in text, confirmed by a code), ten
 * recovery codes shown once and stored hashed, sign-in = password then code (the half-signed-in
 * state grants nothing), codes accepted ±1 step and once only, throttled attempts, the secret
 * encrypted at rest, the demo accounts enrolled with the demo secret.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../config';
import { openSecret, totpKey } from '../entities/staffSecret';
import { DEMO_TOTP_SECRET } from '../migrations/seeders/demoAccounts';
import { startTestApp, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';
import { signInStaff, totpCode } from './support/staff';

let t: TestApp;
// Behind a trusted proxy (the test): each browser comes from an address of its own, so that the
// wrong codes tried here do not count against 127.0.0.1, shared by the other suites.
beforeAll(async () => { t = await startTestApp({ withWorker: false, env: { TRUST_PROXY: 'loopback', SIGN_IN_FAILURES_PER_ADDRESS: '20' } }); });
const client = () => new Browser(t.baseUrl, { 'X-Forwarded-For': `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0] % 250 + 1}` });
afterAll(async () => { await t?.stop(); });

const PASSWORD = 'Bab-Chellah-2027';
const sql = <T extends Array<Record<string, unknown>>>(q: string, p: unknown[] = []) => t.orm.em.fork().getConnection().execute<T>(q, p);

/** A director account of its own, not enrolled (as a real account before its first sign-in). */
async function newDirector(): Promise<string> {
  const username = `director.totp-${randomUUID().slice(0, 8)}`;
  const argon2 = await import('argon2');
  await sql(`insert into staff_user (id, username, password_hash, display_name, role, school_code, active, created_at) values (?, ?, ?, 'Test', 'director', '04421A01', true, now())`,
    [randomUUID(), username, await argon2.hash(PASSWORD, { type: argon2.argon2id })]);
  return username;
}
/** Password step; returns the browser and where it was sent. */
async function password(username: string): Promise<{ b: Browser; location: string | null }> {
  const b = client();
  const login = await (await b.get('/staff/login?lang=fr')).text();
  const res = await b.postForm('/staff/login', { _csrf: inputValue(login, '_csrf')!, username, password: PASSWORD });
  expect(res.status).toBe(303);
  return { b, location: res.headers.get('location') };
}
async function code(b: Browser, typed: string): Promise<{ status: number; location: string | null; html: string }> {
  const page = await (await b.get('/staff/login/code')).text();
  const res = await b.postForm('/staff/login/code', { _csrf: inputValue(page, '_csrf')!, code: typed });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}
/** Waits until at least `seconds` remain in the current 30-second step (so a sequence of codes keeps its meaning). */
async function stepWithRoom(seconds: number): Promise<number> {
  const into = (Date.now() / 1000) % 30;
  if (30 - into < seconds) await new Promise((r) => setTimeout(r, (30 - into) * 1000 + 100));
  return Date.now();
}

test('first sign-in: enrolment by QR code and secret, 10 recovery codes shown once and stored hashed; then password + code, ±1 step, each code once', async () => {
  const username = await newDirector();
  const { b, location } = await password(username);
  expect(location).toBe('/staff/login/enrol');
  // Half signed in: nothing else opens.
  expect((await b.get('/staff/requests')).status).toBe(303);
  expect((await b.get('/staff/security')).headers.get('location')).toBe('/staff/login?next=%2Fstaff%2Fsecurity');
  expect((await b.request('/codec/decode', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"payloads":[]}' })).status).toBe(401);

  const enrolRes = await b.get('/staff/login/enrol');
  expect(enrolRes.status).toBe(200);
  expect(enrolRes.headers.get('cache-control')).toBe('no-store');
  const enrol = await enrolRes.text();
  expect(enrol).toMatch(/<figure class="qr" role="img" aria-label="Code QR de la clé de vérification"><svg xmlns="http:\/\/www.w3.org\/2000\/svg" [^>]*viewBox="0 0 \d+ \d+"[^>]*><path /);
  expect(/<figure class="qr"[\s\S]*?<\/figure>/.exec(enrol)![0]).not.toMatch(/<script|on\w+=|href=/); // a drawing, nothing active
  const secret = /<code dir="ltr" id="totp-secret">([A-Z2-7 ]+)<\/code>/.exec(enrol)![1].replace(/ /g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  // Stored encrypted (AES-256-GCM with STAFF_TOTP_KEY), not yet active.
  const [stored] = await sql<Array<{ totp_secret: string; totp_enrolled_at: string | null }>>('select totp_secret, totp_enrolled_at from staff_user where username = ?', [username]);
  expect(stored.totp_secret.startsWith('v1.')).toBe(true);
  expect(stored.totp_secret).not.toContain(secret);
  expect(openSecret(totpKey(t.config), stored.totp_secret)).toBe(secret);
  expect(stored.totp_enrolled_at).toBeNull();
  // The same secret while enrolment is pending (scanned, then the page reloaded).
  expect((await (await b.get('/staff/login/enrol')).text())).toContain(enrol.match(/id="totp-secret">[^<]+/)![0]);

  const at = await stepWithRoom(12);
  const enrolToken = inputValue(enrol, '_csrf')!;
  const wrong = await b.postForm('/staff/login/enrol', { _csrf: enrolToken, code: (Number(await totpCode(secret, 0, at)) + 1).toString().padStart(6, '0').slice(-6) });
  expect(wrong.status).toBe(401);
  const wrongHtml = await wrong.text();
  expect(wrongHtml).toContain('Code incorrect');
  // The code of the previous step is accepted (clock drift): enrolled, recovery codes shown.
  const done = await b.postForm('/staff/login/enrol', { _csrf: inputValue(wrongHtml, '_csrf')!, code: await totpCode(secret, -1, at) });
  expect(done.status).toBe(200);
  expect(done.headers.get('cache-control')).toBe('no-store');
  const shown = await done.text();
  const recovery = [...shown.matchAll(/<li><code>([a-z2-9]{5}-[a-z2-9]{5})<\/code><\/li>/g)].map((m) => m[1]);
  expect(recovery).toHaveLength(10);
  expect(new Set(recovery).size).toBe(10);
  expect(shown).toContain('href="/staff/requests"');
  expect((await b.get('/staff/requests')).status).toBe(200); // signed in
  const hashes = await sql<Array<{ code_hash: string }>>('select code_hash from staff_recovery_code c join staff_user u on u.id = c.user_id where u.username = ?', [username]);
  expect(hashes).toHaveLength(10);
  for (const h of hashes) expect(recovery.some((c) => h.code_hash.includes(c.replace('-', '')))).toBe(false);
  expect(hashes.every((h) => /^[0-9a-f]{64}$/.test(h.code_hash))).toBe(true);

  // Next sign-ins: password, then code. The current step, then the next one (+1) pass; each once.
  const s1 = await password(username);
  expect(s1.location).toBe('/staff/login/code');
  expect(await code(s1.b, await totpCode(secret, 0, at))).toMatchObject({ status: 303, location: '/staff/requests' });
  const s2 = await password(username);
  const replay = await code(s2.b, await totpCode(secret, 0, at));
  expect(replay.status).toBe(401);
  expect(replay.html).toContain('Ce code a déjà servi. Attendez le code suivant (un nouveau toutes les 30 secondes).');
  expect(await code(s2.b, await totpCode(secret, 1, at))).toMatchObject({ status: 303, location: '/staff/requests' });
  const s3 = await password(username);
  const tooFar = await code(s3.b, await totpCode(secret, 2, at));
  expect(tooFar.status).toBe(401);
  expect(tooFar.html).toContain('Code incorrect : saisissez le code à 6 chiffres');
  const tooOld = await code(s3.b, await totpCode(secret, -2, at));
  expect(tooOld.status).toBe(401);

  // A recovery code works once (any case, with or without the dash).
  expect(await code(s3.b, recovery[3].toUpperCase().replace('-', ' '))).toMatchObject({ status: 303, location: '/staff/requests' });
  const s4 = await password(username);
  expect((await code(s4.b, recovery[3])).status).toBe(401);
  const used = await sql<Array<{ n: string }>>('select count(*) as n from staff_recovery_code c join staff_user u on u.id = c.user_id where u.username = ? and c.used_at is not null', [username]);
  expect(Number(used[0].n)).toBe(1);
  const audit = await sql<Array<{ action: string; details: { secondFactor?: string } }>>(
    "select a.action, a.details from audit_log a join staff_user u on u.id::text = a.actor_id where u.username = ? and a.action like 'staff.%' order by a.id", [username]);
  expect(audit.map((a) => [a.action, a.details.secondFactor ?? null])).toEqual([
    ['staff.totpEnrolled', null], ['staff.signIn', 'totp'], ['staff.signIn', 'totp'], ['staff.signIn', 'recovery'],
  ]);
});

test('wrong codes are throttled: after 5 from one address even the right code is refused (429 + Retry-After)', async () => {
  const username = await newDirector();
  const first = await password(username);
  const enrol = await (await first.b.get('/staff/login/enrol')).text();
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(enrol)![1].replace(/ /g, '');
  const at = await stepWithRoom(5);
  expect((await first.b.postForm('/staff/login/enrol', { _csrf: inputValue(enrol, '_csrf')!, code: await totpCode(secret, 0, at) })).status).toBe(200);
  const { b } = await password(username);
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await code(b, `00000${i}`)).status);
  expect(statuses).toEqual([401, 401, 401, 401, 401]);
  const page = await (await b.get('/staff/login/code')).text();
  const refused = await b.postForm('/staff/login/code', { _csrf: inputValue(page, '_csrf')!, code: await totpCode(secret, 1) });
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(860);
  expect(await refused.text()).toContain('Trop d&#x27;essais manqués pour ce compte depuis votre connexion. Réessayez dans 15 minutes');
});

test('the half-signed-in state expires after 10 minutes', async () => {
  const { b } = await password(await newDirector());
  // This browser's session row (the signed cookie is `s:<id>.<signature>`), aged by 11 minutes.
  const sid = decodeURIComponent(b.cookie('tasjil.sid')!).slice(2).split('.')[0];
  const aged = await sql(`update session set sess = jsonb_set(sess::jsonb, '{staffPending,at}', to_jsonb((extract(epoch from now()) * 1000 - 11 * 60 * 1000)::bigint))::json where sid = ?`, [sid]);
  void aged;
  expect((await sql<Array<{ at: string }>>(`select sess::jsonb->'staffPending'->>'at' as at from session where sid = ?`, [sid]))[0].at).toMatch(/^\d+$/);
  const res = await b.get('/staff/login/code');
  expect([res.status, res.headers.get('location')]).toEqual([303, '/staff/login']);
});

test('the demo staff accounts are enrolled with the demo secret (encrypted at rest); the demo code script prints the current code', async () => {
  const rows = await sql<Array<{ username: string; totp_secret: string; totp_enrolled_at: string | null }>>("select username, totp_secret, totp_enrolled_at from staff_user where username in ('director.04421A01', 'supervisor.04.421', 'academy.06', 'admin')");
  expect(rows).toHaveLength(4);
  for (const r of rows) {
    expect(Number.isNaN(Date.parse(String(r.totp_enrolled_at)))).toBe(false);
    expect(r.totp_secret).not.toContain(DEMO_TOTP_SECRET);
    expect(openSecret(totpKey(t.config), r.totp_secret)).toBe(DEMO_TOTP_SECRET);
  }
  const res = await signInStaff(client(), 'supervisor.04.421', 'Tasjil-Demo-2027');
  expect([res.status, res.headers.get('location')]).toEqual([303, '/staff/supervision/']);

  const root = path.join(__dirname, '..');
  const before = await totpCode(DEMO_TOTP_SECRET);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/totp.ts', 'director.04421A01'], { cwd: root });
  const after = await totpCode(DEMO_TOTP_SECRET);
  expect(stdout).toMatch(/^\d{6} {2}\(director\.04421A01; valid \d+ s more, then the next one\)\n$/);
  expect([before, after]).toContain(stdout.slice(0, 6));
});

test('the TOTP key: 32 bytes, and the development key is refused in production', () => {
  const prod = { NODE_ENV: 'production', SESSION_SECRET: 'a-real-secret-of-some-length', TEMPORAL_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`, TEMPORAL_CODEC_KEY_ID: 'k1' };
  expect(() => loadConfig(prod)).toThrow('STAFF_TOTP_KEY: must be set in production');
  expect(() => loadConfig({ STAFF_TOTP_KEY: Buffer.alloc(16).toString('base64') })).toThrow('STAFF_TOTP_KEY: must be 32 bytes, base64-encoded');
  expect(loadConfig({ ...prod, STAFF_TOTP_KEY: Buffer.alloc(32, 9).toString('base64') }).STAFF_TOTP_KEY).toBe(Buffer.alloc(32, 9).toString('base64'));
});
