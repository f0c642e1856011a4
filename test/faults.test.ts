/**
 * Fault injection against the real sandboxes, through whole workflows on the Temporal dev server:
 * SMTP down then up, Twilio 500 then 200, Massar down then up, Massar refusing (4xx) then retried
 * from staff after a correction, and the worker killed in the middle of an export.
 *
 * This file runs its own worker on its own task queue, pointing at its own SMTP sandbox (which it
 * can stop and restart); Massar and SMS are the shared sandboxes of test/global-setup.ts, told to
 * fail through their `/__sandbox/*` routes. Workflows get short activity timeouts.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createMassarActivities, MassarClient } from '../activities/massar';
import type { Config } from '../config';
import { Notification, PreRegistration, PreRegistrationEvent, StaffUser } from '../entities';
import { startSmtpSandbox, type SmtpSandbox } from '../sandboxes/messaging/server';
import { connectTemporal, type TasjilTemporal } from '../temporal/client';
import { codecFromConfig } from '../temporal/codec';
import { notExported } from '../web/routes/reconciliation';
import { sendDecision, submitPreRegistration } from '../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { uniqueSuffix } from './support/stack';

jest.setTimeout(120_000);

let t: TestApp;
let cfg: Config;
let temporal: TasjilTemporal;
let smtp: SmtpSandbox;
let smtpPort: number;
let bundle: WorkflowBundleWithSourceMap;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;

const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** A running worker of this file; `kill()` gives up on it after 300 ms, losing its in-flight results. */
interface TestWorker { stop(): Promise<void>; kill(): Promise<void> }
let current: TestWorker | null = null;

async function startWorker(): Promise<TestWorker> {
  const { NativeConnection } = await import('@temporalio/worker');
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const { close, ...activities } = createActivities({ orm: t.orm, config: cfg });
  const worker = await Worker.create({
    connection, namespace: cfg.TEMPORAL_NAMESPACE, taskQueue: cfg.TEMPORAL_TASK_QUEUE, workflowBundle: bundle, activities,
    // Same payload encryption as workers/worker.ts and temporal/client.ts.
    dataConverter: { payloadCodecs: [codecFromConfig(cfg)] },
    shutdownForceTime: '300ms',
  });
  const running = worker.run().catch(() => undefined);
  const end = async () => {
    worker.shutdown();
    await running;
    close();
    await connection.close().catch(() => undefined);
  };
  return { stop: end, kill: end };
}

beforeAll(async () => {
  t = await startTestApp({ web: false, withWorker: false });
  photo = await testPhoto();
  school = await demoSchool(t);
  smtp = await startSmtpSandbox({ port: 0, databaseUrl: t.config.DATABASE_URL });
  smtpPort = smtp.port;
  cfg = { ...t.config, SMTP_PORT: smtpPort, TEMPORAL_TASK_QUEUE: `faults-${uniqueSuffix()}` } as Config;
  const facade = await connectTemporal(cfg);
  temporal = {
    ...facade,
    start: (input) => facade.start({ ...input, timeouts: { database: '10s', massar: '4s', notification: '10s' } }),
  };
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: silentLogger });
  current = await startWorker();
});

afterEach(async () => {
  await fetch(`${t.config.MASSAR_BASE_URL}/__sandbox/reset`, { method: 'POST' });
  await fetch(`${t.config.TWILIO_API_BASE_URL}/__sandbox/reset`, { method: 'POST' });
});

afterAll(async () => {
  await current?.stop();
  await temporal?.close();
  await smtp?.close();
  await t?.stop();
});

interface OutboxRow { channel: string; subject: string | null; body: string }
const outbox = (recipient: string) => t.orm.em.fork().getConnection().execute<OutboxRow[]>(
  'select channel, subject, body from dev_outbox_message where recipient = ? order by id', [recipient],
);

/** Submits a distinct child with its own email and mobile; its workflow runs on this file's queue. */
async function submit() {
  const national = `0612${String(randomInt(100_000, 999_999))}`;
  const email = `faults-${randomUUID().slice(0, 8)}@example.ma`;
  const base = validSubmission(school);
  const body = {
    ...base,
    civilStatus: { ...base.civilStatus, birthCertificateNumber: `FT-${randomUUID().slice(0, 12)}` },
    father: { ...base.father, phone: national, email },
  };
  const r = await submitPreRegistration({ em: t.orm.em.fork(), temporal }, body, photo, randomUUID());
  if (!r.ok) throw new Error(`submission refused: ${JSON.stringify(r.errors)}`);
  return { reference: r.reference, email, phone: `+212${national.slice(1)}` };
}

const untilStatus = (reference: string, status: string, timeoutMs = 60_000) =>
  eventually(async () => ((await temporal.status(reference)).status === status ? true : null), timeoutMs);

const notificationRow = async (reference: string, event: string, channel: string) => {
  const em = t.orm.em.fork();
  const pr = await em.findOneOrFail(PreRegistration, { reference });
  return em.findOne(Notification, { preRegistration: pr, event, channel: channel as 'email' });
};

const approve = (reference: string) => sendDecision(temporal, reference, { decision: 'approve', decidedBy: `director-faults-${uniqueSuffix()}` });

const studentsOf = (reference: string) => t.orm.em.fork().getConnection()
  .execute<{ massar_code: string }[]>('select massar_code from massar_sandbox_student where idempotency_key = ?', [reference]);

const massarFault = (path: 'fail-next' | 'delay-next', body: Record<string, unknown>) =>
  fetch(`${t.config.MASSAR_BASE_URL}/__sandbox/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    .then((r) => { if (!r.ok) throw new Error(`sandbox ${path}: HTTP ${r.status}`); });

test('SMTP down then up: the email arrives once, the SMS is not sent twice', async () => {
  await smtp.close();
  try {
    const { reference, email, phone } = await submit();
    // The first attempt failed on email (still pending, error kept) but sent the SMS.
    await eventually(async () => {
      const [e, s] = [await notificationRow(reference, 'received', 'email'), await notificationRow(reference, 'received', 'sms')];
      return e && e.status === 'pending' && e.attempts >= 1 && e.error && s?.status === 'sent';
    });
    expect((await notificationRow(reference, 'received', 'email'))!.error).toMatch(/SMTP server unavailable/);
    smtp = await startSmtpSandbox({ port: smtpPort, databaseUrl: t.config.DATABASE_URL });
    await untilStatus(reference, 'underReview');
    // "received" follows the status (checks and queue in one activity): wait for the retried email.
    await eventually(async () => (await notificationRow(reference, 'received', 'email'))?.status === 'sent');
    const row = await notificationRow(reference, 'received', 'email');
    expect(row).toMatchObject({ status: 'sent' });
    expect(row!.attempts).toBeGreaterThanOrEqual(2);
    expect(await outbox(email)).toHaveLength(1);
    expect(await outbox(phone)).toHaveLength(1);
    expect((await notificationRow(reference, 'received', 'sms'))!.attempts).toBe(1);
  } finally {
    // Whatever happened, leave an SMTP server listening for the other tests.
    if (!(await fetchSmtpAlive())) smtp = await startSmtpSandbox({ port: smtpPort, databaseUrl: t.config.DATABASE_URL });
  }
});

async function fetchSmtpAlive(): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.connect(smtpPort, '127.0.0.1', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

test('Twilio 500 then 200: the SMS is sent once, segments and SID stored', async () => {
  const r = await fetch(`${t.config.TWILIO_API_BASE_URL}/__sandbox/fail-next`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ count: 1, status: 500 }),
  });
  expect(r.ok).toBe(true);
  const { reference, email, phone } = await submit();
  await untilStatus(reference, 'underReview');
  await eventually(async () => (await notificationRow(reference, 'received', 'sms'))?.status === 'sent');
  const row = await notificationRow(reference, 'received', 'sms');
  expect(row).toMatchObject({ status: 'sent', attempts: 2 });
  expect(row!.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
  expect(row!.segments).toBeGreaterThanOrEqual(1);
  expect(await outbox(phone)).toHaveLength(1);
  expect(await outbox(email)).toHaveLength(1);
});

test('Massar down for a while then up: one student, the same code every time', async () => {
  const { reference, email, phone } = await submit();
  await untilStatus(reference, 'underReview');
  await massarFault('fail-next', { count: 2, status: 503 });
  await approve(reference);
  await untilStatus(reference, 'registered');
  const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
  const students = await studentsOf(reference);
  expect(students).toHaveLength(1);
  expect(students[0].massar_code).toBe(pr.massarCode);
  // Exporting again (e.g. a retry after a lost answer) gets the same code back.
  const again = await createMassarActivities({
    orm: t.orm, client: new MassarClient({ baseUrl: cfg.MASSAR_BASE_URL, clientId: cfg.MASSAR_CLIENT_ID, clientSecret: cfg.MASSAR_CLIENT_SECRET }),
  }).exportToMassar(reference);
  expect(again.massarCode).toBe(pr.massarCode);
  expect(await studentsOf(reference)).toHaveLength(1);
  // Email and SMS go out in parallel: wait for both.
  await eventually(async () => (await notificationRow(reference, 'registered', 'sms'))?.status === 'sent');
  await eventually(async () => (await notificationRow(reference, 'registered', 'email'))?.status === 'sent');
  expect((await outbox(email)).filter((m) => m.body.includes(pr.massarCode!))).toHaveLength(1);
  expect((await outbox(phone))).toHaveLength(2);
});

test('Massar 4xx: export failed with the reason, retried by staff after correction, registered once', async () => {
  const { reference, email } = await submit();
  await untilStatus(reference, 'underReview');
  await massarFault('fail-next', { count: 1, status: 400, message: 'birthCertificateNumber: unknown civil-status act' });
  await approve(reference);
  await untilStatus(reference, 'exportFailed');
  const em = t.orm.em.fork();
  const pr = await em.findOneOrFail(PreRegistration, { reference });
  expect(pr.status).toBe('exportFailed');
  expect(pr.exportError).toMatch(/HTTP 400.*unknown civil-status act/);
  expect(await studentsOf(reference)).toHaveLength(0);
  // The reconciliation page lists it, with Massar's reason, for the school's director only.
  const director = await em.findOneOrFail(StaffUser, { username: school.director.username }, { populate: ['school', 'directorate', 'academy'] });
  const listed = (await notExported(t.orm.em.fork(), director, 'fr')).find((row) => row.reference === reference);
  expect(listed).toMatchObject({ status: 'exportFailed', ageDays: 0, ageHours: 0 });
  expect(listed!.exportError).toMatch(/unknown civil-status act/);
  const other = await em.findOneOrFail(StaffUser, { role: 'director', school: { code: { $ne: school.schoolCode } } }, { populate: ['school', 'directorate', 'academy'] });
  expect((await notExported(t.orm.em.fork(), other, 'fr')).map((row) => row.reference)).not.toContain(reference);
  // The director corrects the record, then retries from the reconciliation page (same Update).
  pr.birthCertificateNumber = `FX-${uniqueSuffix()}`;
  await em.flush();
  await expect(temporal.retryExport(reference, 'director-faults')).resolves.toEqual({ status: 'approved' });
  await untilStatus(reference, 'registered');
  const done = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
  expect(done.exportError).toBeNull();
  expect((await notExported(t.orm.em.fork(), director, 'fr')).map((row) => row.reference)).not.toContain(reference);
  expect(await studentsOf(reference)).toEqual([{ massar_code: done.massarCode }]);
  const events = await t.orm.em.fork().find(PreRegistrationEvent, { preRegistration: done }, { orderBy: { id: 'asc' } });
  expect(events.map((e) => e.eventKey)).toEqual(expect.arrayContaining(['status:exportFailed', 'status:approved', 'status:registered']));
  await eventually(async () => (await notificationRow(reference, 'registered', 'email'))?.status === 'sent');
  expect((await outbox(email)).filter((m) => m.body.includes(done.massarCode!))).toHaveLength(1);
});

test('worker killed in the middle of an export, another started: no duplicate student, no duplicate message', async () => {
  const { reference, email, phone } = await submit();
  await untilStatus(reference, 'underReview');
  await massarFault('delay-next', { count: 1, delayMs: 2500 });
  await approve(reference);
  // Wait until Massar holds the slow request, then kill the worker in the middle of it.
  await eventually(async () => {
    const s = await (await fetch(`${t.config.MASSAR_BASE_URL}/__sandbox/state`)).json() as { delay: { count: number } };
    return s.delay.count === 0;
  }, 20_000);
  await current!.kill();
  current = await startWorker();
  await untilStatus(reference, 'registered', 90_000);
  const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
  expect(await studentsOf(reference)).toEqual([{ massar_code: pr.massarCode }]);
  await eventually(async () => (await notificationRow(reference, 'registered', 'sms'))?.status === 'sent');
  await eventually(async () => (await notificationRow(reference, 'registered', 'email'))?.status === 'sent');
  const mails = await outbox(email);
  expect(mails).toHaveLength(2); // received + registered, once each
  expect(mails.filter((m) => m.body.includes(pr.massarCode!))).toHaveLength(1);
  expect(await outbox(phone)).toHaveLength(2);
});
