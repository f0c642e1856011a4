/**
 * Pipeline benchmark (issue 10, "the pipeline keeps up with the national peak"): workflows started
 * directly with the client (no web door), measured from the start call to `underReview` (the
 * status projection's timeline event written by the checks-and-queue step), with an
 * empty-pipeline anchor (same shape, activities that do nothing) on the same engine in the same run.
 *
 *   npx tsx bench/pipeline.ts                         # 25 requests/s for 600 s, bursts of 1,000
 *   BENCH_RATE=25 BENCH_SECONDS=120 BENCH_BURST=600 npx tsx bench/pipeline.ts
 *
 * Starts its own Temporal dev server (in memory), the messaging sandbox (SMTP + SMS) and one worker
 * process per pipeline (`node --import tsx workers/worker.ts`, `bench/anchors/pipelineWorker.ts`), on a
 * database of its own (BENCH_DATABASE_URL, default tasjil_bench_pipeline, re-created, seeded).
 * Request rows are cloned in SQL from one submission made through the real service (distinct
 * references, certificate numbers and duplicate keys), so the web's cost is not in the figures.
 * Phases: (1) anchor burst, (2) Tasjil burst — rate = requests / (last underReview − first start);
 * (3) Tasjil at a fixed arrival rate (open loop): submitted → underReview p50/p95/p99, requests
 * still not under review 10 s after the load, drain time; CPU-seconds of the worker, Temporal and
 * PostgreSQL per phase. Worker settings come from the same environment as production
 * (TASJIL_WORKER_* — see workers/worker.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig } from '../config';
import { migrateUp } from '../migrations/run';
import { seedAll } from '../migrations/seed';
import { findTemporalCli, defaultCacheDir, freePort, startTemporalDevServer, stopChild, waitForWorker } from '../scripts/lib/temporal';
import { recreateDatabase } from '../scripts/lib/postgres';
import { connectTemporal, type TasjilTemporal } from '../temporal/client';
import { STATUS, SCHOOL_CODE, DIRECTORATE_CODE, ACADEMY_CODE, SCHOOL_YEAR, LEVEL } from '../temporal/searchAttributes';
import type { PreRegistrationInput } from '../workflows/messages';

const RATE = Number(process.env.BENCH_RATE ?? 25);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 600);
const BURST = Number(process.env.BENCH_BURST ?? 1000);
const DB_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tasjil_bench_pipeline';
const ROOT = path.join(__dirname, '..');
const DAY = 86_400_000;

const log = (m: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);

/** utime + stime of a process and its threads, in seconds (Linux /proc). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return 0; }
}
/** CPU-seconds of every PostgreSQL backend and server process (all databases: the machine is shared). */
function postgresCpu(): number {
  let sum = 0;
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres') sum += cpuSeconds(Number(d));
    } catch { /* gone */ }
  }
  return sum;
}

function spawnTs(file: string, env: NodeJS.ProcessEnv, ipc = false, nodeArgs: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, file)], {
    cwd: ROOT, env, stdio: ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'inherit', 'inherit'],
  });
  process.once('exit', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return child;
}

async function main(): Promise<void> {
  log(`pipeline bench: ${RATE}/s for ${SECONDS} s, bursts of ${BURST}; ${os.cpus().length} CPU, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  await recreateDatabase(DB_URL);
  await migrateUp(DB_URL);
  await seedAll(DB_URL);
  const [temporalPort, uiPort, smtpPort, smsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const cli = await findTemporalCli({ env: process.env, cacheDir: defaultCacheDir(process.env), log, build: false });
  const server = await startTemporalDevServer({ cliPath: cli.path, port: temporalPort, uiPort, namespace: 'default', log: () => undefined });
  const queue = `bench-${randomUUID().slice(0, 8)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env, NODE_ENV: 'development', DATABASE_URL: DB_URL, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: queue, SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort), SMS_SANDBOX_PORT: String(smsPort),
    TWILIO_API_BASE_URL: `http://127.0.0.1:${smsPort}`, LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  const children: ChildProcess[] = [];
  const temporal = await connectTemporal(config);
  const db = new Client({ connectionString: DB_URL });
  await db.connect();
  try {
    children.push(spawnTs('sandboxes/messaging/server.ts', env));
    // BENCH_WORKER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, to profile the worker.
    const worker = spawnTs('workers/worker.ts', env, false, (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean));
    const anchorQueue = `${queue}-anchor`;
    const anchor = spawnTs('bench/anchors/pipelineWorker.ts', { ...env, TEMPORAL_TASK_QUEUE: anchorQueue }, true);
    children.push(worker, anchor);
    await Promise.all([waitForWorker(server.address, 'default', queue), waitForWorker(server.address, 'default', anchorQueue)]);
    log(`worker pid ${worker.pid}, anchor worker pid ${anchor.pid}, Temporal pid ${server.pid ?? '?'}`);

    const template = await templateInput(temporal, config.DATABASE_URL);
    const total = 2 * BURST + Math.ceil(RATE * SECONDS) + 10;
    const references = await cloneRequests(db, template.reference, total);
    let next = 0;
    const take = (n: number) => references.slice(next, (next += n));

    // Phase 1 and 2: bursts (capacity), the anchor first.
    const anchorRefs = take(BURST);
    const a = await burst(temporal, anchorRefs, template, anchorQueue, 'emptyPipeline', async () => {
      const reached = await new Promise<Record<string, number>>((resolve) => {
        anchor.once('message', (m) => resolve((m as { reached: Record<string, number> }).reached));
        anchor.send('report');
      });
      return new Map(Object.entries(reached));
    }, server.pid, anchor.pid);
    const tasjilBurstRefs = take(BURST);
    const b = await burst(temporal, tasjilBurstRefs, template, queue, 'preRegistration', () => underReviewTimes(db, tasjilBurstRefs), server.pid, worker.pid);
    log(`anchor burst: ${a.rate.toFixed(1)} requests/s; Tasjil burst: ${b.rate.toFixed(1)} requests/s; ratio ${(b.rate / a.rate).toFixed(2)}`);
    const burstActivities = await activityTimes(temporal, tasjilBurstRefs.filter((_, i) => i % Math.max(1, Math.floor(BURST / 20)) === 0));
    log(`Tasjil burst, activities (ms, mean of ${Math.min(20, BURST)} histories): ${JSON.stringify(burstActivities)}`);

    // Phase 3: steady arrival rate.
    const steadyRefs = take(Math.ceil(RATE * SECONDS));
    const started = new Map<string, number>();
    const cpu0 = { worker: cpuSeconds(worker.pid), temporal: cpuSeconds(server.pid), pg: postgresCpu() };
    const t0 = Date.now();
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < steadyRefs.length; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const ref = steadyRefs[i];
      started.set(ref, Date.now());
      inflight.push(startOne(temporal, ref, template, queue, 'preRegistration'));
      if (i % (RATE * 30) === 0 && i) log(`  steady: ${i} started (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    await Promise.all(inflight);
    const loadEnd = Date.now();
    await sleep(Math.max(0, loadEnd + 10_000 - Date.now()));
    const at10 = await underReviewTimes(db, steadyRefs);
    const left10 = steadyRefs.length - at10.size;
    let drained = at10;
    while (drained.size < steadyRefs.length && Date.now() - loadEnd < 600_000) { await sleep(1000); drained = await underReviewTimes(db, steadyRefs); }
    const cpu1 = { worker: cpuSeconds(worker.pid), temporal: cpuSeconds(server.pid), pg: postgresCpu() };
    const lat = steadyRefs.filter((r) => drained.has(r)).map((r) => drained.get(r)! - started.get(r)!).sort((x, y) => x - y);
    const lastAt = drained.size ? Math.max(...drained.values()) : loadEnd;
    const n = Math.max(1, steadyRefs.length);
    const steadyActivities = await activityTimes(temporal, steadyRefs.filter((_, i) => i % Math.max(1, Math.floor(steadyRefs.length / 20)) === 0));
    const result = {
      date: new Date().toISOString(), rate: RATE, seconds: SECONDS, burst: BURST, cpus: os.cpus().length,
      anchorBurstRate: +a.rate.toFixed(1), tasjilBurstRate: +b.rate.toFixed(1), ratio: +(b.rate / a.rate).toFixed(2),
      steady: {
        requests: n, reached: drained.size, p50: pct(lat, 50), p95: pct(lat, 95), p99: pct(lat, 99), max: lat[lat.length - 1],
        notUnderReview10sAfter: left10, drainMsAfterLoad: Math.max(0, lastAt - loadEnd),
        cpuMsPerRequest: {
          worker: +(((cpu1.worker - cpu0.worker) * 1000) / n).toFixed(1), temporal: +(((cpu1.temporal - cpu0.temporal) * 1000) / n).toFixed(1),
          postgresAllDatabases: +(((cpu1.pg - cpu0.pg) * 1000) / n).toFixed(1),
        },
      },
      burstCpuMsPerRequest: { anchor: a.cpu, tasjil: b.cpu },
      activityMs: { burst: burstActivities, steady: steadyActivities },
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('TASJIL_WORKER_'))),
      loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
    };
    console.log(JSON.stringify(result, null, 2));
    await db.query('select 1');
  } finally {
    for (const c of children.reverse()) await stopChild(c, 15_000).catch(() => undefined);
    await db.end().catch(() => undefined);
    await temporal.close().catch(() => undefined);
    await server.stop();
  }
}

/** One real submission through the service (photo and all), its workflow not started: the template of the clones. */
async function templateInput(temporal: TasjilTemporal, databaseUrl: string): Promise<PreRegistrationInput & { reference: string }> {
  const { createOrm } = await import('../entities/orm');
  const { submitPreRegistration } = await import('../web/services/preRegistrations');
  const { gregorianToHijri } = await import('../domain/hijri');
  const sharp = (await import('sharp')).default;
  const { currentNotice } = await import('../web/services/privacy');
  const orm = await createOrm(databaseUrl);
  try {
    const em = orm.em.fork();
    const row = (await em.getConnection().execute<Array<{ school_code: string; zone_code: string; commune_code: string }>>(
      `select s.code as school_code, z.code as zone_code, z.commune_code from school s join school_zone sz on sz.school_code = s.code
         join residence_zone z on z.code = sz.residence_zone_code where s.is_demo and s.kind = 'school' order by s.code, z.code limit 1`))[0];
    const birthDate = '2021-05-10';
    const body = {
      level: 'primary1', schoolCode: row.school_code, language: 'ar', siblings: [], guardianRole: 'father',
      child: { firstNameAr: 'ياسين', lastNameAr: 'العلوي', firstNameLatin: 'Yassine', lastNameLatin: 'El Alaoui' },
      civilStatus: { birthDate, birthDateHijri: gregorianToHijri(birthDate), birthPlace: 'الرباط', birthCertificateNumber: '1234/2021', birthCertificateDate: '2021-05-20', fatherLineage: 'محمد بن أحمد العلوي', motherLineage: 'فاطمة بنت علي' },
      father: { firstNameAr: 'محمد', lastNameAr: 'العلوي', firstNameLatin: 'Mohammed', lastNameLatin: 'El Alaoui', cin: 'AB123456', profession: 'أستاذ', address: 'حي الرياض، الرباط', phone: '0612345678', email: 'bench@example.ma' },
      mother: { firstNameAr: 'فاطمة', lastNameAr: 'بناني', firstNameLatin: 'Fatima', lastNameLatin: 'Bennani', cin: '', profession: '', address: '', phone: '', email: '' },
      residence: { communeCode: row.commune_code, residenceZoneCode: row.zone_code },
      privacyNoticeVersion: currentNotice().version,
    };
    const photo = await sharp({ create: { width: 300, height: 400, channels: 3, background: { r: 200, g: 180, b: 160 } } }).jpeg().toBuffer();
    let captured: PreRegistrationInput | null = null;
    const capture = { ...temporal, start: async (input: PreRegistrationInput) => { captured = input; return { workflowId: '', started: true }; } };
    const r = await submitPreRegistration({ em, temporal: capture }, body, photo, randomUUID());
    if (!r.ok || !captured) throw new Error(`template submission refused: ${JSON.stringify(r)}`);
    return captured;
  } finally {
    await orm.close(true);
  }
}

/** Clones the template request `count` times in one statement: new ids, references, tokens, certificate numbers, duplicate keys. */
async function cloneRequests(db: Client, reference: string, count: number): Promise<string[]> {
  const cols = (await db.query<{ column_name: string }>(
    `select column_name from information_schema.columns where table_name = 'pre_registration' and table_schema = current_schema() order by ordinal_position`,
  )).rows.map((r) => r.column_name);
  const override: Record<string, string> = {
    id: 'gen_random_uuid()', reference: `'B' || lpad(g::text, 7, '0')`, submission_token: 'gen_random_uuid()::text',
    workflow_id: `'preRegistration-B' || lpad(g::text, 7, '0')`, birth_certificate_number: `'BN-' || g`,
    duplicate_keys: `array['bench:' || g]`, child_key: `'bench:' || g`, submitted_at: 'now()', updated_at: 'now()',
  };
  const t0 = Date.now();
  await db.query(`insert into pre_registration (${cols.map((c) => `"${c}"`).join(', ')})
    select ${cols.map((c) => override[c] ?? `p."${c}"`).join(', ')} from pre_registration p, generate_series(1, $2) g where p.reference = $1`, [reference, count]);
  await db.query('analyze pre_registration');
  log(`cloned ${count} requests in ${Date.now() - t0} ms`);
  return Array.from({ length: count }, (_, i) => `B${String(i + 1).padStart(7, '0')}`);
}

function startOne(temporal: TasjilTemporal, reference: string, template: PreRegistrationInput, taskQueue: string, type: string) {
  return temporal.client.workflow.start(type, {
    taskQueue, workflowId: `${type}-${reference}`,
    args: [{ ...template, reference, deadlines: { reminderAfterMs: 7 * DAY, escalateAfterMs: 14 * DAY } }],
    typedSearchAttributes: [
      { key: SCHOOL_CODE, value: template.schoolCode }, { key: DIRECTORATE_CODE, value: template.directorateCode },
      { key: ACADEMY_CODE, value: template.academyCode }, { key: SCHOOL_YEAR, value: template.schoolYear },
      { key: LEVEL, value: template.level }, { key: STATUS, value: 'submitted' },
    ],
  });
}

/** Starts `refs` as fast as 32 concurrent calls allow; rate = count / (last underReview − first start). */
async function burst(
  temporal: TasjilTemporal, refs: string[], template: PreRegistrationInput, queue: string, type: string,
  reachedTimes: () => Promise<Map<string, number>>, temporalPid: number | undefined, workerPid: number | undefined,
): Promise<{ rate: number; cpu: { worker: number; temporal: number } }> {
  const c0 = { worker: cpuSeconds(workerPid), temporal: cpuSeconds(temporalPid) };
  const t0 = Date.now();
  let i = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (i < refs.length) { const r = refs[i++]; await startOne(temporal, r, template, queue, type); }
  }));
  log(`${type}: ${refs.length} started in ${Date.now() - t0} ms`);
  let reached = await reachedTimes();
  const deadline = Date.now() + 900_000;
  while (reached.size < refs.length && Date.now() < deadline) { await sleep(1000); reached = await reachedTimes(); }
  const last = Math.max(...refs.map((r) => reached.get(r) ?? 0));
  const c1 = { worker: cpuSeconds(workerPid), temporal: cpuSeconds(temporalPid) };
  return {
    rate: (refs.filter((r) => reached.has(r)).length * 1000) / (last - t0),
    cpu: { worker: +(((c1.worker - c0.worker) * 1000) / refs.length).toFixed(1), temporal: +(((c1.temporal - c0.temporal) * 1000) / refs.length).toFixed(1) },
  };
}

/**
 * Mean schedule-to-start and start-to-close (run) time per activity type, up to underReview, over
 * the histories of `refs` (the queueing versus the work).
 */
async function activityTimes(temporal: TasjilTemporal, refs: string[]): Promise<Record<string, { n: number; scheduleToStart: number; run: number }>> {
  const acc: Record<string, { n: number; wait: number; run: number }> = {};
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6 : 0);
  for (const ref of refs) {
    const history = await temporal.rawHistory(ref);
    const scheduled = new Map<string, { type: string; at: number; started?: number }>();
    for (const e of history.events ?? []) {
      const id = String(e.eventId);
      if (e.activityTaskScheduledEventAttributes) scheduled.set(id, { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at: ms(e.eventTime) });
      const st = e.activityTaskStartedEventAttributes;
      if (st) { const s = scheduled.get(String(st.scheduledEventId)); if (s) s.started = ms(e.eventTime); }
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const s = scheduled.get(String(done.scheduledEventId));
        if (s?.started) {
          const a = (acc[s.type] ??= { n: 0, wait: 0, run: 0 });
          a.n += 1; a.wait += s.started - s.at; a.run += ms(e.eventTime) - s.started;
        }
      }
    }
  }
  return Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, { n: v.n, scheduleToStart: Math.round(v.wait / v.n), run: Math.round(v.run / v.n) }]));
}

/** When each reference reached underReview (timeline event written by the checks-and-queue step). */
async function underReviewTimes(db: Client, refs: string[]): Promise<Map<string, number>> {
  const rows = (await db.query<{ reference: string; at: Date }>(
    `select p.reference, e.at from pre_registration_event e join pre_registration p on p.id = e.pre_registration_id
      where e.event_key = 'status:underReview' and p.reference = any($1)`, [refs],
  )).rows;
  return new Map(rows.map((r) => [r.reference, r.at.getTime()]));
}

main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
