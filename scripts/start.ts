/**
 * `npm start`: brings the whole of Tasjil up on this machine with the demo data.
 *
 * 1. PostgreSQL from DATABASE_URL, else an embedded one (data in DATA_DIR/postgres);
 * 2. migrations, then reference data, demo school map and demo staff accounts;
 * 3. Temporal from TEMPORAL_ADDRESS, else the Temporal CLI dev server (SQLite in DATA_DIR/temporal.db,
 *    custom search attributes, 90-day retention), or with TEMPORAL_ENGINE=server the Temporal
 *    server itself on PostgreSQL (databases `temporal` and `temporal_visibility`, see
 *    scripts/lib/temporalServer.ts);
 * 4. child processes: Massar sandbox, messaging sandbox (SMTP + SMS), worker, web;
 * 5. prints the URLs and demo sign-ins. Ctrl-C / SIGTERM stops everything, children first.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../config';
import { ensurePostgres, redactDatabaseUrl, type PostgresHandle } from './lib/postgres';
import {
  defaultCacheDir,
  ensureSearchAttributes,
  findTemporalCli,
  getNamespaceRetentionHours,
  isPortOpen,
  RETENTION_DAYS,
  startTemporalDevServer,
  waitForWorker,
  type TemporalDevServer,
} from './lib/temporal';
import {
  findSchemaSource,
  findTemporalServerTools,
  serverPortsFrom,
  serverStartSettings,
  setupTemporalDatabases,
  startTemporalServer,
  temporalEngine,
  TEMPORAL_SERVER_VERSION,
} from './lib/temporalServer';
import { ROOT, startTsxChild, stopManagedChild, signalGroup, waitForHttp, type ManagedChild } from './lib/processes';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '../migrations/seeders/demoAccounts';
import { DEMO_PARENT_EMAIL } from '../migrations/seeders/demoParent';

const started = Date.now();
const say = (msg: string): void => {
  process.stdout.write(`[tasjil] ${msg}\n`);
};
const step = (msg: string): void => say(`▸ ${msg}`);

let pg: PostgresHandle | null = null;
let temporal: TemporalDevServer | null = null;
const children: ManagedChild[] = [];
let shuttingDown = false;

/** Stops children (in parallel), then Temporal, then the embedded PostgreSQL; exits with `code`. */
async function shutdown(code: number, reason?: string): Promise<never> {
  if (shuttingDown) return new Promise<never>(() => undefined);
  shuttingDown = true;
  if (reason) say(reason);
  say('Stopping…');
  await Promise.all(children.map((c) => stopManagedChild(c).catch(() => undefined)));
  if (temporal) {
    say(`Stopping the Temporal ${temporalEngine() === 'server' ? 'server' : 'dev server'}…`);
    await temporal.stop().catch(() => undefined);
  }
  if (pg?.embedded) {
    say('Stopping the embedded PostgreSQL…');
    await pg.stop().catch(() => undefined);
  }
  say(code === 0 ? 'Stopped.' : `Stopped (exit code ${code}).`);
  process.exit(code);
}

/**
 * Signals: a Ctrl-C reaches this process several times at once (relayed by the outer process,
 * npm…): copies within 2 s of the first are the same keypress; a later one means "stop now".
 * If the outer process disappears (killed), stop everything too.
 */
function installSignalHandlers(): void {
  let firstSignalAt = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (firstSignalAt === 0) {
        firstSignalAt = Date.now();
        void shutdown(0, `${sig} received.`);
        return;
      }
      if (Date.now() - firstSignalAt < 2000) return;
      say('Second signal: killing everything now.');
      for (const c of children) signalGroup(c.process, 'SIGKILL');
      process.exit(130);
    });
  }
  // Last resort when this process dies some other way: no orphan children.
  process.on('exit', () => {
    for (const c of children) signalGroup(c.process, 'SIGKILL');
  });
  const outer = Number(process.env.TASJIL_START_OUTER_PID);
  if (outer > 0) {
    setInterval(() => {
      try {
        process.kill(outer, 0);
      } catch {
        void shutdown(0, 'The start command was stopped.');
      }
    }, 500).unref();
  }
}

/** The configuration as environment variables for the children (only the schema's UPPER_CASE keys). */
function configEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(k) || v === undefined || v === null) continue;
    env[k] = String(v);
  }
  return env;
}

function portOf(urlOrAddress: string, fallback: number): number {
  const m = /:(\d+)(?:\/|$)/.exec(urlOrAddress);
  return m ? Number(m[1]) : fallback;
}

/**
 * TEMPORAL_ENGINE=server: the Temporal server on the PostgreSQL of `databaseUrl`: binaries found or
 * built, databases and schemas set up (idempotent), server started, namespace and search attributes.
 */
async function startTemporalServerEngine(config: Config, databaseUrl: string): Promise<{ address: string; uiUrl: string }> {
  const settings = serverStartSettings(process.env);
  step(`Temporal: TEMPORAL_ENGINE=server, so the Temporal server ${TEMPORAL_SERVER_VERSION} runs on PostgreSQL (databases "${settings.databaseName}" and "${settings.visibilityDatabaseName}")`);
  const tools = await findTemporalServerTools({ env: process.env, cacheDir: defaultCacheDir(process.env), log: (m) => say(`  ${m}`), build: true });
  const how = { env: 'from TEMPORAL_SERVER_BIN / TEMPORAL_SQL_TOOL', PATH: 'found on PATH', cache: 'cached from an earlier build', built: 'just built with Go' }[tools.how];
  say(`  server ${tools.server}, sql tool ${tools.sql} (${how})`);
  let t = Date.now();
  const schema = await findSchemaSource(process.env, (m) => say(`  ${m}`));
  await setupTemporalDatabases({
    sqlTool: tools.sql,
    databaseUrl,
    databaseName: settings.databaseName,
    visibilityDatabaseName: settings.visibilityDatabaseName,
    schema,
    log: (m) => say(`  ${m}`),
  });
  say(`  schemas checked in ${((Date.now() - t) / 1000).toFixed(1)} s (${schema.kind === 'dir' ? `from ${path.dirname(path.dirname(schema.temporal))}` : 'embedded in the sql tool'})`);
  t = Date.now();
  const logFile = path.join(config.DATA_DIR, 'temporal-server.log');
  temporal = await startTemporalServer({
    serverPath: tools.server,
    databaseUrl,
    databaseName: settings.databaseName,
    visibilityDatabaseName: settings.visibilityDatabaseName,
    ports: serverPortsFrom(settings.port),
    namespace: config.TEMPORAL_NAMESPACE,
    logFile,
    log: (m) => say(`  ${m}`),
  });
  say(`  server at ${temporal.address} ready in ${((Date.now() - t) / 1000).toFixed(1)} s; its log: ${logFile}`);
  say('  no Temporal Web UI with this engine (the dev server embeds one; docker compose runs temporalio/ui)');
  return { address: temporal.address, uiUrl: config.TEMPORAL_UI_URL };
}

async function startTemporal(config: Config, databaseUrl: string): Promise<{ address: string; uiUrl: string }> {
  const external = process.env.TEMPORAL_ADDRESS;
  if (external) {
    step(`Temporal: using the server at ${external} (TEMPORAL_ADDRESS)`);
    const { Connection: TemporalConnection } = await import('@temporalio/client');
    let connection: Connection;
    try {
      connection = await TemporalConnection.connect({ address: external, connectTimeout: 5000 });
    } catch (err) {
      throw new Error(
        `Temporal at ${external} does not answer (${(err as Error).message}). Start it, or unset TEMPORAL_ADDRESS so that "npm start" runs a dev server.`,
      );
    }
    try {
      const added = await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
      say(added.length ? `  registered search attributes: ${added.join(', ')}` : '  search attributes already registered');
      const hours = await getNamespaceRetentionHours(connection, config.TEMPORAL_NAMESPACE);
      if (hours < RETENTION_DAYS * 24) {
        say(
          `  WARNING: namespace "${config.TEMPORAL_NAMESPACE}" keeps closed workflow histories ${hours / 24} day(s); ` +
            `supervisors need ${RETENTION_DAYS}. Raise it: temporal operator namespace update --namespace ${config.TEMPORAL_NAMESPACE} --retention ${RETENTION_DAYS * 24}h`,
        );
      } else {
        say(`  namespace "${config.TEMPORAL_NAMESPACE}" retention: ${hours / 24} days`);
      }
    } finally {
      await connection.close();
    }
    return { address: external, uiUrl: config.TEMPORAL_UI_URL };
  }
  if (temporalEngine(process.env) === 'server') return startTemporalServerEngine(config, databaseUrl);

  step('Temporal: TEMPORAL_ADDRESS is not set, so a local Temporal dev server will run');
  const cli = await findTemporalCli({ env: process.env, cacheDir: defaultCacheDir(process.env), log: (m) => say(`  ${m}`), build: true });
  const how = {
    TEMPORAL_CLI: 'from TEMPORAL_CLI',
    PATH: 'found on PATH',
    cache: 'cached from an earlier build',
    built: 'just built with Go',
    download: 'just downloaded through the Temporal SDK',
  }[cli.how];
  say(`  Temporal CLI: ${cli.path} (${how})`);
  const dbFile = path.join(config.DATA_DIR, 'temporal.db');
  temporal = await startTemporalDevServer({
    cliPath: cli.path,
    dbFile,
    port: portOf(config.TEMPORAL_ADDRESS, 7233),
    uiPort: portOf(config.TEMPORAL_UI_URL, 8233),
    namespace: config.TEMPORAL_NAMESPACE,
    log: (m) => say(`  ${m}`),
    // The Web UI decrypts payloads through Tasjil's codec endpoint (signed-in supervisors only).
    extraArgs: ['--ui-codec-endpoint', `${config.publicBaseUrl}/codec`],
  });
  say(`  dev server at ${temporal.address}, state kept in ${dbFile}; Web UI decodes payloads via ${config.publicBaseUrl}/codec`);
  return { address: temporal.address, uiUrl: temporal.uiUrl };
}

/**
 * The pipeline's processes yield the cores to the door (PIPELINE_NICE): in a burst the web accepts
 * fast and durably while the worker and Temporal lag and catch up after.
 */
function lowerPriority(what: string, pid: number | undefined): void {
  const nice = loadConfig(process.env).PIPELINE_NICE;
  if (!nice || !pid) return;
  try {
    // Linux keeps a niceness per thread: every thread the process has now (the Temporal server's Go
    // threads were started before this, and had kept 0: measured); threads born later inherit it.
    let threads: number[] = [pid];
    try {
      threads = readdirSync(`/proc/${pid}/task`).map(Number).filter((tid) => tid > 0);
    } catch { /* not Linux: the process's priority is the process's */ }
    for (const tid of threads) os.setPriority(tid, nice);
  } catch (err) {
    say(`  (could not lower the priority of ${what}: ${(err as Error).message})`);
  }
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const engine = temporalEngine(process.env); // an invalid TEMPORAL_ENGINE stops here, before anything starts
  say(`Starting Tasjil (${config.NODE_ENV}); data folder ${config.DATA_DIR}`);
  await fs.mkdir(config.DATA_DIR, { recursive: true });

  // Ports the children will listen on must be free, or they would die with a cryptic EADDRINUSE.
  const ports: Array<[string, number]> = [
    ['PORT (web)', config.PORT],
    ['MASSAR_SANDBOX_PORT', config.MASSAR_SANDBOX_PORT],
    ['SMTP_PORT (SMTP sandbox)', config.SMTP_PORT],
    ['SMS_SANDBOX_PORT', config.SMS_SANDBOX_PORT],
  ];
  for (const [what, port] of ports) {
    if (await isPortOpen(port)) throw new Error(`Port ${port} (${what}) is already in use. Stop what runs there (an earlier "npm start"?) or set ${what.split(' ')[0]} to another port.`);
  }

  step('PostgreSQL');
  pg = await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, log: (m) => say(`  ${m}`), allowEmbedded: true });

  // Loaded here, not at the top: the outer process of runOuter() needs none of it.
  const { migrateUp } = await import('../migrations/run');
  const { seedAll } = await import('../migrations/seed');

  step('Database schema (MikroORM migrations)');
  const applied = await migrateUp(pg.databaseUrl);
  say(applied.length ? `  applied ${applied.length} migration(s): ${applied.join(', ')}` : '  already up to date');

  step('Reference data, demo school map and demo staff accounts');
  const { demoAccounts } = await seedAll(pg.databaseUrl);
  say(`  seeded; ${demoAccounts.length} demo account(s)`);

  const t = await startTemporal(config, pg.databaseUrl);
  if (temporal) lowerPriority('Temporal', temporal.pid);

  step('Starting the Massar sandbox, the messaging sandbox (SMTP + SMS), the worker and the web server');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...configEnv(config),
    DATABASE_URL: pg.databaseUrl,
    TEMPORAL_ADDRESS: t.address,
    TEMPORAL_UI_URL: t.uiUrl,
  };
  const specs: Array<{ name: string; file: string; health?: string }> = [
    { name: 'massar', file: 'sandboxes/massar/server.ts', health: `http://127.0.0.1:${config.MASSAR_SANDBOX_PORT}/health` },
    { name: 'messaging', file: 'sandboxes/messaging/server.ts', health: `http://127.0.0.1:${config.SMS_SANDBOX_PORT}/health` },
    { name: 'worker', file: 'workers/worker.ts' },
    { name: 'web', file: 'web/server.ts', health: `http://127.0.0.1:${config.PORT}/health` },
  ];
  const width = Math.max(...specs.map((s) => s.name.length));
  for (const s of specs) {
    const child = startTsxChild(s.name, s.file, env, width);
    children.push(child);
    if (s.name === 'worker') lowerPriority('worker', child.process.pid);
    void child.exited.then(({ code, signal }) => {
      if (!shuttingDown) {
        void shutdown(1, `${s.name} (${s.file}) stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}); stopping everything.`);
      }
    });
  }
  await Promise.all([
    ...specs.map(async (s, i) => {
      if (s.health) await waitForHttp(s.health, 180_000, children[i]);
    }),
    // The worker has no port: it is ready when it polls its task queue.
    waitForWorker(t.address, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE, {
      isAlive: () => {
        const w = children[specs.findIndex((s) => s.name === 'worker')]!.process;
        return w.exitCode === null && w.signalCode === null;
      },
    }),
  ]);
  // Again once ready: every thread the worker made while starting.
  lowerPriority('worker', children[specs.findIndex((s) => s.name === 'worker')]!.process.pid);
  // The SMTP sandbox listens on its own port.
  for (let i = 0; i < 100 && !(await isPortOpen(config.SMTP_PORT)); i++) await new Promise((r) => setTimeout(r, 200));
  if (!(await isPortOpen(config.SMTP_PORT))) throw new Error(`The SMTP sandbox does not listen on port ${config.SMTP_PORT}`);

  const base = config.publicBaseUrl.replace(/\/$/, '');
  const rows: Array<[string, string]> = [
    ['Web', `${base}/`],
    ["Parents' space", `${base}/space`],
    ['One-page form (no account)', `${base}/pre-registration/new`],
    ['Staff sign-in', `${base}/staff/login`],
    ...(config.devOutbox ? ([['Dev outbox (emails, SMS)', `${base}/dev/outbox`]] as Array<[string, string]>) : []),
    ['API (OpenAPI)', `${base}/api/v1/openapi.json`],
    ...(engine === 'server' && !process.env.TEMPORAL_ADDRESS ? [] : ([['Temporal Web UI', t.uiUrl]] as Array<[string, string]>)),
    ['Massar sandbox', `http://127.0.0.1:${config.MASSAR_SANDBOX_PORT}/health`],
    ['SMTP sandbox', `${config.SMTP_HOST}:${config.SMTP_PORT}`],
    ['SMS sandbox (Twilio API)', `http://127.0.0.1:${config.SMS_SANDBOX_PORT}`],
    ['PostgreSQL', `${redactDatabaseUrl(pg.databaseUrl)}${pg.embedded ? ' (embedded)' : ''}`],
    ['Temporal', `${t.address}${temporal ? (engine === 'server' ? ' (Temporal server on PostgreSQL)' : ' (dev server)') : ''}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    '',
    '================================================================================',
    `  Tasjil is up (${Math.round((Date.now() - started) / 1000)} s).`,
    '',
    ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`),
    '',
    `  Demo parent (parents' space): ${DEMO_PARENT_EMAIL} / ${DEMO_PASSWORD}`,
    '  (or sign up with any address or mobile: the one-time code appears in the dev outbox)',
    '',
    '  Demo staff accounts (demo data only; scope = school / directorate / academy code):',
    `  Staff sign in with the password, then a second-factor code (TOTP). Every demo staff account`,
    `  is enrolled with the secret ${DEMO_TOTP_SECRET} (add it to an authenticator app),`,
    '  or get the current code with: npx tsx scripts/totp.ts director.04421A01',
  ];
  if (demoAccounts.length) {
    const cols = ['role', 'username', 'password', 'scope'] as const;
    const widths = cols.map((c) => Math.max(c.length, ...demoAccounts.map((a) => String(a[c]).length)));
    const row = (cells: string[]): string => `    ${cells.map((v, i) => (i < cells.length - 1 ? v.padEnd(widths[i]!) : v)).join('  ')}`;
    lines.push(row([...cols]));
    lines.push(row(widths.map((n) => '-'.repeat(Math.min(n, 40)))));
    for (const a of demoAccounts) lines.push(row(cols.map((c) => String(a[c]))));
  } else {
    lines.push('    (none)');
  }
  lines.push('', '  Press Ctrl-C to stop everything.', '================================================================================', '');
  process.stdout.write(lines.join('\n') + '\n');
}

/**
 * `npm start` runs this file under the tsx CLI, whose wrapper process SIGKILLs its program when a
 * signal is not acknowledged within 60 ms, which would cut the orderly shutdown short. So the
 * outer process only starts the real one (`node --import tsx`, own session), forwards signals to
 * it and exits with its exit code.
 */
function runOuter(): void {
  const inner = spawn(process.execPath, ['--import', 'tsx', __filename, ...process.argv.slice(2)], {
    cwd: ROOT,
    env: { ...process.env, TASJIL_START_INNER: '1', TASJIL_START_OUTER_PID: String(process.pid) },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      try {
        inner.kill(sig);
      } catch {
        /* already gone */
      }
    });
  }
  inner.on('error', (err) => {
    process.stderr.write(`[tasjil] could not start: ${err.message}\n`);
    process.exit(1);
  });
  inner.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
}

if (process.env.TASJIL_START_INNER === '1') {
  installSignalHandlers();
  main().catch((err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    void shutdown(1, `Start-up failed: ${msg}`);
  });
} else {
  runOuter();
}
