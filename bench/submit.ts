/**
 * Submission benchmark (issue 10): drives a running Tasjil (`npm start`, either Temporal engine)
 * through both doors and reports, per scenario, accepted/s, latency p50/p95/p99, errors by status,
 * submitted → underReview p50/p95/p99, the drain time after the load, and RSS + CPU-seconds per
 * process (web, worker, Temporal, PostgreSQL) — with, in the same run, two anchors so that every
 * figure is also a ratio:
 *   - a bare Express 5 + `pg` INSERT of the same body (jsonb + bytea) on a spare loopback port
 *     (bench/anchors/bareInsert.ts, its own process);
 *   - an empty pipeline: a workflow of the same shape whose activities do nothing, on the same
 *     Temporal, its own worker process and task queue (bench/anchors/emptyPipeline*.ts).
 *
 *   npm run bench:submit -- --base http://127.0.0.1:3000 --stack-pid <pid of npm start>
 *   options (flags or BENCH_* env): --duration 60 (s per scenario), --connections 10, --rate 25
 *     (open loop, requests/s), --scenarios api-small,api-phone,form-small,form-phone,
 *     api-multipart-phone,status,open,pipeline  (default: all), --database-url (the stack's),
 *     --temporal-address, --namespace, --drain-timeout 300 (s), --temporal-pids <pid,…> (a
 *     Temporal outside the stack's process tree), --pg-temporal-dbs temporal,temporal_visibility
 *     (PostgreSQL backends counted as Temporal's), --status-references 50 (requests whose status
 *     pages are read in turn), --status-intake-connections 2 (or
 *     --status-intake-rate 5: the intake as an open loop at that rate instead), --json <file> (all figures as JSON).
 *
 * Only loopback targets are accepted. Every request loop is bounded in count and time and stops
 * by itself. Photos are generated with sharp (a 300×400 JPEG, and a 12-megapixel "phone" JPEG of
 * gradients and noise at quality 90, ~3.5 MB, cached in the OS temp folder, never committed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Pool } from 'pg';
import sharp from 'sharp';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { codecFromConfig } from '../temporal/codec';
import { STATUS } from '../temporal/searchAttributes';
import { benchOptions } from './options';
import { schoolChain, smallPhoto, submission, type SchoolChain } from './bodies';
import { get } from './http';

// ───────────────────────────── options ─────────────────────────────

const ALL_SCENARIOS = ['api-small', 'api-phone', 'api-multipart-phone', 'form-small', 'form-phone', 'status', 'open', 'pipeline'] as const;
type ScenarioName = (typeof ALL_SCENARIOS)[number];

const opt = benchOptions();

const appConfig = loadConfig(process.env);
const O = {
  base: opt('base', appConfig.publicBaseUrl).replace(/\/$/, ''),
  databaseUrl: opt('database-url', appConfig.DATABASE_URL),
  temporalAddress: opt('temporal-address', appConfig.TEMPORAL_ADDRESS),
  namespace: opt('namespace', appConfig.TEMPORAL_NAMESPACE),
  durationS: Number(opt('duration', '60')),
  connections: Number(opt('connections', '10')),
  rate: Number(opt('rate', '25')),
  drainTimeoutS: Number(opt('drain-timeout', '300')),
  statusIntakeConnections: Number(opt('status-intake-connections', '2')),
  statusIntakeRate: Number(opt('status-intake-rate', '0')),
  statusReferences: Number(opt('status-references', '50')),
  scenarios: opt('scenarios', ALL_SCENARIOS.join(',')).split(',').map((s) => s.trim()).filter(Boolean) as ScenarioName[],
  stackPid: Number(opt('stack-pid', '0')) || null,
  temporalPids: opt('temporal-pids', '').split(',').map(Number).filter((n) => n > 0),
  pgTemporalDbs: opt('pg-temporal-dbs', 'temporal,temporal_visibility').split(',').filter(Boolean),
  jsonOut: opt('json', ''),
  maxInFlight: Number(opt('max-in-flight', '1000')),
};
for (const s of O.scenarios) if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (known: ${ALL_SCENARIOS.join(', ')})`);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(O.base).hostname)) throw new Error(`only loopback targets: ${O.base}`);
if (!(O.durationS > 0 && O.connections > 0 && O.rate > 0)) throw new Error('duration, connections and rate must be positive');

const say = (msg: string) => process.stdout.write(`${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ───────────────────────────── statistics ─────────────────────────────

function pct(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
interface Dist { n: number; p50: number | null; p95: number | null; p99: number | null; max: number | null }
function dist(values: number[]): Dist {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), p99: pct(s, 99), max: s.length ? s[s.length - 1] : null };
}
const f1 = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? '—' : n >= 100 ? n.toFixed(0) : n.toFixed(1));
const fms = (d: Dist) => `p50 ${f1(d.p50)} / p95 ${f1(d.p95)} / p99 ${f1(d.p99)} ms`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');

// ───────────────────────────── processes (/proc) ─────────────────────────────

type Group = 'web' | 'worker' | 'temporal' | 'temporal-pg' | 'postgres' | 'anchor-insert' | 'anchor-worker' | 'anchor-postgres';
const TICK = 100; // USER_HZ on Linux

function readProc(pid: number): { ppid: number; cpuTicks: number; rssKb: number; cmd: string } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    const rss = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]), rssKb: rss ? Number(rss[1]) : 0, cmd };
  } catch {
    return null;
  }
}

/** Which process of the stack (or of the anchors) `pid` is, or null. */
class ProcessSampler {
  private readonly stackDb = new URL(O.databaseUrl).pathname.slice(1);
  private readonly anchorPids = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  /** pid → [group, first cpu ticks seen in the window, last cpu ticks seen]. */
  private window = new Map<number, { group: Group; first: number; last: number }>();
  private peakRss = new Map<Group, number>();

  addAnchor(pid: number) { this.anchorPids.add(pid); }

  private classify(pid: number, p: { cmd: string }, tree: Set<number>): Group | null {
    if (p.cmd.startsWith('postgres: ')) {
      // "postgres: <user> <db> <client> <state>", or with the cluster's name first (Debian: "postgres: 15/main: …").
      const words = p.cmd.replace(/^postgres: (\S+: )?/, '').split(' ');
      const db = words[1];
      if (db === this.stackDb) return 'postgres';
      if (O.pgTemporalDbs.includes(db)) return 'temporal-pg'; // Temporal's persistence, apart from the server process
      return null;
    }
    if (this.anchorPids.has(pid) || tree.has(-pid)) {
      if (p.cmd.includes('bareInsert')) return 'anchor-insert';
      if (p.cmd.includes('emptyPipelineWorker')) return 'anchor-worker';
    }
    if (O.temporalPids.includes(pid)) return 'temporal';
    if (!tree.has(pid)) return null;
    if (/web\/server\.(ts|js)/.test(p.cmd)) return 'web';
    if (/workers\/worker\.(ts|js)/.test(p.cmd)) return 'worker';
    if (/(^|\/)temporal(-server)? |\/bin\/server |start-dev/.test(p.cmd)) return 'temporal';
    return null;
  }

  /** Current processes: the stack's tree (descendants of --stack-pid), Temporal pids, PostgreSQL backends of the stack's database, anchors. */
  private scan(): Map<number, { group: Group; cpuTicks: number; rssKb: number }> {
    const all = new Map<number, { ppid: number; cpuTicks: number; rssKb: number; cmd: string }>();
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const p = readProc(Number(d));
      if (p) all.set(Number(d), p);
    }
    // Descendants (positive) of the stack, and of this benchmark (negative: its anchors).
    const tree = new Set<number>();
    const roots: Array<[number, number]> = [[O.stackPid ?? -1, 1], [process.pid, -1]];
    for (const [root, sign] of roots) {
      if (root <= 0) continue;
      const stack = [root];
      while (stack.length) {
        const pid = stack.pop()!;
        for (const [c, p] of all) if (p.ppid === pid && !tree.has(sign * c)) { tree.add(sign * c); stack.push(c); }
      }
    }
    const out = new Map<number, { group: Group; cpuTicks: number; rssKb: number }>();
    for (const [pid, p] of all) {
      const g = this.classify(pid, p, tree);
      if (g) out.set(pid, { group: g, cpuTicks: p.cpuTicks, rssKb: p.rssKb });
    }
    return out;
  }

  private sample() {
    const now = this.scan();
    const rss = new Map<Group, number>();
    for (const [pid, p] of now) {
      const w = this.window.get(pid);
      if (w) w.last = p.cpuTicks;
      else this.window.set(pid, { group: p.group, first: this.started ? 0 : p.cpuTicks, last: p.cpuTicks });
      rss.set(p.group, (rss.get(p.group) ?? 0) + p.rssKb);
    }
    for (const [g, kb] of rss) this.peakRss.set(g, Math.max(this.peakRss.get(g) ?? 0, kb));
  }
  private started = false;

  /** Starts a measuring window: CPU from now, peak RSS sampled every second. */
  start() {
    this.window = new Map();
    this.peakRss = new Map();
    this.started = false;
    this.sample(); // processes alive now count from their current CPU time
    this.started = true; // processes born later count from 0
    this.timer = setInterval(() => this.sample(), 1000);
  }

  /** Ends the window: CPU-seconds and peak RSS (MB) per group, and how many processes each had. */
  stop(): Record<string, { cpuS: number; rssMb: number; processes: number }> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const out: Record<string, { cpuS: number; rssMb: number; processes: number }> = {};
    for (const w of this.window.values()) {
      const o = (out[w.group] ??= { cpuS: 0, rssMb: 0, processes: 0 });
      o.cpuS += (w.last - w.first) / TICK;
      o.processes += 1;
    }
    for (const [g, kb] of this.peakRss) (out[g] ??= { cpuS: 0, rssMb: 0, processes: 0 }).rssMb = kb / 1024;
    return out;
  }
}

// ───────────────────────────── bodies and photos ─────────────────────────────

function formFields(obj: Record<string, unknown>, prefix = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}[${k}]` : k;
    if (v !== null && typeof v === 'object') out.push(...formFields(v as Record<string, unknown>, key));
    else if (v !== undefined && v !== null) out.push([key, String(v)]);
  }
  return out;
}

/** The small photo (300×400, as in the tests) and the 12-megapixel phone photo (4000×3000, quality 90, ~3.5 MB; cached). */
async function photos(): Promise<{ small: Buffer; phone: Buffer }> {
  const small = await smallPhoto();
  const file = path.join(os.tmpdir(), 'tasjil-bench-phone-4000x3000-q90.jpg');
  if (fs.existsSync(file)) return { small, phone: fs.readFileSync(file) };
  const w = 4000;
  const h = 3000;
  const raw = Buffer.alloc(w * h * 3);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      // Smooth gradients and soft shapes (sky, face, background) plus sensor-like noise.
      const cx = x - w / 2;
      const cy = y - h / 2.2;
      const face = cx * cx / (900 * 900) + cy * cy / (1200 * 1200) < 1 ? 60 : 0;
      const n = (rnd() - 0.5) * 26;
      raw[o] = Math.max(0, Math.min(255, 90 + (x / w) * 120 + face + n));
      raw[o + 1] = Math.max(0, Math.min(255, 110 + (y / h) * 80 + face * 0.7 + n));
      raw[o + 2] = Math.max(0, Math.min(255, 160 - (y / h) * 90 + Math.sin(x / 37) * 20 + n));
    }
  }
  const phone = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  fs.writeFileSync(file, phone);
  return { small, phone };
}

// ───────────────────────────── load generation ─────────────────────────────

interface Outcome { ok: boolean; status: number | 'network'; ms: number; reference?: string; at: number; detail?: string }
interface LoadResult { outcomes: Outcome[]; elapsedS: number; startedAt: number; endedAt: number; dropped: number }

/** Closed loop: `connections` loops, each sending its next request when the previous one answered, until `durationS` (and at most `maxRequests`). */
async function closedLoop(connections: number, durationS: number, send: (conn: number) => Promise<Outcome>, maxRequests = 1_000_000): Promise<LoadResult> {
  const outcomes: Outcome[] = [];
  const startedAt = Date.now();
  const end = startedAt + durationS * 1000;
  let issued = 0;
  await Promise.all(Array.from({ length: connections }, async (_, c) => {
    while (Date.now() < end && issued < maxRequests) {
      issued++;
      outcomes.push(await send(c));
    }
  }));
  const endedAt = Date.now();
  return { outcomes, elapsedS: (endedAt - startedAt) / 1000, startedAt, endedAt, dropped: 0 };
}

/** Open loop: one request every 1/rate s for `durationS` (rate × duration requests), whatever the answers; at most `maxInFlight` outstanding (beyond: counted as dropped). */
async function openLoop(rate: number, durationS: number, send: (i: number) => Promise<Outcome>): Promise<LoadResult> {
  const outcomes: Outcome[] = [];
  const total = Math.round(rate * durationS);
  const startedAt = Date.now();
  const t0 = performance.now();
  let inFlight = 0;
  let dropped = 0;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (inFlight >= O.maxInFlight) { dropped++; continue; }
    inFlight++;
    pending.push(send(i).then((o) => { outcomes.push(o); }).finally(() => { inFlight--; }));
  }
  await Promise.all(pending);
  const endedAt = Date.now();
  return { outcomes, elapsedS: (endedAt - startedAt) / 1000, startedAt, endedAt, dropped };
}

async function timed(fn: () => Promise<{ status: number; reference?: string; detail?: string }>): Promise<Outcome> {
  const t = performance.now();
  try {
    const r = await fn();
    return { ok: r.status < 400, status: r.status, ms: performance.now() - t, reference: r.reference, at: Date.now(), detail: r.detail };
  } catch {
    return { ok: false, status: 'network', ms: performance.now() - t, at: Date.now() };
  }
}

/** The doors. Each returns the HTTP status and, when accepted, the reference. */
function doors(chain: SchoolChain) {
  const api = (photo: Buffer) => () => timed(async () => {
    const body = { ...submission(chain), photo: { data: photo.toString('base64') } };
    const res = await fetch(`${O.base}/api/v1/pre-registrations`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify(body),
    });
    const json = (await res.json().catch(() => ({}))) as { reference?: string };
    return { status: res.status, reference: json.reference, detail: res.status >= 400 ? JSON.stringify(json).slice(0, 300) : undefined };
  });
  const apiMultipart = (photo: Buffer) => () => timed(async () => {
    const fd = new FormData();
    fd.append('submission', new Blob([JSON.stringify(submission(chain))], { type: 'application/json' }));
    fd.append('photo', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
    const res = await fetch(`${O.base}/api/v1/pre-registrations`, { method: 'POST', headers: { 'idempotency-key': randomUUID() }, body: fd });
    const json = (await res.json().catch(() => ({}))) as { reference?: string };
    return { status: res.status, reference: json.reference };
  });
  // The one-page form: per connection, the form page is fetched first (session + CSRF cookies and token).
  const sessions = new Map<number, { cookie: string; csrf: string }>();
  const formPage = async (conn: number) => {
    const q = new URLSearchParams({ level: 'primary1', academy: chain.academyCode, directorate: chain.directorateCode, commune: chain.communeCode, zone: chain.zoneCode });
    const res = await fetch(`${O.base}/pre-registration/new?${q}`);
    const html = await res.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!csrf) throw new Error(`no CSRF token in the form page (status ${res.status})`);
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    sessions.set(conn, { cookie, csrf });
    return sessions.get(conn)!;
  };
  const form = (photo: Buffer) => (conn: number) => timed(async () => {
    const s = sessions.get(conn) ?? (await formPage(conn));
    const fd = new FormData();
    fd.append('_csrf', s.csrf);
    fd.append('submissionToken', randomUUID());
    for (const [k, v] of formFields(submission(chain))) if (k !== 'language') fd.append(k, v);
    fd.append('photo', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
    const res = await fetch(`${O.base}/pre-registration`, { method: 'POST', headers: { cookie: s.cookie }, body: fd, redirect: 'manual' });
    await res.arrayBuffer();
    const loc = res.headers.get('location') ?? '';
    // `?existing=1`: the generated child met one already filed (random names and dates, bench data):
    // the door answered with that request, as it should; counted as a 200, not as an error.
    const m = /\/pre-registrations\/([^?]+)\?(submitted|existing)=1/.exec(loc);
    if (res.status === 403) sessions.delete(conn);
    return { status: res.status === 303 && m ? (m[2] === 'submitted' ? 201 : 200) : res.status === 303 ? 599 : res.status, reference: m ? decodeURIComponent(m[1]) : undefined };
  });
  return { api, apiMultipart, form, formPage };
}

function anchorDoors(port: number, chain: SchoolChain) {
  const json = (photo: Buffer) => () => timed(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...submission(chain), photo: { data: photo.toString('base64') } }) });
    await res.arrayBuffer();
    return { status: res.status };
  });
  const multipart = (photo: Buffer) => () => timed(async () => {
    const fd = new FormData();
    for (const [k, v] of formFields(submission(chain))) fd.append(k, v);
    fd.append('photo', new Blob([photo], { type: 'image/jpeg' }), 'photo.jpg');
    const res = await fetch(`http://127.0.0.1:${port}/multipart`, { method: 'POST', body: fd });
    await res.arrayBuffer();
    return { status: res.status };
  });
  return { json, multipart };
}

// ───────────────────────────── pipeline timing ─────────────────────────────

/**
 * Waits until every accepted reference reached underReview (timeline event `status:underReview`)
 * or the drain timeout passes; returns submitted → underReview per request (ms), the drain time
 * after `loadEndedAt`, and how many never got there.
 */
async function pipelineOf(pool: Pool, references: string[], loadEndedAt: number) {
  const done = new Map<string, { submitted: number; underReview: number }>();
  const deadline = loadEndedAt + O.drainTimeoutS * 1000;
  let firstSubmitted = Infinity;
  while (done.size < references.length && Date.now() < deadline) {
    const missing = references.filter((r) => !done.has(r));
    for (let i = 0; i < missing.length; i += 2000) {
      // PostgreSQL may refuse a connection for a moment under load (max_connections): try again next poll.
      const rows = (await pool.query<{ reference: string; s: string; u: string | null }>(
        `select p.reference, extract(epoch from p.submitted_at) * 1000 as s, extract(epoch from e.at) * 1000 as u
           from pre_registration p left join pre_registration_event e on e.pre_registration_id = p.id and e.event_key = 'status:underReview'
          where p.reference = any($1)`, [missing.slice(i, i + 2000)]).catch(() => ({ rows: [] }))).rows;
      for (const r of rows) {
        firstSubmitted = Math.min(firstSubmitted, Number(r.s));
        if (r.u !== null) done.set(r.reference, { submitted: Number(r.s), underReview: Number(r.u) });
      }
    }
    if (done.size < references.length) await sleep(500);
  }
  const lastUnderReview = Math.max(0, ...[...done.values()].map((d) => d.underReview));
  const lost = references.length - done.size;
  const spanS = done.size ? (lastUnderReview - Math.min(...[...done.values()].map((d) => d.submitted))) / 1000 : 0;
  return {
    submittedToUnderReview: dist([...done.values()].map((d) => d.underReview - d.submitted)),
    drainS: lost ? null : Math.max(0, (lastUnderReview - loadEndedAt) / 1000),
    notReached: lost,
    pipelineRate: spanS > 0 ? done.size / spanS : null,
  };
}

// ───────────────────────────── anchors' processes ─────────────────────────────

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

/** Starts `node --import tsx <file> args…` and waits for a stdout line matching `ready`. */
async function startChild(file: string, args: string[], ready: RegExp, onLine?: (line: string) => void): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, file), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} not ready in 120 s`)), 120_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${file} exited (${code})`)); });
    lines.on('line', (line) => {
      if (ready.test(line)) { clearTimeout(timer); resolve(); } else onLine?.(line);
    });
  });
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

// ───────────────────────────── report ─────────────────────────────

interface Row {
  scenario: string; door: string; photo: string; mode: string; accepted: number; acceptedPerS: number; latency: Dist; errors: Record<string, number>;
  dropped: number; sessionRowsWritten?: number; pipeline?: Awaited<ReturnType<typeof pipelineOf>>; processes: ReturnType<ProcessSampler['stop']>;
}
const results: Row[] = [];

function summarise(scenario: string, door: string, photo: string, mode: string, load: LoadResult, processes: Row['processes'], pipeline?: Row['pipeline']): Row {
  const ok = load.outcomes.filter((o) => o.ok);
  const errors: Record<string, number> = {};
  for (const o of load.outcomes) if (!o.ok) errors[String(o.status)] = (errors[String(o.status)] ?? 0) + 1;
  const row: Row = { scenario, door, photo, mode, accepted: ok.length, acceptedPerS: ok.length / load.elapsedS, latency: dist(ok.map((o) => o.ms)), errors, dropped: load.dropped, pipeline, processes };
  results.push(row);
  const errs = Object.entries(errors).map(([k, v]) => `${k}×${v}`).join(' ') || 'none';
  const sample = load.outcomes.find((o) => !o.ok && o.detail)?.detail;
  say(`  ${scenario.padEnd(22)} ${door.padEnd(16)} ${photo.padEnd(6)} ${mode.padEnd(18)} ${f1(row.acceptedPerS).padStart(7)}/s  ${fms(row.latency)}  errors: ${errs}${load.dropped ? ` dropped ${load.dropped}` : ''}${sample ? ` (e.g. ${sample})` : ''}`);
  if (pipeline) say(`  ${''.padEnd(22)} submitted→underReview ${fms(pipeline.submittedToUnderReview)}; drain ${pipeline.drainS === null ? `— (${pipeline.notReached} not reached)` : `${pipeline.drainS.toFixed(1)} s`}; pipeline ${f1(pipeline.pipelineRate)}/s`);
  const procs = Object.entries(processes).map(([g, p]) => `${g} ${p.cpuS.toFixed(1)} CPU-s ${p.rssMb.toFixed(0)} MB${p.processes > 1 ? ` (${p.processes})` : ''}`).join(', ');
  if (procs) say(`  ${''.padEnd(22)} ${procs}${ok.length ? `; CPU-ms/accepted: ${Object.entries(processes).map(([g, p]) => `${g} ${(p.cpuS * 1000 / ok.length).toFixed(1)}`).join(', ')}` : ''}`);
  return row;
}

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: O.databaseUrl, max: 3 });
  const sampler = new ProcessSampler();
  const health = await fetch(`${O.base}/health`).catch(() => null);
  if (!health?.ok) throw new Error(`Tasjil does not answer at ${O.base}/health: start it (npm start) or pass --base`);
  const chain = await schoolChain(pool);
  const { small, phone } = await photos();
  const cpuModel = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
  say(`Tasjil submission benchmark — ${new Date().toISOString()}`);
  say(`machine: ${os.cpus().length} CPU (${cpuModel}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  say(`target ${O.base}; ${O.durationS} s per scenario, ${O.connections} connections (closed loop), ${O.rate}/s (open loop); photos: small ${small.length} B, phone ${(phone.length / 2 ** 20).toFixed(2)} MB (4000×3000)`);
  if (!O.stackPid) say('  (no --stack-pid: web/worker/Temporal processes are not measured)');

  const d = doors(chain);
  const anchorPort = await freePort();
  const anchor = await startChild('anchors/bareInsert.ts', [String(anchorPort), O.databaseUrl], /^listening/);
  sampler.addAnchor(anchor.pid!);
  const a = anchorDoors(anchorPort, chain);
  const wants = (s: ScenarioName) => O.scenarios.includes(s);
  const C = O.connections;
  const D = O.durationS;

  /** One intake scenario on Tasjil, then its pipeline timing (waiting for the drain). */
  const intake = async (scenario: string, door: string, photo: string, mode: string, run: () => Promise<LoadResult>) => {
    sampler.start();
    const load = await run();
    const refs = load.outcomes.filter((o) => o.ok && o.reference).map((o) => o.reference!);
    const pipeline = await pipelineOf(pool, refs, load.endedAt);
    return summarise(scenario, door, photo, mode, load, sampler.stop(), pipeline);
  };
  const anchorRun = async (scenario: string, door: string, photo: string, mode: string, run: () => Promise<LoadResult>) => {
    sampler.start();
    const load = await run();
    return summarise(scenario, door, photo, mode, load, sampler.stop());
  };
  const ratios: Array<[string, string]> = [];

  try {
    say('\nscenario               door             photo  mode               accepted/s latency');
    for (const [name, photoName, photo] of [['api-small', 'small', small], ['api-phone', 'phone', phone]] as const) {
      if (!wants(name)) continue;
      const anc = await anchorRun(`anchor: bare insert`, 'JSON', photoName, `closed ${C}`, () => closedLoop(C, D, a.json(photo)));
      const t = await intake(name, 'JSON API', photoName, `closed ${C}`, () => closedLoop(C, D, d.api(photo)));
      ratios.push([`${name} / bare insert (JSON, ${photoName})`, ratio(t.acceptedPerS, anc.acceptedPerS)]);
    }
    for (const [name, photoName, photo, door] of [
      ['api-multipart-phone', 'phone', phone, 'api-multipart'], ['form-small', 'small', small, 'form'], ['form-phone', 'phone', phone, 'form'],
    ] as const) {
      if (!wants(name)) continue;
      const anc = await anchorRun(`anchor: bare insert`, 'multipart', photoName, `closed ${C}`, () => closedLoop(C, D, a.multipart(photo)));
      const send = door === 'form' ? d.form(photo) : d.apiMultipart(photo);
      const t = await intake(name, door === 'form' ? 'one-page form' : 'API multipart', photoName, `closed ${C}`, () => closedLoop(C, D, send));
      ratios.push([`${name} / bare insert (multipart, ${photoName})`, ratio(t.acceptedPerS, anc.acceptedPerS)]);
    }

    if (wants('status')) {
      // A request known by its reference; reads of its public status page while intake runs.
      // Requests known by their references (--status-references, default 50), each read in turn:
      // a deadline day's reads are spread over many requests, not one page read again and again.
      const refs: string[] = [];
      for (let i = 0; i < Math.max(1, O.statusReferences); i++) {
        const seed = await d.api(small)();
        if (!seed.reference) throw new Error(`could not create a request to read (status ${seed.status}${seed.detail ? `: ${seed.detail}` : ''})`);
        refs.push(seed.reference);
      }
      await pipelineOf(pool, refs, Date.now());
      let nextRef = 0;
      const ref = () => refs[nextRef++ % refs.length];
      const before = Number((await pool.query('select count(*) from session')).rows[0].count);
      sampler.start();
      // The intake meanwhile: a closed loop (as fast as 2 connections get answers: it takes what
      // the machine gives) or, with --status-intake-rate, an open loop at a fixed arrival rate
      // (5/s: the national peak's busiest minutes, capacity model).
      const intakeShape = O.statusIntakeRate > 0 ? `open ${O.statusIntakeRate}/s` : `closed ${O.statusIntakeConnections}`;
      const intakeLoad = O.statusIntakeRate > 0 ? openLoop(O.statusIntakeRate, D, d.api(small)) : closedLoop(O.statusIntakeConnections, D, d.api(small));
      const reads = await closedLoop(C, D, () => timed(async () => {
        const res = await get(`${O.base}/pre-registrations/${ref()}`);
        return { status: res.status };
      }));
      const il = await intakeLoad;
      const procs = sampler.stop();
      const after = Number((await pool.query('select count(*) from session')).rows[0].count);
      summarise('status page', 'HTML GET', '—', `closed ${C} + intake`, reads, procs);
      summarise('  (intake meanwhile)', 'JSON API', 'small', intakeShape, il, {});
      say(`  ${''.padEnd(22)} session rows written by ${reads.outcomes.length} anonymous status reads: ${after - before}`);
      results[results.length - 2].sessionRowsWritten = after - before;
      const api = await closedLoop(C, Math.min(D, 10), () => timed(async () => ({ status: (await get(`${O.base}/api/v1/pre-registrations/${ref()}`)).status })));
      summarise('status (API JSON)', 'JSON GET', '—', `closed ${C}`, api, {});
      const h = await closedLoop(C, Math.min(D, 10), () => timed(async () => ({ status: (await get(`${O.base}/health`)).status })));
      const hr = summarise('anchor: /health', 'JSON GET', '—', `closed ${C}`, h, {});
      ratios.push(['status page / /health', ratio(results[results.length - 4].acceptedPerS, hr.acceptedPerS)]);
    }

    if (wants('open') || wants('pipeline')) {
      // The empty pipeline on the same engine: its own worker and task queue.
      const taskQueue = `bench-empty-${randomUUID().slice(0, 8)}`;
      const reached = new Map<string, number>();
      const worker = await startChild('anchors/emptyPipelineWorker.ts', [O.temporalAddress, O.namespace, taskQueue], /^ready$/, (line) => {
        const m = /^underReview (\S+) (\d+)$/.exec(line);
        if (m) reached.set(m[1], Number(m[2]));
      });
      sampler.addAnchor(worker.pid!);
      const connection = await Connection.connect({ address: O.temporalAddress });
      const client = new Client({ connection, namespace: O.namespace, dataConverter: { payloadCodecs: [codecFromConfig(appConfig)] } });
      const startEmpty = () => timed(async () => {
        const reference = `bench-${randomUUID()}`;
        await client.workflow.start('emptyPipelineWorkflow', {
          taskQueue, workflowId: reference, args: [{ reference }],
          typedSearchAttributes: [{ key: STATUS, value: 'submitted' }],
        });
        return { status: 201, reference };
      });
      const emptyPipeline = async (load: LoadResult) => {
        const started = new Map(load.outcomes.filter((o) => o.ok).map((o) => [o.reference!, o.at - o.ms]));
        const deadline = load.endedAt + O.drainTimeoutS * 1000;
        while ([...started.keys()].some((r) => !reached.has(r)) && Date.now() < deadline) await sleep(200);
        const times = [...started].filter(([r]) => reached.has(r)).map(([r, s]) => reached.get(r)! - s);
        const last = Math.max(0, ...[...started.keys()].filter((r) => reached.has(r)).map((r) => reached.get(r)!));
        const first = Math.min(...started.values());
        const notReached = [...started.keys()].filter((r) => !reached.has(r)).length;
        return { submittedToUnderReview: dist(times), drainS: notReached ? null : Math.max(0, (last - load.endedAt) / 1000), notReached, pipelineRate: times.length ? times.length / ((last - first) / 1000) : null };
      };
      try {
        if (wants('open')) {
          sampler.start();
          const el = await openLoop(O.rate, D, startEmpty);
          const ep = await emptyPipeline(el);
          const anc = summarise('anchor: empty pipeline', 'workflow start', '—', `open ${O.rate}/s`, el, sampler.stop(), ep);
          const t = await intake('open', 'JSON API', 'small', `open ${O.rate}/s`, () => openLoop(O.rate, D, d.api(small)));
          ratios.push([`open ${O.rate}/s: submitted→underReview p95, Tasjil / empty pipeline`, ratio(t.pipeline?.submittedToUnderReview.p95 ?? 0, anc.pipeline?.submittedToUnderReview.p95 ?? 0)]);
        }
        if (wants('pipeline')) {
          // Capacity: a burst as fast as the door takes it, then the rate at which the pipeline empties it.
          const n = Math.max(50, Math.round(O.rate * D));
          sampler.start();
          const el = await closedLoop(C, D * 4, startEmpty, n);
          const ep = await emptyPipeline(el);
          const anc = summarise('anchor: empty pipeline', 'workflow start', '—', `burst ${n}`, el, sampler.stop(), ep);
          const t = await intake('pipeline capacity', 'JSON API', 'small', `burst ${n}`, () => closedLoop(C, D * 4, d.api(small), n));
          ratios.push(['pipeline rate, Tasjil / empty pipeline', ratio(t.pipeline?.pipelineRate ?? 0, anc.pipeline?.pipelineRate ?? 0)]);
        }
      } finally {
        await connection.close();
        await stopChild(worker);
      }
    }
  } finally {
    await stopChild(anchor);
    await pool.query('drop table if exists bench_anchor_submission').catch(() => undefined);
    await pool.end();
  }
  say('\nratios (same run):');
  for (const [k, v] of ratios) say(`  ${k}: ${v}`);
  if (O.jsonOut) fs.writeFileSync(O.jsonOut, JSON.stringify({ at: new Date().toISOString(), options: O, machine: { cpus: os.cpus().length, cpuModel, ramGb: os.totalmem() / 2 ** 30 }, results, ratios }, null, 2));
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`bench:submit failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
