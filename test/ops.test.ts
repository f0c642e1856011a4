/**
 * Operations, in process against the test stack: readiness (`/ready` 200 with PostgreSQL and
 * Temporal up, 503 naming PostgreSQL when it is unreachable), request ids (`X-Request-Id` honoured
 * when safe, else generated), Prometheus metrics (`/metrics`: HTTP by route pattern, submissions
 * accepted and refused by reason, decisions, notifications, backlog gauges from PostgreSQL; bearer
 * token; not served in production without one) and the worker's health server.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomInt } from 'node:crypto';
import pino from 'pino';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../entities/orm';
import { createApp } from '../web/app';
import { loadConfig } from '../config';
import { startHealthServer } from '../observability/healthServer';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { gregorianToHijri } from '../domain/hijri';
import { freePort } from '../scripts/lib/temporal';
import { staffApiToken } from './support/staff';

let t: TestApp;
let photo: Buffer;
beforeAll(async () => {
  t = await startTestApp();
  photo = await testPhoto();
}, 120000);
afterAll(async () => { await t?.stop(); });

/** `Bearer <token>` of a fresh API token of the staff user `u` (HTTP Basic is refused). */
const bearer = async (u: string) => `Bearer ${await staffApiToken(t.orm, u)}`;

/** A valid API submission with a unique certificate, CIN, birth date and contact. */
async function submissionBody(): Promise<Record<string, unknown>> {
  const school = await demoSchool(t);
  const base = validSubmission(school);
  const birthDate = new Date(Date.UTC(2020, 0, 1) + randomInt(0, 480) * 86400000).toISOString().slice(0, 10);
  return {
    ...base,
    civilStatus: { ...base.civilStatus, birthDate, birthDateHijri: gregorianToHijri(birthDate), birthCertificateNumber: `${randomInt(1, 99999)}/${birthDate.slice(0, 4)}`, birthCertificateDate: birthDate },
    father: { ...base.father, cin: `K${randomInt(100000, 999999)}`, email: `o${randomInt(1, 1e9)}@example.ma`, phone: `0661${String(randomInt(0, 1e6)).padStart(6, '0')}` },
    photo: { data: photo.toString('base64') },
  };
}

/** The value of one sample (`name{labels} value`) in a Prometheus text exposition; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: string[] = (m[2] ?? '').match(/[a-zA-Z_]+="(?:[^"\\]|\\.)*"/g) ?? [];
    if (want.length === have.length && want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}

async function metrics(baseUrl = t.baseUrl, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
  return res.text();
}

/** Starts another app on an ephemeral port with `config` overrides (same ORM and Temporal unless given). */
async function otherApp(overrides: Partial<ReturnType<typeof loadConfig>>, deps: Partial<Pick<TestApp, 'orm'>> & { log?: pino.Logger } = {}): Promise<{ url: string; stop(): Promise<void> }> {
  const { app, close } = createApp({ config: { ...t.config, ...overrides }, orm: deps.orm ?? t.orm, temporal: t.temporal, log: deps.log ?? pino({ level: 'silent' }) });
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() { server.closeAllConnections(); await new Promise((r) => server.close(r)); await close(); },
  };
}

describe('readiness', () => {
  test('/ready answers 200 when PostgreSQL and Temporal answer; /health stays a liveness check', async () => {
    const res = await fetch(`${t.baseUrl}/ready`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', temporal: 'ok' } });
    const health = await fetch(`${t.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  test('/ready answers 503 naming PostgreSQL when it is unreachable (an app pointed at a dead port); /health still 200', async () => {
    const deadPort = await freePort();
    const deadUrl = `postgres://postgres@127.0.0.1:${deadPort}/tasjil_nowhere`;
    const orm = await MikroORM.init({ ...ormOptions(deadUrl), connect: false }); // every query fails: ECONNREFUSED
    const app = await otherApp({ DATABASE_URL: deadUrl }, { orm });
    try {
      const started = Date.now();
      const res = await fetch(`${app.url}/ready`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', checks: { postgres: 'unavailable', temporal: 'ok' }, failed: ['postgres'] });
      expect(Date.now() - started).toBeLessThan(t.config.READY_TIMEOUT_MS + 1500);
      expect((await fetch(`${app.url}/health`)).status).toBe(200);
    } finally {
      await app.stop();
      await orm.close(true).catch(() => undefined);
    }
  });

  test('the worker health server: /health 200, /ready follows the worker state, /metrics has the worker metrics', async () => {
    let running = true;
    const server = await startHealthServer({ port: 0, host: '127.0.0.1', ready: () => ({ ok: running, state: running ? 'RUNNING' : 'STOPPING' }), production: false });
    const url = `http://127.0.0.1:${server.port}`;
    try {
      expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
      let r = await fetch(`${url}/ready`);
      expect([r.status, await r.json()]).toEqual([200, { status: 'ready', worker: 'RUNNING' }]);
      running = false;
      r = await fetch(`${url}/ready`);
      expect([r.status, await r.json()]).toEqual([503, { status: 'unavailable', worker: 'STOPPING' }]);
      const text = await metrics(url);
      expect(text).toContain('# TYPE tasjil_notifications_total counter');
      expect(text).toContain('# TYPE tasjil_massar_export_duration_seconds histogram');
      expect((await fetch(`${url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('errors', () => {
  test('PostgreSQL away: 503 with Retry-After and the bilingual message, logged as a warning with the request id, the error code and the path masked; no stack or detail answered', async () => {
    const deadPort = await freePort();
    const orm = await MikroORM.init({ ...ormOptions(`postgres://postgres@127.0.0.1:${deadPort}/tasjil_nowhere`), connect: false });
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
    const app = await otherApp({}, { orm, log });
    try {
      const reference = 'P27-ABCDE-FGHJK';
      const res = await fetch(`${app.url}/api/v1/pre-registrations/${reference}?name=Yassine`, { headers: { 'X-Request-Id': 'err-probe-1' } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('10');
      const body = await res.json() as { error: string; message: { ar: string; fr: string } };
      expect(body).toEqual({
        error: 'unavailable',
        message: {
          ar: 'الخدمة غير متاحة للحظات. المرجو إعادة المحاولة بعد بضع ثوان (تحتفظ الصفحة السابقة بما كتبتموه). إعادة إرسال نفس الاستمارة لا تنشئ طلبا مكررا.',
          fr: 'Le service est indisponible pour quelques instants. Réessayez dans quelques secondes (la page précédente garde ce que vous avez saisi). Renvoyer le même formulaire ne crée pas de doublon.',
        },
      });
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const away = logged.find((l) => l.msg === 'dependency unavailable');
      expect(away).toMatchObject({ level: 40, reqId: 'err-probe-1', path: '/api/v1/pre-registrations/:reference', dependency: { code: 'ECONNREFUSED' } });
      expect(logged.find((l) => l.msg === 'request failed')).toBeUndefined();
      const completed = logged.find((l) => l.msg === 'request errored' || l.msg === 'request completed');
      expect(completed).toMatchObject({ reqId: 'err-probe-1', req: { method: 'GET', path: '/api/v1/pre-registrations/:reference' }, route: '/api/v1/pre-registrations/:reference' });
      expect(lines.join('\n')).not.toContain(reference);
      expect(lines.join('\n')).not.toContain('Yassine');
      // A page: the same answer as HTML, in the page's language then the other.
      const page = await fetch(`${app.url}/pre-registrations/${reference}?lang=fr`);
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('10');
      const html = await page.text();
      expect(html).toContain('Service momentanément indisponible');
      expect(html).toContain('الخدمة غير متاحة مؤقتا');
      expect(html).not.toMatch(/ECONNREFUSED|\bat .*\.(ts|js):\d+/);
    } finally {
      await app.stop();
      await orm.close(true).catch(() => undefined);
    }
  });

  test('a defect (an error that is not a dependency away) is a 500, logged with its stack and request id; the client gets no stack', async () => {
    const express = (await import('express')).default;
    const { errorHandler } = await import('../web/http/errors');
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
    const app = express();
    app.get('/api/v1/boom', () => { throw new TypeError('cannot read properties of undefined'); });
    app.use(errorHandler((err, req) => log.error({ err, reqId: req.get('x-request-id'), path: req.path }, 'request failed')));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/boom`, { headers: { 'X-Request-Id': 'err-probe-2' } });
      expect(res.status).toBe(500);
      expect(res.headers.get('retry-after')).toBeNull();
      const body = await res.text();
      expect(JSON.parse(body).error).toBe('server');
      expect(body).not.toMatch(/\bat .*\.(ts|js):\d+|cannot read/);
      const failure = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request failed');
      expect(failure).toMatchObject({ level: 50, reqId: 'err-probe-2', path: '/api/v1/boom', err: { type: 'TypeError', message: 'cannot read properties of undefined' } });
      expect((failure!.err as { stack: string }).stack).toMatch(/\n\s+at /);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('request ids', () => {
  test('a safe incoming X-Request-Id is echoed; an unsafe or too long one is replaced by a new UUID', async () => {
    const ok = await fetch(`${t.baseUrl}/health`, { headers: { 'X-Request-Id': 'lb-7f3a.9:x_Y-1' } });
    expect(ok.headers.get('x-request-id')).toBe('lb-7f3a.9:x_Y-1');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const bad of ['has space', 'x'.repeat(65), '<script>', 'é']) {
      const res = await fetch(`${t.baseUrl}/health`, { headers: { 'X-Request-Id': encodeURI(bad) === bad ? bad : encodeURI(bad) } });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(uuid);
    }
    const none = await fetch(`${t.baseUrl}/`);
    expect(none.headers.get('x-request-id')).toMatch(uuid);
  });
});

describe('metrics', () => {
  test('submissions accepted and refused (by reason), HTTP latency by route pattern, decisions, notifications, backlog from PostgreSQL', async () => {
    const before = await metrics();
    const body = await submissionBody();
    const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    const { reference } = (await res.json()) as { reference: string };
    const refused = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...(await submissionBody()), schoolCode: 'NOPE0000', photo: undefined }),
    });
    expect(refused.status).toBe(400);
    const status = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`);
    expect(status.status).toBe(200);
    // The workflow told the parent (email and SMS) and waits for the director.
    await eventually(async () => {
      const r = await t.orm.em.fork().getConnection().execute<{ status: string }[]>('select status from pre_registration where reference = ?', [reference]);
      return r[0]?.status === 'underReview';
    }, 45000);
    await eventually(async () => sample(await metrics(), 'tasjil_notifications_total', { event: 'received', channel: 'sms', outcome: 'sent' })
      > sample(before, 'tasjil_notifications_total', { event: 'received', channel: 'sms', outcome: 'sent' }), 30000);

    const school = await demoSchool(t);
    const auth = await bearer(school.director.username);
    const decided = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}/decision`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth }, body: JSON.stringify({ decision: 'approve' }),
    });
    expect(decided.status).toBe(200);
    const again = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}/decision`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth }, body: JSON.stringify({ decision: 'approve' }),
    });
    expect(again.status).toBe(409);

    // Approved, exported to Massar, registered: then nothing moves while the backlog is compared.
    await eventually(async () => {
      const r = await t.orm.em.fork().getConnection().execute<{ status: string }[]>('select status from pre_registration where reference = ?', [reference]);
      return r[0]?.status === 'registered';
    }, 45000);
    const after = await metrics();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('tasjil_submissions_accepted_total')).toBe(1);
    expect(delta('tasjil_submissions_refused_total', { reason: 'validation.unknownSchool' })).toBe(1);
    expect(delta('tasjil_submissions_refused_total', { reason: 'validation.photo.required' })).toBe(1);
    expect(delta('tasjil_decisions_total', { outcome: 'approve' })).toBe(1);
    expect(delta('tasjil_decisions_total', { outcome: 'refused' })).toBe(1);
    expect(delta('tasjil_notifications_total', { event: 'received', channel: 'email', outcome: 'sent' })).toBe(1);
    expect(delta('tasjil_massar_export_duration_seconds_count', { outcome: 'exported' })).toBe(1);
    expect(delta('tasjil_massar_export_refusals_total')).toBe(0);
    // Routes as patterns with their status, never the raw path with the reference.
    expect(delta('tasjil_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/pre-registrations', status: '201' })).toBe(1);
    expect(delta('tasjil_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/pre-registrations', status: '400' })).toBe(1);
    expect(delta('tasjil_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/pre-registrations/:reference', status: '200' })).toBe(1);
    expect(delta('tasjil_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/pre-registrations/:reference/decision', status: '409' })).toBe(1);
    expect(after).not.toContain(reference);
    // Backlog gauges: PostgreSQL's own counts at scrape time.
    const counts = await t.orm.em.fork().getConnection().execute<{ status: string; n: string }[]>('select status, count(*) as n from pre_registration group by status');
    for (const s of ['submitted', 'underReview', 'approved', 'registered', 'rejected']) {
      expect(sample(after, 'tasjil_requests', { status: s })).toBe(Number(counts.find((c) => c.status === s)?.n ?? 0));
    }
    const [oldest] = await t.orm.em.fork().getConnection().execute<{ age: string | null }[]>(
      "select extract(epoch from now() - min(submitted_at)) as age from pre_registration where status in ('submitted', 'underReview')",
    );
    expect(Math.abs(sample(after, 'tasjil_oldest_waiting_request_age_seconds') - Number(oldest.age ?? 0))).toBeLessThan(5);
  }, 120000);

  test('with METRICS_TOKEN, /metrics needs `Authorization: Bearer <token>`; in production without one it is not served', async () => {
    const token = 'scrape-token-0123456789abcdef';
    const guarded = await otherApp({ METRICS_TOKEN: token });
    try {
      expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/metrics`, { headers: { Authorization: `Bearer ${token}x` } })).status).toBe(401);
      expect(await metrics(guarded.url, { Authorization: `Bearer ${token}` })).toContain('# TYPE tasjil_submissions_accepted_total counter');
    } finally {
      await guarded.stop();
    }
    const production = await otherApp({ NODE_ENV: 'production', METRICS_TOKEN: undefined });
    try {
      expect((await fetch(`${production.url}/metrics`)).status).toBe(404);
    } finally {
      await production.stop();
    }
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: at least 24 characters/);
    expect(loadConfig({ METRICS_TOKEN: token }).METRICS_TOKEN).toBe(token);
  });
});
