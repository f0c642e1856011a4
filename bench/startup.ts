/**
 * `npx tsx bench/startup.ts`: start time and memory of the web and worker processes run from
 * TypeScript through tsx (as `npm start` runs them; the anchor) and compiled (`node dist/…`, as the
 * image runs them), alternated in the same run, plus the worker in production with the pre-built
 * workflow bundle. Needs `npm run build` first, a PostgreSQL at DATABASE_URL (migrated) and a
 * Temporal server at TEMPORAL_ADDRESS.
 *
 * Ready = web: `/health` answers 200; worker: its "worker running" log line (after the workflow
 * code is bundled or loaded). RSS and CPU are read from /proc right after ready + 20 page views
 * (web) or 1 s (worker). BENCH_RUNS (default 3) runs of each, medians printed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS || 3);
const PORT = Number(process.env.BENCH_PORT || 3491);
const TICKS = 100; // clock ticks per second on Linux

interface Sample { readyMs: number; rssMb: number; cpuS: number }

function procStats(pid: number): { rssMb: number; cpuS: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { rssMb: rssKb / 1024, cpuS: (Number(stat[11]) + Number(stat[12])) / TICKS };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(args: string[], env: NodeJS.ProcessEnv, kind: 'web' | 'worker'): Promise<Sample> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited: ${out.slice(-2000)}`);
      if (performance.now() - t0 > 180_000) throw new Error(`${args.join(' ')} not ready after 180 s`);
      if (kind === 'web') {
        const ok = await fetch(`http://127.0.0.1:${PORT}/health`).then((r) => r.ok, () => false);
        if (ok) break;
      } else if (out.includes('worker running')) {
        break;
      }
      await sleep(50);
    }
    const readyMs = performance.now() - t0;
    if (kind === 'web') for (let i = 0; i < 20; i++) await fetch(`http://127.0.0.1:${PORT}/`).then((r) => r.arrayBuffer());
    else await sleep(1000);
    return { readyMs, ...procStats(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'web', 'server.js'))) throw new Error('run `npm run build` first');
  const base: NodeJS.ProcessEnv = { ...process.env, PORT: String(PORT), LOG_LEVEL: 'info', TEMPORAL_TASK_QUEUE: `bench-startup-${Date.now()}` };
  const prod: NodeJS.ProcessEnv = {
    ...base,
    NODE_ENV: 'production',
    TEMPORAL_CODEC_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    TEMPORAL_CODEC_KEY_ID: 'bench',
    SESSION_SECRET: randomBytes(24).toString('hex'),
  };
  const variants: Array<{ name: string; kind: 'web' | 'worker'; args: string[]; env: NodeJS.ProcessEnv }> = [
    { name: 'web, tsx (anchor)', kind: 'web', args: ['--import', 'tsx', 'web/server.ts'], env: base },
    { name: 'web, node dist', kind: 'web', args: ['dist/web/server.js'], env: base },
    { name: 'worker, tsx (anchor)', kind: 'worker', args: ['--import', 'tsx', 'workers/worker.ts'], env: base },
    { name: 'worker, node dist', kind: 'worker', args: ['dist/workers/worker.js'], env: base },
    { name: 'worker, node dist, production + pre-built bundle', kind: 'worker', args: ['dist/workers/worker.js'], env: prod },
  ];
  const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const v of variants) samples.get(v.name)!.push(await measure(v.args, v.env, v.kind));
  }
  const rows = variants.map((v) => {
    const s = samples.get(v.name)!;
    return { name: v.name, kind: v.kind, ready: median(s.map((x) => x.readyMs)), rss: median(s.map((x) => x.rssMb)), cpu: median(s.map((x) => x.cpuS)) };
  });
  const anchor = (kind: string) => rows.find((r) => r.kind === kind)!;
  console.log(`runs: ${RUNS} of each, alternated; medians; ratio = this / tsx anchor of the same process`);
  console.log('| process | ready s | × | RSS MB | × | CPU s |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const a = anchor(r.kind);
    console.log(`| ${r.name} | ${(r.ready / 1000).toFixed(1)} | ${(r.ready / a.ready).toFixed(2)} | ${r.rss.toFixed(0)} | ${(r.rss / a.rss).toFixed(2)} | ${r.cpu.toFixed(1)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
