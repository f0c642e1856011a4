/**
 * The real web and worker processes (`node --import tsx web/server.ts`, `workers/worker.ts`) as
 * child processes on free ports against the test stack, their log output captured:
 * - a submission's request id appears in a web log line and in an activity log line (Temporal's
 *   activity logger, with the workflow id), and no name, CIN, phone, email or certificate number of
 *   the submission appears in any line;
 * - SIGTERM under load: every submission answered 2xx is in PostgreSQL and has its workflow, no
 *   answer is a 5xx other than a clean 503 once shutdown began, and the web process exits 0
 *   within its deadline; the worker drains and exits 0 too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Knex } from '@mikro-orm/postgresql';
import pino from 'pino';
import { gregorianToHijri } from '../domain/hijri';
import { IntakeStarter } from '../web/services/intakeStarter';
import { freePort } from '../scripts/lib/temporal';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { uniqueSuffix } from './support/stack';

const ROOT = path.resolve(__dirname, '..');
const SHUTDOWN_DEADLINE_MS = 8000;

interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function startProcess(file: string, env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (l) => lines.push(l));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  return { child, lines, exited };
}

function json(lines: string[]): Array<Record<string, unknown>> {
  return lines.flatMap((l) => { try { return [JSON.parse(l) as Record<string, unknown>]; } catch { return []; } });
}

let t: TestApp;
let web: Proc;
let worker: Proc;
let webUrl = '';
let workerUrl = '';
let photo: Buffer;

beforeAll(async () => {
  // ORM, demo data and a Temporal client for the assertions; the worker and web are child processes.
  t = await startTestApp({ withWorker: false, web: false });
  photo = await testPhoto();
  const [webPort, workerHealthPort] = await Promise.all([freePort(), freePort()]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    TEMPORAL_TASK_QUEUE: `tasjil-ops-${uniqueSuffix()}`,
    PORT: String(webPort),
    WORKER_HEALTH_PORT: String(workerHealthPort),
    TEMPORAL_METRICS_ADDRESS: '',
    SHUTDOWN_DEADLINE_MS: String(SHUTDOWN_DEADLINE_MS),
    WORKER_SHUTDOWN_GRACE_MS: '10000',
    // One web process (the default is one per core under node:cluster, each shutting down the same way).
    WEB_PROCESSES: '1',
  };
  worker = startProcess('workers/worker.ts', env);
  web = startProcess('web/server.ts', env);
  webUrl = `http://127.0.0.1:${webPort}`;
  workerUrl = `http://127.0.0.1:${workerHealthPort}`;
  const up = (url: string, p: Proc) => eventually(async () => {
    if (p.child.exitCode !== null) throw new Error(`exited ${p.child.exitCode}:\n${p.lines.slice(-20).join('\n')}`);
    return (await fetch(`${url}/ready`)).status === 200;
  }, 150000);
  await Promise.all([up(webUrl, web), up(workerUrl, worker)]);
}, 240000);

afterAll(async () => {
  for (const p of [web, worker]) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await t?.stop();
});

/** A valid API submission, unique names, CIN, certificate, phone and email. */
async function submission(): Promise<{ body: Record<string, unknown>; secrets: string[] }> {
  const school = await demoSchool(t);
  const base = validSubmission(school);
  const birthDate = new Date(Date.UTC(2020, 0, 1) + randomInt(0, 480) * 86400000).toISOString().slice(0, 10);
  const n = randomInt(100000, 999999);
  const cin = `K${n}`;
  const phoneDigits = String(randomInt(0, 1e6)).padStart(6, '0');
  const email = `secret.${n}@example.ma`;
  const certificate = `${randomInt(1, 99999)}/${birthDate.slice(0, 4)}`;
  const firstLatin = `Zakariae${String.fromCharCode(97 + (n % 26))}`;
  const fatherLast = `Bennaceur${String.fromCharCode(97 + (n % 26))}${String.fromCharCode(97 + ((n >> 5) % 26))}`;
  const body = {
    ...base,
    child: { ...base.child, firstNameLatin: firstLatin, firstNameAr: 'زكرياء' },
    civilStatus: { ...base.civilStatus, birthDate, birthDateHijri: gregorianToHijri(birthDate), birthCertificateNumber: certificate, birthCertificateDate: birthDate },
    father: { ...base.father, lastNameLatin: fatherLast, cin, email, phone: `0661${phoneDigits}`, address: `${n} زنقة الياسمين` },
    photo: { data: photo.toString('base64') },
  };
  const secrets = [firstLatin, 'زكرياء', fatherLast, cin, email, `661${phoneDigits}`, certificate, `${n} زنقة الياسمين`];
  return { body, secrets };
}

describe('the web and worker processes', () => {
  test('a request id goes from the web log line to the activity log lines; no personal data in any line', async () => {
    const { body, secrets } = await submission();
    const requestId = `ops-${uniqueSuffix()}`;
    const res = await fetch(`${webUrl}/api/v1/pre-registrations`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Request-Id': requestId }, body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const { reference } = (await res.json()) as { reference: string };

    // The web's request line.
    const webLine = await eventually(async () => json(web.lines).find((l) => l.reqId === requestId && l.msg === 'request completed'));
    expect(webLine).toMatchObject({ service: 'web', reqId: requestId, req: { method: 'POST', path: '/api/v1/pre-registrations' }, res: { status: 201 }, route: '/api/v1/pre-registrations' });
    // The notification activity's line, through Temporal's activity logger: request id and workflow id.
    const activityLine = await eventually(async () => json(worker.lines).find((l) => l.requestId === requestId && l.activityType === 'notifyParent' && l.msg === 'activity completed'), 60000);
    expect(activityLine).toMatchObject({ service: 'worker', requestId, workflowId: `preRegistration-${reference}`, activityType: 'notifyParent', attempt: 1 });
    // Every activity of this workflow so far carried it.
    const activityLines = json(worker.lines).filter((l) => l.workflowId === `preRegistration-${reference}` && typeof l.activityType === 'string');
    expect(activityLines.length).toBeGreaterThanOrEqual(2);
    expect(activityLines.every((l) => l.requestId === requestId)).toBe(true);

    // No personal data of the submission anywhere in either process's output.
    const all = [...web.lines, ...worker.lines].join('\n');
    if (process.env.TASJIL_OPS_DUMP_LOGS === '1') process.stdout.write(`${all}\n`);
    for (const s of secrets) expect({ secret: s, found: all.includes(s) }).toEqual({ secret: s, found: false });
  }, 120000);

  test('SIGTERM under load: every 2xx is durable with its workflow, no 5xx but a clean 503, exit 0 within the deadline; the worker drains and exits 0', async () => {
    const results: Array<{ status: number; reference?: string; afterSignal: boolean; inFlightAtSignal: boolean; retryAfter?: string | null }> = [];
    const failures: Array<{ error: string; afterSignal: boolean }> = [];
    let signalled = false;
    let stop = false;
    const loop = async () => {
      while (!stop) {
        const { body } = await submission().catch(() => ({ body: null }));
        if (!body) break;
        const afterSignalAtStart = signalled;
        try {
          const res = await fetch(`${webUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
          const text = await res.text();
          let reference: string | undefined;
          try { reference = (JSON.parse(text) as { reference?: string }).reference; } catch { /* not JSON */ }
          results.push({ status: res.status, reference, afterSignal: afterSignalAtStart || signalled, inFlightAtSignal: !afterSignalAtStart && signalled, retryAfter: res.headers.get('retry-after') });
        } catch (err) {
          failures.push({ error: String((err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message), afterSignal: afterSignalAtStart || signalled });
          if (signalled) await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const loops = Array.from({ length: 6 }, () => loop());
    // Whatever happens below, the loops stop before the suite closes the ORM they read from.
    const stopLoops = async () => { stop = true; await Promise.all(loops); };
    // Load first, then SIGTERM in the middle of it. To be sure a submission is inside the web
    // process when the signal comes: hold the table's lock so its insert waits, signal once
    // PostgreSQL shows it waiting, release the lock 500 ms later.
    const knex = t.orm.em.getConnection().getKnex();
    let lock: Knex.Transaction | undefined;
    let waitingAtSignal = 0;
    let signalledAt = 0;
    try {
      await eventually(async () => results.filter((r) => r.status === 201).length >= 10, 60000);
      lock = await knex.transaction();
      await lock.raw('lock table pre_registration in exclusive mode');
      waitingAtSignal = await eventually(async () => {
        const r = await knex.raw<{ rows: Array<{ n: number }> }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%insert into pre_registration (%'`,
        );
        return r.rows[0].n >= 1 ? r.rows[0].n : undefined;
      }, 30000);
      signalledAt = Date.now();
      signalled = true;
      web.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
    } catch (err) {
      await lock?.commit();
      await stopLoops();
      throw err;
    }
    await lock.commit();
    const exit = await web.exited;
    await stopLoops();

    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(exit.at - signalledAt).toBeLessThan(SHUTDOWN_DEADLINE_MS + 3000);
    expect(web.lines.some((l) => l.includes('"msg":"web stopped"'))).toBe(true);

    // Answers: 201, or a clean 503 (with Retry-After) once shutdown began; never another 5xx or 4xx.
    const unexpected = results.filter((r) => r.status !== 201 && !(r.status === 503 && r.afterSignal));
    expect(unexpected).toEqual([]);
    // Connections refused or reset are only seen after the signal (the server stopped accepting).
    expect(failures.filter((f) => !f.afterSignal)).toEqual([]);

    // Requests in flight when the signal came were finished (sent before it, answered 201 after it):
    // at least those whose insert was waiting on the lock.
    expect(results.filter((r) => r.inFlightAtSignal && r.status === 201).length).toBeGreaterThanOrEqual(waitingAtSignal);
    process.stdout.write(`[ops] SIGTERM under load: ${results.length} answers (${results.filter((r) => r.status === 201).length} × 201, ${results.filter((r) => r.inFlightAtSignal).length} in flight at the signal), ${failures.length} refused connections after it; exit ${exit.at - signalledAt} ms after the signal\n`);

    // Every 201 is durable in PostgreSQL; its workflow was started, or is started by the intake
    // outbox's next sweep (any web process's starter; here one in the test process).
    const accepted = results.filter((r) => r.status === 201).map((r) => r.reference!);
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    const rows = await t.orm.em.fork().getConnection().execute<{ reference: string }[]>(
      `select reference from pre_registration where reference in (${accepted.map(() => '?').join(', ')})`, accepted,
    );
    expect(rows.map((r) => r.reference).sort()).toEqual([...accepted].sort());
    const starter = new IntakeStarter(t.orm, t.temporal, pino({ level: 'silent' })).start();
    try {
      for (const reference of accepted) {
        const d = await eventually(() => t.temporal.handle(reference).describe(), 60000);
        expect(d.workflowId).toBe(`preRegistration-${reference}`);
      }
    } finally {
      await starter.close();
    }

    // The worker: SIGTERM, stops polling, drains, exits 0.
    worker.child.kill('SIGTERM');
    const w = await worker.exited;
    expect({ code: w.code, signal: w.signal }).toEqual({ code: 0, signal: null });
    expect(worker.lines.some((l) => l.includes('"msg":"worker stopped"'))).toBe(true);
  }, 180000);
});
