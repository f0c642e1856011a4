/**
 * The response headers, exactly: helmet's strict Content Security Policy and companions on every
 * answer, `Cache-Control: no-store` on every page and API answer (personal data, CSRF tokens),
 * cacheable public static files; in production (NODE_ENV=production) HSTS, upgrade-insecure-requests
 * and Secure + HttpOnly + SameSite cookies.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import pino from 'pino';
import type { Config } from '../config';
import { createApp } from '../web/app';
import { closeServer, demoSchool, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';
import { signInStaff } from './support/staff';

let t: TestApp;
let school: Awaited<ReturnType<typeof demoSchool>>;
let reference: string;
let certificate: string;

const CSP = "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';form-action 'self';frame-ancestors 'none';object-src 'none';base-uri 'none'";

/** The headers every answer carries (test and development: no HSTS). */
const COMMON = {
  'content-security-policy': CSP,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

function expectHeaders(res: Response, cacheControl: string): void {
  const got = Object.fromEntries(Object.keys(COMMON).map((k) => [k, res.headers.get(k)]));
  expect(got).toEqual(COMMON);
  expect(res.headers.get('cache-control')).toBe(cacheControl);
  expect(res.headers.get('strict-transport-security')).toBeNull();
  expect(res.headers.get('x-powered-by')).toBeNull();
}

beforeAll(async () => {
  t = await startTestApp({ withWorker: false });
  school = await demoSchool(t);
  certificate = `HDR-${Date.now()}`;
  const base = validSubmission(school);
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...base, civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate }, photo: { data: (await testPhoto()).toString('base64') } }),
  });
  expect(res.status).toBe(201);
  reference = (await res.json() as { reference: string }).reference;
}, 120000);
afterAll(async () => { await t?.stop(); });

test('public pages and API answers: the strict CSP and no-store', async () => {
  const b = new Browser(t.baseUrl);
  for (const path of ['/', '/pre-registration/new', '/account/sign-in', '/staff/login', `/pre-registrations/${reference}`, `/pre-registrations/${reference}/receipt`, '/no-such-page']) {
    const res = await b.get(path);
    await res.text();
    expect([path, res.status < 500]).toEqual([path, true]);
    expectHeaders(res, 'no-store');
  }
  for (const path of [`/api/v1/pre-registrations/${reference}`, '/api/v1/school-map/academies', '/api/v1/openapi.json', '/api/v1/nothing', '/health']) {
    const res = await fetch(t.baseUrl + path);
    await res.text();
    expectHeaders(res, 'no-store');
  }
});

test('refused input is answered with the same headers (no-store, CSP)', async () => {
  const res = await fetch(`${t.baseUrl}/pre-registrations/a%00b`);
  expect(res.status).toBe(400);
  expectHeaders(res, 'no-store');
  const api = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' });
  expect(api.status).toBe(400);
  expect(await api.json()).toEqual({ error: 'malformed', message: { ar: expect.stringContaining('صيغة غير سليمة'), fr: expect.stringContaining('format incorrect') } });
  expectHeaders(api, 'no-store');
});

test('signed-in staff pages and exports: no-store (exports: private, no-store)', async () => {
  const b = new Browser(t.baseUrl);
  const signedIn = await signInStaff(b, school.director.username, school.director.password);
  expect(signedIn.status).toBe(303);
  for (const path of ['/staff/requests', `/staff/requests/${reference}`]) {
    const res = await b.get(path);
    expect(res.status).toBe(200);
    await res.text();
    expectHeaders(res, 'no-store');
  }
  const csv = await b.get('/staff/exports/approved.csv');
  expect(csv.status).toBe(200);
  await csv.text();
  expectHeaders(csv, 'private, no-store');
});

test('public static files are cacheable, without no-store', async () => {
  for (const path of ['/static/app.js', '/static/site.css', '/static/favicon.svg']) {
    const res = await fetch(t.baseUrl + path);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect([path, res.headers.get('cache-control')]).toEqual([path, 'public, max-age=0']);
    expect(res.headers.get('content-security-policy')).toBe(CSP);
  }
});

describe('production', () => {
  let server: Server;
  let base: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    // Behind the TLS proxy on the loopback (trusted: `trust proxy`), which says https by X-Forwarded-Proto.
    const config = { ...t.config, NODE_ENV: 'production', devOutbox: false, trustProxy: ['loopback'] } as Config;
    const created = createApp({ config, orm: t.orm, temporal: t.temporal, log: pino({ level: 'silent' }) });
    close = created.close;
    server = await new Promise<Server>((resolve) => { const s = created.app.listen(0, '127.0.0.1', () => resolve(s)); });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => { await closeServer(server); await close(); });

  test('HSTS, upgrade-insecure-requests, static files cached 7 days', async () => {
    const res = await fetch(`${base}/`);
    await res.text();
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect(res.headers.get('content-security-policy')).toBe(`${CSP};upgrade-insecure-requests`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const css = await fetch(`${base}/static/site.css`);
    await css.arrayBuffer();
    expect(css.headers.get('cache-control')).toBe('public, max-age=604800');
  });

  test('cookies: Secure, HttpOnly, SameSite=Lax (visitor, CSRF, language, then the session at sign-in)', async () => {
    const attrsOf = (res: Response) => res.headers.getSetCookie().map((c) => {
      const [pair, ...attrs] = c.split(';').map((x) => x.trim());
      return { name: pair.split('=')[0], attrs: attrs.filter((a) => !/^(Expires|Max-Age)=/i.test(a)).sort() };
    }).sort((a, b) => a.name.localeCompare(b.name));
    const flags = ['HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure'];
    const b = new Browser(base);
    const https = { 'X-Forwarded-Proto': 'https' };
    const page = await b.request('/staff/login?lang=fr', { headers: https });
    const html = await page.text();
    expect(attrsOf(page)).toEqual([
      { name: '__Host-tasjil.csrf', attrs: flags },
      { name: '__Host-tasjil.vid', attrs: flags },
      { name: 'lang', attrs: flags },
    ]);
    const body = new URLSearchParams({ _csrf: inputValue(html, '_csrf')!, username: school.director.username, password: school.director.password });
    const signedIn = await b.request('/staff/login', { method: 'POST', body, headers: { ...https, 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(signedIn.status).toBe(303);
    expect(attrsOf(signedIn).find((c) => c.name === 'tasjil.sid')).toEqual({ name: 'tasjil.sid', attrs: flags });
  });
});
