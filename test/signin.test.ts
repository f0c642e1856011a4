/**
 * Sign-in hardening over real HTTP and PostgreSQL (issue 11, item 8):
 * - password spraying: one client address failing across many usernames is refused (429 +
 *   Retry-After, in the page's language), on the parents' space and the staff sign-in alike;
 * - an attacker's five failures lock the attacker's address for that account, never the owner
 *   signing in from another address; past 10 failures in an hour the account slows down (growing
 *   Retry-After) without ever locking;
 * - X-Forwarded-For is believed from a configured proxy only (TRUST_PROXY);
 * - sign-up and password reset answer the same whether an account exists; the owner of an
 *   existing account is told by their channel.
 * App A believes X-Forwarded-For from loopback (TRUST_PROXY=loopback: the tests are the proxy);
 * app B is the default (no proxy trusted) on the same database.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { parseAccountIdentifier } from '../domain/account';
import { OneTimeCode, ParentAccount } from '../entities';
import { createApp } from '../web/app';
import { signUp } from '../web/services/accounts';
import { closeServer, startTestApp, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';
import { signInStaff } from './support/staff';

let t: TestApp;
let untrusted: { baseUrl: string; server: Server; close(): Promise<void> };

beforeAll(async () => {
  t = await startTestApp({ withWorker: false, env: { TRUST_PROXY: 'loopback', SIGN_IN_FAILURES_PER_ADDRESS: '20' } });
  expect(t.config.trustProxy).toEqual(['loopback']);
  // This suite counts failures from the loopback address against a limit of 20: earlier suites'
  // failures from it in the same window (the shared test database's limiter rows) must not count.
  // The limiter keys hold an HMAC of the address, never the address: every sign-in throttle row goes
  // (suites run one at a time; this one starts from none).
  await t.orm.em.fork().getConnection().execute(`delete from rate_limit where key like 'signin-%'`);
  expect(await t.orm.em.fork().getConnection().execute(`select count(*)::int as n from rate_limit where key like 'signin-%'`)).toEqual([{ n: 0 }]);
  const { app, close } = createApp({ config: { ...t.config, TRUST_PROXY: '', trustProxy: [] }, orm: t.orm, temporal: t.temporal, log: pino({ level: 'silent' }) });
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  untrusted = { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, close };
});
afterAll(async () => {
  if (untrusted) { await closeServer(untrusted.server); await untrusted.close(); }
  await t?.stop();
});

const PASSWORD = 'Jardin-Tanger-2027';
/** A client address of its own for each use (TEST-NET ranges, random: nothing shared between tests). */
const freshAddress = () => `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0] % 250 + 1}`;

/** A verified parent account (made by the service, as a sign-up confirmed by its code). */
async function owner(identifier = `owner-${randomUUID().slice(0, 8)}@example.ma`, language: 'ar' | 'fr' = 'fr'): Promise<string> {
  const id = parseAccountIdentifier(identifier);
  if (!id.ok) throw new Error(id.error);
  const em = t.orm.em.fork();
  const { account } = await signUp(em, id.value, PASSWORD, language);
  await em.nativeUpdate(ParentAccount, { id: account.id }, { verifiedAt: new Date() });
  return id.value.value;
}

/** A browser with a sign-in page's CSRF token, talking to `baseUrl`. */
async function client(baseUrl = t.baseUrl, path = '/account/sign-in?lang=fr'): Promise<{ b: Browser; token: string }> {
  const b = new Browser(baseUrl);
  const html = await (await b.get(path)).text();
  return { b, token: inputValue(html, '_csrf')! };
}
/** Posts the parents' sign-in form, through a proxy that says the client is `xff` (when given). */
function signIn(c: { b: Browser; token: string }, identifier: string, password: string, xff?: string): Promise<Response> {
  const body = new URLSearchParams({ _csrf: c.token, identifier, password, next: '/space' });
  return c.b.request('/account/sign-in', { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(xff ? { 'X-Forwarded-For': xff } : {}) } });
}

describe('password spraying', () => {
  test('one client address failing across 25 usernames is refused from the 21st attempt, for every account and the staff sign-in; another address is not', async () => {
    const sprayer = freshAddress();
    const victim = await owner();
    const c = await client();
    const statuses: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 25; i++) {
      const res = await signIn(c, `spray-${i}-${randomUUID().slice(0, 6)}@example.ma`, 'Password-Guess-1', sprayer);
      statuses.push(res.status);
      if (i === 20) {
        // The window opened at the first failure: 15 minutes from then.
        const retry = Number(res.headers.get('retry-after'));
        expect(retry).toBeGreaterThanOrEqual(900 - Math.ceil((Date.now() - started) / 1000) - 1);
        expect(retry).toBeLessThanOrEqual(900);
        expect(await res.text()).toContain('Trop d&#x27;essais manqués depuis votre connexion. Réessayez dans 15 minutes.');
      } else await res.text();
    }
    expect(statuses).toEqual([...Array(20).fill(401), ...Array(5).fill(429)]);
    // The right password of a real account from that address: refused too (the address is locked, not the account).
    const right = await signIn(c, victim, PASSWORD, sprayer);
    expect(right.status).toBe(429);
    // In Arabic, the same refusal in Arabic.
    const ar = await client(t.baseUrl, '/account/sign-in?lang=ar');
    const arRes = await signIn(ar, victim, PASSWORD, sprayer);
    expect(arRes.status).toBe(429);
    expect(await arRes.text()).toContain('محاولات فاشلة كثيرة من اتصالكم. المرجو إعادة المحاولة بعد 15 دقيقة.');
    // The staff sign-in shares the address counter.
    const staff = new Browser(t.baseUrl);
    const login = await (await staff.get('/staff/login?lang=fr')).text();
    const staffRes = await staff.request('/staff/login', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': sprayer },
      body: new URLSearchParams({ _csrf: inputValue(login, '_csrf')!, username: 'director.04421A01', password: 'Tasjil-Demo-2027' }),
    });
    expect(staffRes.status).toBe(429);
    expect(await staffRes.text()).toContain('Trop d&#x27;essais manqués depuis votre connexion.');
    // The account's owner, from their own address, signs in.
    const ok = await signIn(await client(), victim, PASSWORD, freshAddress());
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/space');
    // Nothing in clear in the counters: keys are HMACs.
    const keys = await t.orm.em.fork().getConnection().execute<Array<{ key: string }>>('select key from rate_limit');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => k.key.includes(sprayer) || k.key.includes('@'))).toEqual([]);
  });
});

describe("an attacker's failures do not lock the owner out", () => {
  test("5 failures from the attacker's address lock that address for the account; the owner from another address signs in", async () => {
    const victim = await owner();
    const attacker = freshAddress();
    const c = await client();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await signIn(c, victim, `Wrong-Guess-${i}`, attacker)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const locked = await signIn(c, victim, PASSWORD, attacker);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(860);
    expect(await locked.text()).toContain('Trop d&#x27;essais manqués pour ce compte depuis votre connexion. Réessayez dans 15 minutes, ou réinitialisez le mot de passe.');
    const home = await signIn(await client(), victim, PASSWORD, freshAddress());
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/space');
  });

  test('past 10 failures in an hour from many addresses the account slows down (Retry-After 2 s, then 4 s), then the owner signs in', async () => {
    const victim = await owner();
    const c = await client();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await signIn(c, victim, `Distributed-${i}`, freshAddress())).status);
    expect(statuses).toEqual(Array(11).fill(401));
    const wait1 = await signIn(c, victim, PASSWORD, freshAddress());
    expect(wait1.status).toBe(429);
    expect(wait1.headers.get('retry-after')).toBe('2');
    expect(await wait1.text()).toContain('Trop d&#x27;essais manqués pour ce compte. Patientez 2 secondes avant de réessayer.');
    await new Promise((r) => setTimeout(r, 2100));
    expect((await signIn(c, victim, 'Distributed-12', freshAddress())).status).toBe(401);
    const wait2 = await signIn(c, victim, PASSWORD, freshAddress());
    expect(wait2.status).toBe(429);
    expect(wait2.headers.get('retry-after')).toBe('4');
    await new Promise((r) => setTimeout(r, 4100));
    const home = await signIn(await client(), victim, PASSWORD, freshAddress());
    expect(home.status).toBe(303);
  });
});

describe('X-Forwarded-For', () => {
  test('from an untrusted peer it is ignored: five failures "from" five addresses lock the peer address itself', async () => {
    const victim = await owner();
    const c = await client(untrusted.baseUrl);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await signIn(c, victim, `Spoofed-${i}`, freshAddress())).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const sixth = await signIn(c, victim, PASSWORD, freshAddress());
    expect(sixth.status).toBe(429);
    expect(await sixth.text()).toContain('Trop d&#x27;essais manqués pour ce compte depuis votre connexion.');
    // Behind the trusted proxy the same header is believed: another client address is not locked.
    const trusted = await signIn(await client(), victim, PASSWORD, freshAddress());
    expect(trusted.status).toBe(303);
  });

  test('the configuration accepts addresses, CIDRs and the names loopback/linklocal/uniquelocal only', async () => {
    const { loadConfig } = await import('../config');
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.0/8, loopback ,::1' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback', '::1']);
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow('TRUST_PROXY: "true" is neither an address, a CIDR nor loopback/linklocal/uniquelocal');
  });
});

describe('sign-up and reset say nothing of existing accounts', () => {
  /** The verify page with what legitimately differs (token, masked identifier) blanked. */
  const comparable = (html: string, masked: string) => html.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""').split(masked).join('MASKED');

  test('sign-up with an existing address gives the same pages as a new one; the owner gets a notice, once an hour, and keeps their password', async () => {
    const existing = await owner(`exists-${randomUUID().slice(0, 8)}@example.ma`, 'fr');
    const fresh = `new-${randomUUID().slice(0, 8)}@example.ma`;
    const run = async (identifier: string) => {
      const { b, token } = await client(t.baseUrl, '/account/sign-up?lang=fr');
      const res = await b.postForm('/account/sign-up', { _csrf: token, identifier, password: 'Autre-Jardin-2028', passwordConfirm: 'Autre-Jardin-2028', next: '/space' });
      const page = await (await b.get('/account/verify')).text();
      const wrong = await b.postForm('/account/verify', { _csrf: inputValue(page, '_csrf')!, code: '000001' });
      return { status: res.status, location: res.headers.get('location'), page, wrongStatus: wrong.status, wrong: await wrong.text() };
    };
    const a = await run(fresh);
    const e = await run(existing);
    expect([e.status, e.location]).toEqual([303, '/account/verify']);
    expect([a.status, a.location]).toEqual([e.status, e.location]);
    expect(comparable(e.page, `${existing[0]}•••@example.ma`)).toBe(comparable(a.page, `${fresh[0]}•••@example.ma`));
    expect([a.wrongStatus, e.wrongStatus]).toEqual([400, 400]);
    expect(a.wrong).toContain('Code incorrect. Essais restants : 4.');
    expect(e.wrong).toContain('Code incorrect. Essais restants : 4.');

    const messages = () => t.orm.em.fork().getConnection().execute<Array<{ channel: string; subject: string; body: string }>>(
      'select channel, subject, body from dev_outbox_message where recipient = ? order by id', [existing]);
    const sent = await (async () => { for (let i = 0; i < 50; i++) { const m = await messages(); if (m.length) return m; await new Promise((r) => setTimeout(r, 100)); } return []; })();
    expect(sent.map((m) => [m.channel, m.subject])).toEqual([['email', "Tentative de création d'un compte Tasjil avec votre adresse"]]);
    expect(sent[0].body).toContain(`Si c'était vous, connectez-vous ou réinitialisez votre mot de passe : ${t.config.publicBaseUrl}/account/sign-in`);
    const account = await t.orm.em.fork().findOneOrFail(ParentAccount, { email: existing });
    expect(await t.orm.em.fork().count(OneTimeCode, { account })).toBe(0);

    await run(existing); // a second try within the hour: the same pages, no second notice
    expect((await messages()).length).toBe(1);
    const home = await signIn(await client(), existing, PASSWORD, freshAddress());
    expect(home.status).toBe(303);
  });

  test('sign-up with an existing mobile number: the owner is told by SMS', async () => {
    const digits = `6${String(Date.now()).slice(-7)}`;
    await owner(`06${digits}`, 'ar');
    const { b, token } = await client(t.baseUrl, '/account/sign-up');
    const res = await b.postForm('/account/sign-up', { _csrf: token, identifier: `06 ${digits}`, password: 'Autre-Jardin-2028', passwordConfirm: 'Autre-Jardin-2028' });
    expect([res.status, res.headers.get('location')]).toEqual([303, '/account/verify']);
    const rows = await (async () => {
      for (let i = 0; i < 50; i++) {
        const r = await t.orm.em.fork().getConnection().execute<Array<{ channel: string; body: string }>>('select channel, body from dev_outbox_message where recipient = ?', [`+2126${digits}`]);
        if (r.length) return r;
        await new Promise((x) => setTimeout(x, 100));
      }
      return [];
    })();
    expect(rows).toEqual([{ channel: 'sms', body: `تسجيل: طُلب حساب جديد برقمكم المسجل. إن كنتم أنتم، سجلوا الدخول أو غيروا كلمة المرور: ${t.config.publicBaseUrl}/account/sign-in` }]);
  });

  test('a reset for an unknown address answers like a real one, down to the wrong-code message', async () => {
    const known = await owner();
    const unknown = `nobody-${randomUUID().slice(0, 8)}@example.ma`;
    const run = async (identifier: string) => {
      const { b } = await client();
      const page = await (await b.get('/account/reset?lang=fr')).text();
      const res = await b.postForm('/account/reset', { _csrf: inputValue(page, '_csrf')!, identifier });
      const codePage = await (await b.get('/account/reset/code')).text();
      const wrong = await b.postForm('/account/reset/code', { _csrf: inputValue(codePage, '_csrf')!, code: '000001', password: 'Nouveau-Jardin-2028', passwordConfirm: 'Nouveau-Jardin-2028' });
      const resend = await b.postForm('/account/reset/resend', { _csrf: inputValue(codePage, '_csrf')! });
      return [res.status, res.headers.get('location'), wrong.status, /Code incorrect\. Essais restants : 4\./.test(await wrong.text()), resend.status];
    };
    expect(await run(known)).toEqual([303, '/account/reset/code', 400, true, 429]);
    expect(await run(unknown)).toEqual([303, '/account/reset/code', 400, true, 429]);
  });
});

describe('staff sign-in', () => {
  test('5 wrong passwords from one address lock that address for the account; the owner from another address signs in (with the code)', async () => {
    // A staff account of its own (the demo accounts are shared by the other suites).
    const username = `director.signin-${randomUUID().slice(0, 6)}`;
    const argon2 = await import('argon2');
    await t.orm.em.fork().getConnection().execute(
      `insert into staff_user (id, username, password_hash, display_name, role, school_code, active, created_at) values (?, ?, ?, 'Test', 'director', '04421A01', true, now())`,
      [randomUUID(), username, await argon2.hash(PASSWORD, { type: argon2.argon2id })],
    );
    const attacker = freshAddress();
    const b = new Browser(t.baseUrl);
    const post = async (password: string, xff: string) => {
      const login = await (await b.get('/staff/login?lang=fr')).text();
      return b.request('/staff/login', {
        method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': xff },
        body: new URLSearchParams({ _csrf: inputValue(login, '_csrf')!, username, password }),
      });
    };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(`Wrong-${i}`, attacker)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const locked = await post(PASSWORD, attacker);
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain('Trop d&#x27;essais manqués pour ce compte depuis votre connexion.');
    const owner = await post(PASSWORD, freshAddress());
    expect([owner.status, owner.headers.get('location')]).toEqual([303, '/staff/login/enrol']);
    // The demo accounts sign in with password then code.
    const demo = await signInStaff(new Browser(t.baseUrl), 'director.04421A01', 'Tasjil-Demo-2027');
    expect([demo.status, demo.headers.get('location')]).toEqual([303, '/staff/requests']);
  });
});
