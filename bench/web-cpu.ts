/**
 * `npm run bench:web`: CPU of one web process per request, by page (issue 10: the public status
 * page read by anonymous visitors on a deadline day, and the JSON API's submission door), with
 * `/health` as the anchor in the same run, and the PostgreSQL CPU each request causes.
 *
 * Starts the app itself (createApp, one process, LOG_LEVEL warn) on a spare loopback port against
 * DATABASE_URL (migrated and seeded) and TEMPORAL_ADDRESS, in a child process of its own; makes
 * sure one submitted request exists (the reference given with --reference, else one of the
 * database's, else one submitted now through `POST /api/v1/pre-registrations`); then, for each page
 * and each round, sends 50 warm-up requests and N measured ones over C connections (no cookies:
 * every read is a new anonymous visitor, the worst case) and reads the child's utime+stime from
 * /proc/<pid>/stat before and after, and those of the PostgreSQL backends connected to the app's
 * database (other databases of the same server are other people's load; the server's shared
 * background processes — WAL writer, checkpointer — are left out). CPU-ms per request is the figure
 * to trust on a shared machine (rates and latencies move with the other load); each page's figure
 * is the median of the rounds, and its ratio to /health's.
 *
 * Page `submit`: `POST /api/v1/pre-registrations`, a new valid JSON submission each time (the body
 * of bench:submit, bench/bodies.ts: other names, dates, a serial birth certificate number, so no
 * request meets an earlier child; the small 300×400 JPEG photo in base64; a new Idempotency-Key),
 * counted per accepted submission (201; anything else is reported). It measures the door alone:
 * the child's intake starter is never started, so no workflow is started — an accepted submission
 * stays in PostgreSQL with `workflow_start_requested_at` set, as during a burst that the pipeline
 * has not caught up with (a stack's starter on the same database would start them later: run it
 * on a scratch database). N for this page is --submissions (default 1000).
 *
 *   npm run bench:web -- [--requests 3000] [--submissions 1000] [--connections 10] [--rounds 2] [--reference P27-…]
 *                        [--pages health,api,status-ar,status-fr,help,submit] [--cpu-prof <dir>]
 *   (or BENCH_REQUESTS, BENCH_SUBMISSIONS, BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_REFERENCE, BENCH_PAGES,
 *   BENCH_CPU_PROF; BENCH_PORT for the port, default 14431). `--cpu-prof <dir>`: the child runs
 *   under `node --cpu-prof` and writes its profile there when stopped (bench/profile-summary.ts reads it).
 *
 * Linux only (/proc). The child is stopped (SIGTERM) at the end, also on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Server } from 'node:http';
import pino from 'pino';
import { Pool } from 'pg';
import { loadConfig } from '../config';
import { createOrm } from '../entities/orm';
import { connectTemporal } from '../temporal/client';
import { createApp } from '../web/app';
import { IntakeStarter } from '../web/services/intakeStarter';
import { benchOptions } from './options';
import { schoolChain, smallPhoto, submission, type SchoolChain } from './bodies';
import { get } from './http';

const TICKS = 100; // clock ticks per second on Linux

const opt = benchOptions();

/** The child: the app alone, listening on `port` (127.0.0.1). */
async function serve(port: number): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'web' } });
  const orm = await createOrm(config.DATABASE_URL);
  const temporal = await connectTemporal(config);
  // An intake starter never started: accepted submissions are not started as workflows (the door alone).
  const starter = new IntakeStarter(orm, temporal, log);
  const { app, close } = createApp({ config, orm, temporal, log, starter });
  const server = await new Promise<Server>((resolve) => { const s = app.listen(port, '127.0.0.1', () => resolve(s)); });
  process.stdout.write('listening\n');
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => void (async () => { await close(); await temporal.close(); await orm.close(); process.exit(0); })());
  });
}

function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}

/** utime+stime (ms) of the PostgreSQL backends connected to `database`, by pid ("postgres: [cluster: ]<user> <db> <client> <state>"). */
function pgBackendsCpu(database: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0+$/, '');
      if (!cmd.startsWith('postgres: ')) continue;
      if (cmd.replace(/^postgres: (\S+: )?/, '').split(' ')[1] !== database) continue;
      out.set(Number(d), cpuMs(Number(d)));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU-ms of the backends between two readings (a backend born meanwhile counts from 0; one gone meanwhile is lost). */
function pgDelta(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, c] of after) ms += c - (before.get(pid) ?? 0);
  return ms;
}

interface Round { cpuMsPerReq: number; pgMsPerReq: number; perS: number; p50: number; p95: number; refused: number }

/** One request; true when it counts (200 for a read, 201 for a submission). */
type Send = () => Promise<boolean>;

/** 50 warm-up requests, then `n` over `conns` connections; the child's and PostgreSQL's CPU per counted request. */
async function measure(pid: number, database: string, send: Send, conns: number, n: number): Promise<Round> {
  for (let i = 0; i < 50; i++) await send();
  const c0 = cpuMs(pid);
  const pg0 = pgBackendsCpu(database);
  const t0 = performance.now();
  let sent = 0;
  let ok = 0;
  const lat: number[] = [];
  await Promise.all(Array.from({ length: conns }, async () => {
    while (sent < n) {
      sent++;
      const t = performance.now();
      if (await send()) ok++;
      lat.push(performance.now() - t);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const c1 = cpuMs(pid);
  const pg = pgDelta(pg0, pgBackendsCpu(database));
  lat.sort((a, b) => a - b);
  if (!ok) throw new Error('no request counted');
  return { cpuMsPerReq: (c1 - c0) / ok, pgMsPerReq: pg / ok, perS: ok / elapsed, p50: lat[lat.length >> 1], p95: lat[Math.floor(lat.length * 0.95)], refused: n - ok };
}

/** A GET that must answer 200. */
const getter = (url: string): Send => async () => {
  const r = await get(url);
  if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
  return true;
};

/** The school chain of bodies.ts, read from `databaseUrl`. */
async function schoolChainOf(databaseUrl: string): Promise<SchoolChain> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    return await schoolChain(pool);
  } finally {
    await pool.end();
  }
}

/** Submits a new child (serial birth certificate number, never seen by this database); the answer. */
function submitter(base: string, chain: SchoolChain, photo: Buffer): (onRefused?: (status: number, body: string) => void) => Promise<{ status: number; reference?: string }> {
  const run = `${Date.now().toString(36)}${digitsOf(process.pid)}`;
  let serial = 0;
  const photoB64 = photo.toString('base64');
  return async (onRefused) => {
    const body = { ...submission(chain, `B${run}/${++serial}`), photo: { data: photoB64 } };
    const res = await fetch(`${base}/api/v1/pre-registrations`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 201) onRefused?.(res.status, text);
    return { status: res.status, reference: res.status === 201 ? (JSON.parse(text) as { reference: string }).reference : undefined };
  };
}
const digitsOf = (n: number) => String(n % 10000);

/** A submitted request to read: the one given, one of the database's, or one submitted now. */
async function reference(databaseUrl: string, submit: ReturnType<typeof submitter>): Promise<string> {
  const given = opt('reference', '');
  if (given) return given;
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const existing = (await pool.query<{ reference: string }>(`select reference from pre_registration where status = 'submitted' order by submitted_at limit 1`)).rows[0];
    if (existing) return existing.reference;
  } finally {
    await pool.end();
  }
  let refusal = '';
  const r = await submit((status, body) => { refusal = `${status} ${body.slice(0, 300)}`; });
  if (!r.reference) throw new Error(`submission refused: ${refusal}`);
  return r.reference;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const port = Number(opt('port', '14431'));
  const n = Number(opt('requests', '3000'));
  const nSubmit = Number(opt('submissions', '1000'));
  const cpuProf = opt('cpu-prof', '');
  const conns = Number(opt('connections', '10'));
  const rounds = Number(opt('rounds', '2'));
  const wanted = opt('pages', 'health,api,status-ar,status-fr,help').split(',').map((s) => s.trim()).filter(Boolean);
  if (!(n > 0 && nSubmit > 0 && conns > 0 && rounds > 0)) throw new Error('requests, connections and rounds must be positive');
  const base = `http://127.0.0.1:${port}`;

  const database = new URL(config.DATABASE_URL).pathname.slice(1);
  const profArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(cpuProf)}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profArgs, '--import', 'tsx', __filename, '--serve', String(port)], {
    cwd: path.resolve(__dirname, '..'), env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.once('exit', stop);
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('the app did not start within 120 s')), 120_000);
      child.stdout!.on('data', (b: Buffer) => { out += b.toString(); if (out.includes('listening')) { clearTimeout(timer); resolve(); } });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the app exited (${code}) before listening`)); });
    });
    const submit = submitter(base, await schoolChainOf(config.DATABASE_URL), await smallPhoto());
    const ref = await reference(config.DATABASE_URL, submit);
    const refusals = new Map<string, number>();
    const pages: Record<string, { label: string; send: Send; n: number }> = {
      health: { label: '/health (anchor)', send: getter(`${base}/health`), n },
      api: { label: 'GET /api/v1/pre-registrations/:ref (JSON)', send: getter(`${base}/api/v1/pre-registrations/${ref}`), n },
      'status-ar': { label: 'GET /pre-registrations/:ref (HTML, ar)', send: getter(`${base}/pre-registrations/${ref}`), n },
      'status-fr': { label: 'GET /pre-registrations/:ref?lang=fr (HTML)', send: getter(`${base}/pre-registrations/${ref}?lang=fr`), n },
      help: { label: 'GET /help (HTML, ar)', send: getter(`${base}/help`), n },
      submit: {
        label: 'POST /api/v1/pre-registrations (JSON+photo)', n: nSubmit,
        send: async () => (await submit((status, body) => {
          const k = `${status} ${body.slice(0, 160)}`;
          refusals.set(k, (refusals.get(k) ?? 0) + 1);
        })).status === 201,
      },
    };
    for (const p of wanted) if (!pages[p]) throw new Error(`unknown page ${p} (known: ${Object.keys(pages).join(', ')})`);
    const cpuModel = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
    console.log(`Tasjil web CPU per request — ${new Date().toISOString()}`);
    console.log(`machine: ${os.cpus().length} CPU (${cpuModel}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`one web process (pid ${child.pid}) at ${base}${cpuProf ? ' under --cpu-prof' : ''}; ${n} requests (submit: ${nSubmit}) × ${rounds} rounds per page, ${conns} connections, no cookies; reference ${ref}; PostgreSQL: the backends of ${database}`);
    const results = new Map<string, Round[]>(wanted.map((p) => [p, []]));
    for (let r = 0; r < rounds; r++) for (const p of wanted) results.get(p)!.push(await measure(child.pid!, database, pages[p].send, conns, pages[p].n));
    const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
    const anchor = results.has('health') ? median(results.get('health')!.map((x) => x.cpuMsPerReq)) : null;
    console.log(`\n${'page'.padEnd(44)} ${'CPU-ms/req'.padStart(10)} ${'× /health'.padStart(9)} ${'PG ms/req'.padStart(9)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)}`);
    for (const p of wanted) {
      const rs = results.get(p)!;
      const cpu = median(rs.map((x) => x.cpuMsPerReq));
      console.log(`${pages[p].label.padEnd(44)} ${cpu.toFixed(2).padStart(10)} ${(anchor ? (cpu / anchor).toFixed(2) : '—').padStart(9)} ${median(rs.map((x) => x.pgMsPerReq)).toFixed(2).padStart(9)} ${median(rs.map((x) => x.perS)).toFixed(0).padStart(7)} ${median(rs.map((x) => x.p50)).toFixed(1).padStart(7)} ${median(rs.map((x) => x.p95)).toFixed(1).padStart(7)}`);
    }
    console.log(`  (CPU per round: ${wanted.map((p) => `${p} ${results.get(p)!.map((x) => x.cpuMsPerReq.toFixed(2)).join('/')}`).join(', ')})`);
    console.log(`  (PostgreSQL per round: ${wanted.map((p) => `${p} ${results.get(p)!.map((x) => x.pgMsPerReq.toFixed(2)).join('/')}`).join(', ')})`);
    if (wanted.includes('submit')) {
      console.log(`  submit: per accepted submission (201); refused: ${results.get('submit')!.map((x) => x.refused).join('/')} per round`);
      for (const [k, c] of refusals) console.log(`    ${c} × ${k}`);
    }
  } finally {
    stop();
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

const servePort = opt('serve', '');
if (servePort) {
  serve(Number(servePort)).catch((err: unknown) => { console.error(err); process.exit(1); });
} else {
  main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
}
