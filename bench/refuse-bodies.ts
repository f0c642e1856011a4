/**
 * Benchmark of the door (issue 11.3): how long the server takes to refuse the largest bodies, and
 * how long `/health` takes meanwhile (polled every 20 ms on a second connection during each
 * refusal). The real app (`createApp`) on a real PostgreSQL (database `tasjil_bench_input`,
 * re-created, migrated, seeded) and a real Temporal dev server (the CLI the tests use), over HTTP
 * on the loopback. Anchor in the same run: `/health` alone, and a small valid-shape refused body.
 *
 *   npx tsx bench/refuse-bodies.ts            # 5 runs per case
 *   BENCH_RUNS=10 npx tsx bench/refuse-bodies.ts
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { loadConfig } from '../config';
import { createOrm } from '../entities/orm';
import { migrateUp } from '../migrations/run';
import { seedAll } from '../migrations/seed';
import { recreateDatabase } from '../scripts/lib/postgres';
import { defaultCacheDir, findTemporalCli, freePort, startTemporalDevServer } from '../scripts/lib/temporal';
import { connectTemporal } from '../temporal/client';
import { createApp } from '../web/app';

const DB = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/tasjil_bench_input';
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Case { name: string; method: string; path: string; headers: Record<string, string>; body: () => AsyncIterable<Buffer> | Buffer }

/** One request over a fresh connection; resolves with the status and the ms from the first byte sent to the end of the answer. */
function request(port: number, c: Case): Promise<{ status: number; ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, method: c.method, path: c.path, headers: c.headers, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => { bytes += d.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6, bytes }));
    });
    req.on('error', reject);
    const body = c.body();
    if (Buffer.isBuffer(body)) { req.end(body); return; }
    void (async () => {
      try {
        for await (const chunk of body) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        req.end();
      } catch { /* the server answered and closed: fine */ }
    })();
  });
}

/** Polls /health every 20 ms until `stop` is set; returns the slowest answer in ms. */
async function pollHealth(port: number, stop: { done: boolean }): Promise<{ max: number; n: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let max = 0;
  let n = 0;
  while (!stop.done) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => { res.resume(); res.on('end', () => resolve()); }).on('error', reject);
    });
    max = Math.max(max, Number(process.hrtime.bigint() - t0) / 1e6);
    n += 1;
    await new Promise((r) => setTimeout(r, 20));
  }
  agent.destroy();
  return { max, n };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

async function* chunks(total: number, size = 1 << 20, head?: Buffer): AsyncIterable<Buffer> {
  if (head) yield head;
  const block = Buffer.alloc(size, 0x41);
  for (let sent = 0; sent < total; sent += size) yield block.subarray(0, Math.min(size, total - sent));
}

async function main(): Promise<void> {
  await recreateDatabase(DB);
  await migrateUp(DB);
  await seedAll(DB);
  const cli = await findTemporalCli({ env: process.env, cacheDir: defaultCacheDir(process.env), log: () => undefined, build: false });
  const [tPort, uiPort] = await Promise.all([freePort(), freePort()]);
  const temporalServer = await startTemporalDevServer({ cliPath: cli.path, port: tPort, uiPort, namespace: 'default', log: () => undefined });
  const config = loadConfig({ ...process.env, DATABASE_URL: DB, TEMPORAL_ADDRESS: temporalServer.address, NODE_ENV: 'test' });
  const orm = await createOrm(DB);
  const temporal = await connectTemporal(config);
  const { app, close } = createApp({ config, orm, temporal, log: pino({ level: 'silent' }) });
  const server = await new Promise<http.Server>((r) => { const s = app.listen(0, '127.0.0.1', () => r(s)); });
  const port = (server.address() as AddressInfo).port;

  const siblings = Buffer.from(JSON.stringify({ level: 'primary1', siblings: Array.from({ length: 40000 }, () => ({ firstNameAr: 'سلمى', birthDate: '2016-01-01' })) }));
  const tenMbJson = Buffer.from(`{"note":"${'a'.repeat(10 * 1024 * 1024)}"}`);
  const boundary = 'benchBoundary';
  const mpHead = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
  const mpTail = (fields: string) => Buffer.from(`\r\n${fields}--${boundary}--\r\n`);
  const field = (k: string, v: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  const eleven = Buffer.concat([mpHead, Buffer.alloc(11 * 1024 * 1024, 0xff), mpTail(Array.from({ length: 60 }, (_, i) => field(`child[f${i}]`, 'ياسين')).join(''))]);
  const cases: Case[] = [
    { name: 'anchor: GET /health', method: 'GET', path: '/health', headers: {}, body: () => Buffer.alloc(0) },
    { name: 'anchor: malformed 20-byte JSON → 400', method: 'POST', path: '/api/v1/pre-registrations', headers: { 'Content-Type': 'application/json' }, body: () => Buffer.from('{"level":"primary1",') },
    { name: `40,000 siblings JSON (${(siblings.length / 1e6).toFixed(1)} MB) to the photo route → 413`, method: 'POST', path: '/api/v1/pre-registrations', headers: { 'Content-Type': 'application/json', 'Content-Length': String(siblings.length) }, body: () => siblings },
    { name: '10 MB JSON to a 64 KB route (decision) → 413', method: 'POST', path: '/api/v1/pre-registrations/P27-AAAAA-AAAAA/decision', headers: { 'Content-Type': 'application/json', 'Content-Length': String(tenMbJson.length) }, body: () => tenMbJson },
    { name: '10 MB JSON to the photo route (string, not a photo) → 400', method: 'POST', path: '/api/v1/pre-registrations', headers: { 'Content-Type': 'application/json', 'Content-Length': String(tenMbJson.length) }, body: () => tenMbJson },
    { name: '100 MB multipart, Content-Length declared → 413', method: 'POST', path: '/pre-registration', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(mpHead.length + 100 * 1024 * 1024) }, body: () => chunks(100 * 1024 * 1024, 1 << 20, mpHead) },
    { name: '100 MB multipart, chunked (no length) → 413 at 50 MB', method: 'POST', path: '/pre-registration', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Transfer-Encoding': 'chunked' }, body: () => chunks(100 * 1024 * 1024, 1 << 20, mpHead) },
    { name: '11 MB photo first + 60 fields → form kept (403: no CSRF token in this bench)', method: 'POST', path: '/pre-registration', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(eleven.length) }, body: () => eleven },
  ];

  console.log(`refusing large bodies — ${new Date().toISOString()}, ${RUNS} runs per case, node ${process.version}`);
  console.log('| case | status | p50 ms | max ms | /health max ms during (polls) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const c of cases) {
    const ms: number[] = [];
    let status = 0;
    let healthMax = 0;
    let polls = 0;
    for (let i = 0; i < RUNS; i += 1) {
      const stop = { done: false };
      const poll = pollHealth(port, stop);
      const r = await request(port, c);
      stop.done = true;
      const h = await poll;
      status = r.status;
      ms.push(r.ms);
      healthMax = Math.max(healthMax, h.max);
      polls += h.n;
    }
    console.log(`| ${c.name} | ${status} | ${pct(ms, 50).toFixed(1)} | ${Math.max(...ms).toFixed(1)} | ${healthMax.toFixed(1)} (${polls}) |`);
  }
  await new Promise((r) => server.close(r));
  await close();
  await temporal.close();
  await orm.close(true);
  await temporalServer.stop();
}

main().catch((err) => { console.error(err); process.exit(1); });
