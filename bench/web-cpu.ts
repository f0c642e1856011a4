/**
 * `npm run bench:web`: CPU of one web process per request, by page (issue 10: the public status
 * page read by anonymous visitors on a deadline day), with `/health` as the anchor in the same run.
 *
 * Starts the app itself (createApp, one process, LOG_LEVEL warn) on a spare loopback port against
 * DATABASE_URL (migrated and seeded) and TEMPORAL_ADDRESS, in a child process of its own; makes
 * sure one submitted request exists (the reference given with --reference, else one of the
 * database's, else one submitted now through `POST /api/v1/pre-registrations`); then, for each page
 * and each round, sends 50 warm-up requests and N measured ones over C connections (no cookies:
 * every read is a new anonymous visitor, the worst case) and reads the child's utime+stime from
 * /proc/<pid>/stat before and after. CPU-ms per request is the figure to trust on a shared machine
 * (rates and latencies move with the other load); each page's figure is the median of the rounds,
 * and its ratio to /health's.
 *
 *   npm run bench:web -- [--requests 3000] [--connections 10] [--rounds 2] [--reference P27-…] [--pages health,api,status-ar,status-fr,help]
 *   (or BENCH_REQUESTS, BENCH_CONNECTIONS, BENCH_ROUNDS, BENCH_REFERENCE, BENCH_PAGES; BENCH_PORT for the port, default 14431)
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
import sharp from 'sharp';
import { loadConfig } from '../config';
import { createOrm } from '../entities/orm';
import { connectTemporal } from '../temporal/client';
import { createApp } from '../web/app';
import { gregorianToHijri } from '../domain/hijri';
import { currentNotice } from '../web/services/privacy';
import { benchOptions } from './options';

const TICKS = 100; // clock ticks per second on Linux

const opt = benchOptions();

/** The child: the app alone, listening on `port` (127.0.0.1). */
async function serve(port: number): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'web' } });
  const orm = await createOrm(config.DATABASE_URL);
  const temporal = await connectTemporal(config);
  const { app, close } = createApp({ config, orm, temporal, log });
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

interface Round { cpuMsPerReq: number; perS: number; p50: number; p95: number }

/** 50 warm-up requests, then `n` over `conns` connections; the child's CPU per request. */
async function measure(pid: number, url: string, conns: number, n: number): Promise<Round> {
  const get = async () => {
    const r = await fetch(url);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
  };
  for (let i = 0; i < 50; i++) await get();
  const c0 = cpuMs(pid);
  const t0 = performance.now();
  let sent = 0;
  const lat: number[] = [];
  await Promise.all(Array.from({ length: conns }, async () => {
    while (sent < n) {
      sent++;
      const t = performance.now();
      await get();
      lat.push(performance.now() - t);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const c1 = cpuMs(pid);
  lat.sort((a, b) => a - b);
  return { cpuMsPerReq: (c1 - c0) / n, perS: n / elapsed, p50: lat[lat.length >> 1], p95: lat[Math.floor(lat.length * 0.95)] };
}

/** A submitted request to read: the one given, one of the database's, or one submitted now. */
async function reference(base: string, databaseUrl: string): Promise<string> {
  const given = opt('reference', '');
  if (given) return given;
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const existing = (await pool.query<{ reference: string }>(`select reference from pre_registration where status = 'submitted' order by submitted_at limit 1`)).rows[0];
    if (existing) return existing.reference;
    const s = (await pool.query<{ school_code: string; zone_code: string; commune_code: string; year: string }>(
      `select s.code as school_code, z.code as zone_code, z.commune_code, (select code from school_year where is_current) as year
         from school s join school_zone sz on sz.school_code = s.code join residence_zone z on z.code = sz.residence_zone_code
        where s.kind = 'school' order by s.code, z.code limit 1`)).rows[0];
    if (!s) throw new Error('no school with a zone in the database: seed it first (npm run seed)');
    const photo = await sharp({ create: { width: 300, height: 400, channels: 3, background: { r: 200, g: 180, b: 160 } } }).jpeg().toBuffer();
    const birthDate = '2021-03-04';
    const body = {
      schoolYear: s.year, level: 'primary1',
      child: { firstNameAr: 'سلمى', lastNameAr: 'العلوي', firstNameLatin: 'Salma', lastNameLatin: 'Alaoui' },
      civilStatus: {
        birthDate, birthDateHijri: gregorianToHijri(birthDate), birthPlace: 'الرباط', birthCertificateNumber: '12345/2021',
        birthCertificateDate: '2021-03-14', fatherLineage: 'محمد بن أحمد العلوي', motherLineage: 'فاطمة بنت علي',
      },
      siblings: [], guardianRole: 'father',
      father: {
        firstNameAr: 'محمد', lastNameAr: 'العلوي', firstNameLatin: 'Mohammed', lastNameLatin: 'Alaoui', cin: 'AB123456', profession: 'أستاذ',
        address: 'حي الرياض، الرباط', phone: '0612345678', email: `bench-${randomUUID().slice(0, 8)}@example.ma`,
      },
      mother: { firstNameAr: 'فاطمة', lastNameAr: 'بناني', firstNameLatin: 'Fatima', lastNameLatin: 'Bennani', cin: '', profession: '', address: '', phone: '', email: '' },
      residence: { communeCode: s.commune_code, residenceZoneCode: s.zone_code }, schoolCode: s.school_code, language: 'ar',
      privacyNoticeVersion: currentNotice().version, photo: { data: photo.toString('base64') },
    };
    const res = await fetch(`${base}/api/v1/pre-registrations`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body: JSON.stringify(body),
    });
    const json = (await res.json()) as { reference?: string };
    if (res.status !== 201 || !json.reference) throw new Error(`submission refused: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
    return json.reference;
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const port = Number(opt('port', '14431'));
  const n = Number(opt('requests', '3000'));
  const conns = Number(opt('connections', '10'));
  const rounds = Number(opt('rounds', '2'));
  const wanted = opt('pages', 'health,api,status-ar,status-fr,help').split(',').map((s) => s.trim()).filter(Boolean);
  if (!(n > 0 && conns > 0 && rounds > 0)) throw new Error('requests, connections and rounds must be positive');
  const base = `http://127.0.0.1:${port}`;

  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', __filename, '--serve', String(port)], {
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
    const ref = await reference(base, config.DATABASE_URL);
    const pages: Record<string, { label: string; path: string }> = {
      health: { label: '/health (anchor)', path: '/health' },
      api: { label: 'GET /api/v1/pre-registrations/:ref (JSON)', path: `/api/v1/pre-registrations/${ref}` },
      'status-ar': { label: 'GET /pre-registrations/:ref (HTML, ar)', path: `/pre-registrations/${ref}` },
      'status-fr': { label: 'GET /pre-registrations/:ref?lang=fr (HTML)', path: `/pre-registrations/${ref}?lang=fr` },
      help: { label: 'GET /help (HTML, ar)', path: '/help' },
    };
    for (const p of wanted) if (!pages[p]) throw new Error(`unknown page ${p} (known: ${Object.keys(pages).join(', ')})`);
    const cpuModel = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
    console.log(`Tasjil web CPU per request — ${new Date().toISOString()}`);
    console.log(`machine: ${os.cpus().length} CPU (${cpuModel}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log(`one web process (pid ${child.pid}) at ${base}; ${n} requests × ${rounds} rounds per page, ${conns} connections, no cookies; reference ${ref}`);
    const results = new Map<string, Round[]>(wanted.map((p) => [p, []]));
    for (let r = 0; r < rounds; r++) for (const p of wanted) results.get(p)!.push(await measure(child.pid!, base + pages[p].path, conns, n));
    const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
    const anchor = results.has('health') ? median(results.get('health')!.map((x) => x.cpuMsPerReq)) : null;
    console.log(`\n${'page'.padEnd(44)} ${'CPU-ms/req'.padStart(10)} ${'× /health'.padStart(9)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)}`);
    for (const p of wanted) {
      const rs = results.get(p)!;
      const cpu = median(rs.map((x) => x.cpuMsPerReq));
      console.log(`${pages[p].label.padEnd(44)} ${cpu.toFixed(2).padStart(10)} ${(anchor ? (cpu / anchor).toFixed(2) : '—').padStart(9)} ${median(rs.map((x) => x.perS)).toFixed(0).padStart(7)} ${median(rs.map((x) => x.p50)).toFixed(1).padStart(7)} ${median(rs.map((x) => x.p95)).toFixed(1).padStart(7)}`);
    }
    console.log(`  (CPU per round: ${wanted.map((p) => `${p} ${results.get(p)!.map((x) => x.cpuMsPerReq.toFixed(2)).join('/')}`).join(', ')})`);
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
