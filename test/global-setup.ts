/**
 * Jest globalSetup: starts the real services the integration suites run against, once per run.
 *
 * - Temporal: the CLI dev server, in memory, on free ports, custom search attributes, namespace
 *   `default` (CLI found as `npm start` finds it; building it with Go is allowed); or, with
 *   TEMPORAL_ENGINE=server, the Temporal server on PostgreSQL (scratch databases named after the
 *   test database, `<name>_temporal` and `<name>_temporal_visibility`, dropped and re-created at
 *   each run under the same lock as the test database), on free ports;
 * - PostgreSQL at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/tasjil_test),
 *   embedded if nothing answers locally; the database is dropped, re-created and migrated (an
 *   advisory lock makes a second run on the same machine wait instead of dropping it mid-run);
 * - the Massar sandbox, the SMTP sandbox and the SMS (Twilio API) sandbox, in this process, on
 *   free ports.
 * Then sets process.env for the tests (read through `loadConfig`, see test/support/stack.ts).
 *
 * With TASJIL_UNIT_ONLY=1 nothing is started (pure unit tests, e.g. `domain/`).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { STACK_GLOBAL, type TestStackHandles } from './support/handles';

const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/tasjil_test';

function log(msg: string): void {
  process.stdout.write(`[test stack] ${msg}\n`);
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TASJIL_UNIT_ONLY === '1') {
    log('TASJIL_UNIT_ONLY=1: no services started');
    return;
  }
  const t0 = Date.now();
  // Loaded only now, so that a unit-only run loads none of it.
  const { loadConfig } = await import('../config');
  const { migrateUp } = await import('../migrations/run');
  const { startMassarSandbox } = await import('../sandboxes/massar/server');
  const { startSmsSandbox, startSmtpSandbox } = await import('../sandboxes/messaging/server');
  const { acquireDatabaseLock, ensurePostgres, recreateDatabase, redactDatabaseUrl } = await import('../scripts/lib/postgres');
  const { defaultCacheDir, findTemporalCli, freePort, startTemporalDevServer } = await import('../scripts/lib/temporal');
  const serverEngine = await import('../scripts/lib/temporalServer');
  const engine = serverEngine.temporalEngine(process.env);

  const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  const handles: TestStackHandles = { stops, tempDir: null };
  (globalThis as Record<string, unknown>)[STACK_GLOBAL] = handles;

  try {
    const base = loadConfig({ ...process.env, NODE_ENV: 'test' });
    const verbose = process.env.TASJIL_TEST_VERBOSE === '1';
    const quietLog = (m: string): void => {
      if (verbose) log(m);
    };
    const [temporalPort, uiPort] = await Promise.all([freePort(), freePort()]);
    const databaseUrl = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

    // Temporal and PostgreSQL come up concurrently; the server engine's databases are re-created
    // only once this run holds the test database's lock.
    let lockTaken!: () => void;
    let lockFailed!: (err: unknown) => void;
    const locked = new Promise<void>((resolve, reject) => {
      lockTaken = resolve;
      lockFailed = reject;
    });
    locked.catch(() => undefined); // pgUp reports that failure itself
    const temporalUp = (async () => {
      if (engine === 'server') {
        const tools = await serverEngine.findTemporalServerTools({ env: process.env, cacheDir: defaultCacheDir(process.env), log, build: true });
        const schema = await serverEngine.findSchemaSource(process.env, log);
        const names = serverEngine.testServerDatabaseNames(new URL(databaseUrl).pathname.slice(1));
        await locked;
        const t = Date.now();
        await serverEngine.setupTemporalDatabases({ sqlTool: tools.sql, databaseUrl, ...names, schema, recreate: true, log: quietLog });
        const server = await serverEngine.startTemporalServer({
          serverPath: tools.server,
          databaseUrl,
          ...names,
          ports: await serverEngine.freeServerPorts(),
          namespace: 'default',
          logFile: path.join(os.tmpdir(), `tasjil-test-temporal-server-${names.databaseName}.log`),
          log: quietLog,
        });
        stops.push({ name: 'Temporal server', stop: server.stop });
        log(`Temporal server (TEMPORAL_ENGINE=server) at ${server.address} on databases ${names.databaseName}, ${names.visibilityDatabaseName}, up in ${((Date.now() - t) / 1000).toFixed(1)} s; server ${tools.server} (${tools.how})`);
        return server;
      }
      const cli = await findTemporalCli({ env: process.env, cacheDir: defaultCacheDir(process.env), log, build: true });
      const server = await startTemporalDevServer({
        cliPath: cli.path,
        port: temporalPort,
        uiPort,
        namespace: 'default',
        log: quietLog,
      });
      stops.push({ name: 'Temporal dev server', stop: server.stop });
      log(`Temporal dev server (in memory) at ${server.address}; CLI ${cli.path} (${cli.how})`);
      return server;
    })();
    const pgUp = (async () => {
      try {
        const pg = await ensurePostgres({ databaseUrl, dataDir: base.DATA_DIR, log: quietLog, allowEmbedded: true });
        if (pg.embedded) stops.push({ name: 'embedded PostgreSQL', stop: pg.stop });
        // Two runs on one machine must not drop each other's database: the second one waits.
        const lock = await acquireDatabaseLock(databaseUrl, log);
        stops.push({ name: 'test database lock', stop: lock.release });
        lockTaken();
        await recreateDatabase(databaseUrl);
        const applied = await migrateUp(databaseUrl);
        log(`PostgreSQL ${redactDatabaseUrl(databaseUrl)}${pg.embedded ? ' (embedded)' : ''}: fresh database, ${applied.length} migration(s) applied`);
        return pg;
      } catch (err) {
        lockFailed(err);
        throw err;
      }
    })();
    // allSettled: when one fails, wait for the other so that the cleanup below stops it too.
    const [temporalResult, pgResult] = await Promise.allSettled([temporalUp, pgUp]);
    if (temporalResult.status === 'rejected') throw temporalResult.reason;
    if (pgResult.status === 'rejected') throw pgResult.reason;
    const temporal = temporalResult.value;
    // Picked only now: a run that waited for the database lock must not bind ports chosen before the wait.
    const [massarPort, smtpPort, smsPort] = await Promise.all([freePort(), freePort(), freePort()]);

    const massar = await startMassarSandbox({
      port: massarPort,
      databaseUrl,
      clientId: base.MASSAR_CLIENT_ID,
      clientSecret: base.MASSAR_CLIENT_SECRET,
    });
    stops.push({ name: 'Massar sandbox', stop: () => massar.close() });
    const smtp = await startSmtpSandbox({ port: smtpPort, databaseUrl });
    stops.push({ name: 'SMTP sandbox', stop: () => smtp.close() });
    const sms = await startSmsSandbox({
      port: smsPort,
      databaseUrl,
      accountSid: base.TWILIO_ACCOUNT_SID,
      authToken: base.TWILIO_AUTH_TOKEN,
    });
    stops.push({ name: 'SMS sandbox', stop: () => sms.close() });

    const tempDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tasjil-test-'));
    handles.tempDir = tempDir;

    Object.assign(process.env, {
      NODE_ENV: 'test',
      DATA_DIR: tempDir,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: `tasjil-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      // The server engine has no Web UI: links keep the configured URL.
      TEMPORAL_UI_URL: temporal.uiUrl || base.TEMPORAL_UI_URL,
      MASSAR_BASE_URL: massar.url,
      MASSAR_SANDBOX_PORT: String(massarPort),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      TWILIO_API_BASE_URL: sms.url,
      SMS_SANDBOX_PORT: String(smsPort),
      LOG_LEVEL: process.env.LOG_LEVEL || 'silent',
      // Every test parent signs up from 127.0.0.1; the per-client limit has its own test.
      OTP_MAX_PER_CLIENT_PER_HOUR: '100000',
      // Likewise every unlock: the per-client limit of unlocks has its own test (test/throttle.test.ts).
      UNLOCK_MAX_FAILURES_PER_CLIENT: '100000',
      // Likewise for sign-in failures per client address: the hostile-input suite fails sign-ins from
      // 127.0.0.1 by the hundred; the suites that test this limit set it back to its default (20).
      SIGN_IN_FAILURES_PER_ADDRESS: '100000',
      TASJIL_TEST_STACK: '1',
    });
    log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    // Jest does not run globalTeardown when globalSetup fails: clean up here.
    for (const s of [...stops].reverse()) await s.stop().catch(() => undefined);
    stops.length = 0;
    throw err;
  }
}
