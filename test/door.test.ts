/**
 * The door under load (issue 10): what an anonymous read writes (nothing), the API's photo as raw
 * bytes (multipart), and the intake outbox — a submission is accepted once stored, its workflow
 * started after by the intake starter. Real PostgreSQL, Temporal, worker and HTTP.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createApp } from '../web/app';
import { IntakeStarter } from '../web/services/intakeStarter';
import { closeServer, demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;
/** This file's app, with an intake starter the tests start themselves. */
let baseUrl: string;
let server: Server;
let closeApp: () => Promise<void>;
let starter: IntakeStarter;

beforeAll(async () => {
  t = await startTestApp({ web: false });
  photo = await testPhoto();
  school = await demoSchool(t);
  starter = new IntakeStarter(t.orm, t.temporal, pino({ level: 'silent' }), { sweepMs: 200 });
  const { app, close } = createApp({ config: { ...t.config, PORT: 0 }, orm: t.orm, temporal: t.temporal, log: pino({ level: 'silent' }), starter });
  closeApp = close;
  server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await starter?.close();
  if (server) await closeServer(server);
  await closeApp?.();
  await t?.stop();
});

const sql = <T>(query: string, params: unknown[] = []) => t.orm.em.fork().getConnection().execute<T[]>(query, params);
const sessionRows = async () => Number((await sql<{ n: string }>('select count(*) as n from session'))[0].n);
const uniqueBody = () => {
  const base = validSubmission(school);
  return {
    ...base,
    civilStatus: { ...base.civilStatus, birthCertificateNumber: `DOOR-${randomUUID().slice(0, 8)}` },
    father: { ...base.father, phone: `0661${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`, email: `door-${randomUUID().slice(0, 8)}@example.ma` },
  };
};
const workflowExists = async (reference: string) => {
  try {
    await t.temporal.handle(reference).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
};

test('a submission is accepted once stored; its workflow is started after, by the intake starter (outbox), then reaches underReview', async () => {
  const res = await fetch(`${baseUrl}/api/v1/pre-registrations`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({ ...uniqueBody(), photo: { data: photo.toString('base64') } }),
  });
  expect(res.status).toBe(201);
  const { reference, status } = (await res.json()) as { reference: string; status: string };
  expect(status).toBe('submitted');
  // The starter has not been started: the request waits in PostgreSQL, no workflow yet.
  const [row] = await sql<{ status: string; waiting: boolean }>('select status, workflow_start_requested_at is not null as waiting from pre_registration where reference = ?', [reference]);
  expect(row).toEqual({ status: 'submitted', waiting: true });
  expect(await workflowExists(reference)).toBe(false);

  starter.start();
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview', 60_000);
  const [after] = await sql<{ status: string; waiting: boolean }>('select status, workflow_start_requested_at is not null as waiting from pre_registration where reference = ?', [reference]);
  expect(after).toEqual({ status: 'underReview', waiting: false });
  const runs: string[] = [];
  for await (const w of t.temporal.client.workflow.list({ query: `WorkflowId = 'preRegistration-${reference}'` })) runs.push(w.runId);
  expect(runs).toHaveLength(1);
});

test('the API takes the photo as raw bytes (multipart: a JSON `submission` part and a `photo` file part), normalised like the base64 one', async () => {
  const big = await sharp({ create: { width: 1200, height: 1600, channels: 3, background: { r: 120, g: 140, b: 160 } } }).jpeg({ quality: 90 }).toBuffer();
  const fd = new FormData();
  fd.append('submission', new Blob([JSON.stringify(uniqueBody())], { type: 'application/json' }), 'submission.json');
  fd.append('photo', new Blob([big], { type: 'image/jpeg' }), 'photo.jpg');
  const res = await fetch(`${baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Idempotency-Key': randomUUID() }, body: fd });
  expect(res.status).toBe(201);
  const { reference } = (await res.json()) as { reference: string };
  const [stored] = await sql<{ content_type: string; width: number; height: number; bytes: Buffer }>(
    'select ph.content_type, ph.width, ph.height, ph.bytes from pre_registration p join photo ph on ph.key = p.photo_key where p.reference = ?', [reference],
  );
  expect([stored.content_type, stored.width, stored.height]).toEqual(['image/jpeg', 600, 800]);
  expect((await sharp(stored.bytes).metadata()).format).toBe('jpeg');

  // The submission as a plain text field works too; a photo that is not an image is refused at its field.
  const text = new FormData();
  text.append('submission', JSON.stringify(uniqueBody()));
  text.append('photo', new Blob([Buffer.from('not an image at all')], { type: 'image/jpeg' }), 'photo.jpg');
  const refused = await fetch(`${baseUrl}/api/v1/pre-registrations`, { method: 'POST', body: text });
  expect(refused.status).toBe(400);
  const body = (await refused.json()) as { error: string; errors: Array<{ field: string; code: string }> };
  expect(body.error).toBe('validation');
  expect(body.errors.map((e) => [e.field, e.code])).toEqual([['photo', 'validation.photo.unsupported']]);

  const notJson = new FormData();
  notJson.append('submission', '{"level": ');
  notJson.append('photo', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
  const bad = await fetch(`${baseUrl}/api/v1/pre-registrations`, { method: 'POST', body: notJson });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: string }).error).toBe('badRequest');
});

test('an anonymous visit to the status page and the form writes no session row; unlocking (a write) still works with the CSRF token of the page', async () => {
  const res = await fetch(`${baseUrl}/api/v1/pre-registrations`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...uniqueBody(), photo: { data: photo.toString('base64') } }),
  });
  expect(res.status).toBe(201);
  const { reference } = (await res.json()) as { reference: string };
  const [{ birth_certificate_number: certificate }] = await sql<{ birth_certificate_number: string }>('select birth_certificate_number from pre_registration where reference = ?', [reference]);

  const before = await sessionRows();
  const visitor = new Browser(baseUrl);
  for (let i = 0; i < 3; i++) {
    const page = await visitor.get(`/pre-registrations/${reference}`);
    expect(page.status).toBe(200);
    const cookies = page.headers.getSetCookie().map((c) => c.split('=')[0]);
    expect(cookies).not.toContain('tasjil.sid');
    await page.text();
  }
  const anonymous = await fetch(`${baseUrl}/pre-registrations/${reference}`);
  expect(anonymous.status).toBe(200);
  expect((await fetch(`${baseUrl}/pre-registration/new`)).status).toBe(200);
  expect(await sessionRows()).toBe(before);

  // The unlock form of that page still posts with its token (bound to the visitor cookie); the session is stored then.
  const html = await (await visitor.get(`/pre-registrations/${reference}`)).text();
  const csrf = inputValue(html, '_csrf');
  expect(csrf).toBeTruthy();
  const forged = await new Browser(baseUrl).postForm(`/pre-registrations/${reference}/unlock`, { _csrf: csrf!, birthCertificateNumber: certificate });
  expect(forged.status).toBe(403);
  const unlock = await visitor.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: csrf!, birthCertificateNumber: certificate });
  expect(unlock.status).toBe(303);
  expect(unlock.headers.get('location')).toBe(`/pre-registrations/${reference}#manage`);
  expect(await sessionRows()).toBe(before + 1);
  const managed = await (await visitor.get(`/pre-registrations/${reference}`)).text();
  expect(managed).toContain(`href="/pre-registrations/${reference}/withdraw"`);
});

test('in a burst (4 requests at once in the door) the starter holds the pipeline back to its burst rate; the burst over, it catches up', async () => {
  await starter.close(); // this file's starter: from here on, only the one below starts workflows
  const references: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${baseUrl}/api/v1/pre-registrations`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...uniqueBody(), photo: { data: photo.toString('base64') } }),
    });
    expect(res.status).toBe(201);
    references.push(((await res.json()) as { reference: string }).reference);
  }
  const pending = async () => Number((await sql<{ n: string }>('select count(*) as n from pre_registration where workflow_start_requested_at is not null'))[0].n);
  const waiting = await pending();
  expect(waiting).toBeGreaterThanOrEqual(3);

  const clock = { ms: Date.now() };
  const held = new IntakeStarter(t.orm, t.temporal, pino({ level: 'silent' }), { sweepMs: 100, burstInFlight: 4, burstRate: 0.2, now: () => clock.ms });
  try {
    const leave = [held.entering(), held.entering(), held.entering()];
    expect(held.inBurst()).toBe(false); // 3 at once: not yet
    leave.push(held.entering());
    expect(held.inBurst()).toBe(true); // 4 at once
    for (const l of leave) { l(); l(); } // leaving twice counts once
    expect(held.inBurst()).toBe(true); // within the 5 s after
    expect(held.entering()).toBeInstanceOf(Function); // 1 in flight: no new burst moment
    clock.ms += 4999; // a burst lasts 5 s after the last busy moment (brief lulls do not end it)
    expect(held.inBurst()).toBe(true);

    // In the burst: one start per round (0.2/s: the next round in 5 s), however many wait.
    held.start();
    await eventually(async () => (await pending()) === waiting - 1, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await pending()).toBe(waiting - 1);

    // The burst over (5 s with fewer than 4 at once): the rest are started at full rate.
    clock.ms += 2;
    expect(held.inBurst()).toBe(false);
    await eventually(async () => (await pending()) === 0, 30_000);
    for (const reference of references) await eventually(async () => (await t.temporal.status(reference)).status === 'underReview', 60_000);
  } finally {
    await held.close();
  }
}, 120_000);

test('every request of the door is counted in flight while handled and out once answered (pages, API, refusals, a client gone midway)', async () => {
  expect(starter.inFlightRequests).toBe(0);
  const gate = fetch(`${baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"level": ' });
  expect((await gate).status).toBe(400);
  const pages = await Promise.all(['/pre-registration/new', '/no-such-page', '/health', '/api/v1/openapi.json'].map((p) => fetch(baseUrl + p)));
  expect(pages.map((r) => r.status)).toEqual([200, 404, 200, 200]);
  await Promise.all(pages.map((r) => r.arrayBuffer()));
  // A client that sends half a body and goes away.
  const aborted = new AbortController();
  const half = fetch(`${baseUrl}/api/v1/pre-registrations`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, signal: aborted.signal, duplex: 'half',
    body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('{"level": "primary1", ')); } }),
  } as RequestInit).catch((err: Error) => err.name);
  await eventually(async () => starter.inFlightRequests === 1, 10_000);
  aborted.abort();
  expect(await half).toBe('AbortError');
  await eventually(async () => starter.inFlightRequests === 0, 10_000);
});

test('an intake starter refuses a burst rate of 0: the pipeline never stops', () => {
  expect(() => new IntakeStarter(t.orm, t.temporal, pino({ level: 'silent' }), { burstRate: 0 })).toThrow('burstRate must be more than 0');
});

test("the README's example submission (docs/examples/submission.json, its photo docs/examples/photo.jpg) is accepted as it stands, and its JSON status answers", async () => {
  const examples = path.join(__dirname, '..', 'docs', 'examples');
  const example = readFileSync(path.join(examples, 'submission.json'), 'utf8');
  const fd = new FormData();
  fd.append('submission', new Blob([example], { type: 'application/json' }), 'submission.json');
  fd.append('photo', new Blob([readFileSync(path.join(examples, 'photo.jpg'))], { type: 'image/jpeg' }), 'photo.jpg');
  const res = await fetch(`${baseUrl}/api/v1/pre-registrations`, { method: 'POST', body: fd });
  const body = (await res.json()) as { reference: string; status: string; statusUrl: string };
  expect([res.status, body.status]).toEqual([201, 'submitted']);
  expect(body.statusUrl).toBe(`${t.config.publicBaseUrl}/pre-registrations/${body.reference}`);
  // The README's next step: the status by reference, through the API.
  const status = await fetch(`${baseUrl}/api/v1/pre-registrations/${body.reference}`);
  expect(status.status).toBe(200);
  expect(((await status.json()) as { reference: string }).reference).toBe(body.reference);
});
