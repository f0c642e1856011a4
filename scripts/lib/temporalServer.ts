import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureDatabase, parsePgUrl, recreateDatabase, withDatabase } from './postgres';
import { ROOT, watchChild } from './processes';
import {
  ensureNamespaceRetention,
  ensureSearchAttributes,
  isAlreadyExists,
  isExecutable,
  isPortOpen,
  RETENTION_DAYS,
  runStreaming,
  sleep,
  stopChild,
  whichOnPath,
  type TemporalDevServer,
} from './temporal';

/**
 * The production Temporal engine on this machine (`TEMPORAL_ENGINE=server`): the Temporal server
 * itself (frontend, history, matching and worker services in one process) on PostgreSQL
 * persistence and SQL visibility, as a production cluster runs, instead of the CLI's dev server.
 *
 * - the binaries `server` and `sql` (temporal-sql-tool) of go.temporal.io/server v1.29.1, found
 *   or built once with Go into Tasjil's cache ({@link findTemporalServerTools});
 * - the databases `temporal` and `temporal_visibility` created and their schemas set up and
 *   migrated with the sql tool from the schema files shipped in that Go module (idempotent, so
 *   each start only checks them) ({@link setupTemporalDatabases});
 * - the server started with the committed configuration `temporal/server/tasjil.yaml` (a template
 *   filled from TASJIL_TEMPORAL_* variables), then the namespace (90-day retention) and Tasjil's
 *   search attributes ({@link startTemporalServer}).
 */

/** The Temporal server release, the same as the `temporalio/server` image of docker-compose.yml. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_MODULE = 'go.temporal.io/server';
const SERVER_PACKAGES = {
  server: `${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
  sql: `${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
} as const;
/** Folder of the committed server configuration (`tasjil.yaml`, `dynamicconfig.yaml`). */
export const SERVER_CONFIG_DIR = path.join(ROOT, 'temporal', 'server');
/** The configuration file's "environment" name: the server reads `<config dir>/<env>.yaml`. */
const SERVER_CONFIG_ENV = 'tasjil';
/** The server's namespace cache refresh (system.namespaceCacheRefreshInterval, its default). */
const NAMESPACE_CACHE_REFRESH_MS = 2000;

type Env = Record<string, string | undefined>;
type Log = (msg: string) => void;

/** Which engine runs Temporal when TEMPORAL_ADDRESS is not set: `dev` (default) or `server`. */
export type TemporalEngine = 'dev' | 'server';

/**
 * Reads `TEMPORAL_ENGINE`: unset or `dev` → the CLI dev server; `server` → the Temporal server on
 * PostgreSQL.
 * @throws Error for any other value
 */
export function temporalEngine(env: Env = process.env): TemporalEngine {
  const v = (env.TEMPORAL_ENGINE ?? '').trim().toLowerCase();
  if (v === '' || v === 'dev') return 'dev';
  if (v === 'server') return 'server';
  throw new Error(`TEMPORAL_ENGINE must be "dev" (the Temporal CLI dev server, the default) or "server" (the Temporal server on PostgreSQL); got "${env.TEMPORAL_ENGINE}"`);
}

/** Where the two binaries were found. */
export type ServerToolsSource = 'env' | 'PATH' | 'cache' | 'built';

/** What {@link findTemporalServerTools} returns. */
export interface TemporalServerTools {
  server: string;
  sql: string;
  how: ServerToolsSource;
}

/**
 * Finds the Temporal server and its SQL schema tool, in this order:
 * 1. `TEMPORAL_SERVER_BIN` and `TEMPORAL_SQL_TOOL` (paths; an error if set but not executable),
 * 2. `temporal-server` and `temporal-sql-tool` on PATH (their names in Temporal's images),
 * 3. the cached `${cacheDir}/bin/server` and `${cacheDir}/bin/sql`,
 * 4. when `build` is true and Go is on PATH: `CGO_ENABLED=0 go install
 *    go.temporal.io/server/cmd/server@v1.29.1 go.temporal.io/server/cmd/tools/sql@v1.29.1` into
 *    `${cacheDir}/bin` (about 3 minutes on 2 cores once the Temporal CLI's modules are cached;
 *    progress and the time taken go to `log`).
 * @throws Error saying what to install when neither way works
 */
export async function findTemporalServerTools(opts: { env: Env; cacheDir: string; log: Log; build: boolean }): Promise<TemporalServerTools> {
  const { env, cacheDir, log, build } = opts;
  if (env.TEMPORAL_SERVER_BIN || env.TEMPORAL_SQL_TOOL) {
    const server = path.resolve(env.TEMPORAL_SERVER_BIN ?? '');
    const sql = path.resolve(env.TEMPORAL_SQL_TOOL ?? '');
    for (const [name, p] of [['TEMPORAL_SERVER_BIN', server], ['TEMPORAL_SQL_TOOL', sql]] as const) {
      if (!env[name] || !(await isExecutable(p))) throw new Error(`${name} must be set to an executable file when TEMPORAL_SERVER_BIN or TEMPORAL_SQL_TOOL is set (got "${env[name] ?? ''}").`);
    }
    return { server, sql, how: 'env' };
  }
  const [serverOnPath, sqlOnPath] = await Promise.all([whichOnPath('temporal-server', env), whichOnPath('temporal-sql-tool', env)]);
  if (serverOnPath && sqlOnPath) return { server: serverOnPath, sql: sqlOnPath, how: 'PATH' };

  const binDir = path.join(cacheDir, 'bin');
  const cached = { server: path.join(binDir, 'server'), sql: path.join(binDir, 'sql') };
  const missing = (await Promise.all((['server', 'sql'] as const).map(async (k) => ((await isExecutable(cached[k])) ? null : k)))).filter(
    (k): k is 'server' | 'sql' => k !== null,
  );
  if (missing.length === 0) return { ...cached, how: 'cache' };

  const go = build ? await whichOnPath('go', env) : null;
  if (go) {
    await fs.mkdir(binDir, { recursive: true });
    const pkgs = missing.map((k) => SERVER_PACKAGES[k]);
    log(`Temporal server: building ${pkgs.join(' and ')} with Go into ${binDir} (CGO_ENABLED=0 go install; about 3 minutes on 2 cores, once; later runs reuse it)…`);
    const started = Date.now();
    const ticker = setInterval(() => log(`Temporal server: still building… ${Math.round((Date.now() - started) / 1000)} s`), 30_000);
    try {
      const code = await runStreaming(go, ['install', ...pkgs], { ...env, CGO_ENABLED: '0', GOBIN: binDir }, log, '  go: ');
      if (code !== 0) throw new Error(`go install ${pkgs.join(' ')} exited with code ${code}`);
    } finally {
      clearInterval(ticker);
    }
    for (const k of missing) if (!(await isExecutable(cached[k]))) throw new Error(`go install finished but ${cached[k]} is missing`);
    log(`Temporal server: built ${missing.join(' and ')} in ${Math.round((Date.now() - started) / 1000)} s`);
    return { ...cached, how: 'built' };
  }
  throw new Error(
    [
      `The Temporal server binaries (${missing.map((k) => cached[k]).join(', ')}) were not found${build ? ' and Go is not installed to build them' : ''}.`,
      'Install one of:',
      `  - Go (https://go.dev/dl/, or "apt-get install golang"), then run again: it builds them once into ${binDir};`,
      `  - the binaries: "CGO_ENABLED=0 GOBIN=${binDir} go install ${SERVER_PACKAGES.server} ${SERVER_PACKAGES.sql}";`,
      '  - or set TEMPORAL_SERVER_BIN and TEMPORAL_SQL_TOOL to existing binaries, or unset TEMPORAL_ENGINE to use the dev server.',
    ].join('\n'),
  );
}

/** Schema sources for the sql tool's `update-schema`: folders of versioned SQL, or names of the schemas embedded in the tool. */
export type SchemaSource = { kind: 'dir'; temporal: string; visibility: string } | { kind: 'embedded'; temporal: string; visibility: string };

/**
 * Where the PostgreSQL schemas of Temporal v1.29.1 are: the Go module's own files
 * (`go mod download -json go.temporal.io/server@v1.29.1` → its `Dir`, then
 * `schema/postgresql/v12/{temporal,visibility}/versioned`), the same files the `admin-tools`
 * image runs. Without Go (binaries from PATH or TEMPORAL_SERVER_BIN), the copies embedded in the
 * sql tool (`--schema-name postgresql/v12/…`).
 */
export async function findSchemaSource(env: Env, log: Log): Promise<SchemaSource> {
  const embedded: SchemaSource = { kind: 'embedded', temporal: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' };
  const go = await whichOnPath('go', env);
  if (!go) return embedded;
  const out: string[] = [];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(go, ['mod', 'download', '-json', `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`], {
      cwd: ROOT,
      env: { ...env, GOFLAGS: '-mod=mod' } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (b: Buffer) => out.push(b.toString('utf8')));
    child.stderr.resume();
    child.on('error', () => resolve(1));
    child.on('close', (c) => resolve(c ?? 1));
  });
  try {
    if (code !== 0) throw new Error(`go mod download exited with code ${code}`);
    const dir = (JSON.parse(out.join('')) as { Dir?: string }).Dir;
    if (!dir) throw new Error('go mod download gave no Dir');
    const base = path.join(dir, 'schema', 'postgresql', 'v12');
    const src: SchemaSource = { kind: 'dir', temporal: path.join(base, 'temporal', 'versioned'), visibility: path.join(base, 'visibility', 'versioned') };
    await Promise.all([fs.access(src.temporal), fs.access(src.visibility)]);
    return src;
  } catch (err) {
    log(`Temporal server: the module's schema files were not found (${(err as Error).message}); using the copies embedded in the sql tool`);
    return embedded;
  }
}

/**
 * Creates (if missing) and sets up the two databases of the Temporal server on the PostgreSQL of
 * `databaseUrl` (same server and credentials, other database names), with the sql tool exactly as
 * Temporal's compose examples do: `create-database`, `setup-schema -v 0.0` (creates only the version
 * tables, `IF NOT EXISTS`), `update-schema -d <versioned folder>` (applies the versions not yet
 * applied). Idempotent: on a restart it only finds both schemas up to date.
 * @param opts.recreate drop both databases first (the test stack: a fresh server per run)
 */
export async function setupTemporalDatabases(opts: {
  sqlTool: string;
  databaseUrl: string;
  databaseName: string;
  visibilityDatabaseName: string;
  schema: SchemaSource;
  recreate?: boolean;
  log: Log;
}): Promise<void> {
  const { sqlTool, databaseUrl, schema, log } = opts;
  const pg = parsePgUrl(databaseUrl);
  const baseEnv: Env = {
    ...process.env,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: pg.host === 'localhost' ? '127.0.0.1' : pg.host.replace(/^\[|\]$/g, ''),
    SQL_PORT: String(pg.port),
    SQL_USER: pg.user,
    // Through the environment, so that the password never shows in a process list.
    SQL_PASSWORD: pg.password,
  };
  for (const [database, versioned] of [
    [opts.databaseName, schema.temporal],
    [opts.visibilityDatabaseName, schema.visibility],
  ] as const) {
    const url = withDatabase(databaseUrl, database);
    if (opts.recreate) await recreateDatabase(url);
    else await ensureDatabase(url);
    const env = { ...baseEnv, SQL_DATABASE: database };
    const output: string[] = [];
    const run = async (args: string[]): Promise<void> => {
      const code = await runStreaming(sqlTool, args, env, (l) => output.push(l), '');
      if (code !== 0) throw new Error(`temporal-sql-tool ${args.join(' ')} on database "${database}" exited with code ${code}:\n${output.slice(-15).join('\n')}`);
    };
    await run(['setup-schema', '-v', '0.0']);
    await run(['update-schema', ...(schema.kind === 'dir' ? ['-d', versioned] : ['--schema-name', versioned])]);
    log(`database "${database}": schema up to date`);
  }
}

/** The ports of one server process (all on 127.0.0.1). */
export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
  metrics: number;
}

/**
 * The ports of `npm start`'s server: gRPC frontend on `frontend` (default 7433, clear of the dev
 * server's 7233/8233), the others after it: services +1…+4 (HTTP API +4), membership +10…+13,
 * Prometheus metrics +17.
 */
export function serverPortsFrom(frontend = 7433): TemporalServerPorts {
  return {
    frontend,
    history: frontend + 1,
    matching: frontend + 2,
    worker: frontend + 3,
    frontendHttp: frontend + 4,
    frontendMembership: frontend + 10,
    historyMembership: frontend + 11,
    matchingMembership: frontend + 12,
    workerMembership: frontend + 13,
    metrics: frontend + 17,
  };
}

/** Whether `port` can be bound on 127.0.0.1 now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Ten free ports for one server (the test stack: parallel runs must not collide). Drawn at random
 * in 20000–32767, not from the OS's ephemeral range: the server stores membership ports in a
 * PostgreSQL `smallint` column (`cluster_membership.rpc_port`), so they must stay below 32768.
 */
export async function freeServerPorts(): Promise<TemporalServerPorts> {
  const keys = Object.keys(serverPortsFrom()) as Array<keyof TemporalServerPorts>;
  const ports = new Set<number>();
  for (let tries = 0; ports.size < keys.length; tries++) {
    if (tries > 1000) throw new Error('could not find free ports for the Temporal server in 20000–32767');
    const p = 20000 + Math.floor(Math.random() * 12768);
    if (!ports.has(p) && (await canBind(p))) ports.add(p);
  }
  const list = [...ports];
  return Object.fromEntries(keys.map((k, i) => [k, list[i]!])) as unknown as TemporalServerPorts;
}

/**
 * Starts `server --root <repo> --config temporal/server --env tasjil --allow-no-auth start` with
 * the four services, waits until the frontend serves, then makes sure the namespace exists with a
 * 90-day retention (RegisterNamespace, or UpdateNamespace when it is shorter) and that Tasjil's
 * search attributes are registered on it, and that its SQL visibility answers.
 *
 * Everything binds 127.0.0.1 and the frontend has no authorizer (`--allow-no-auth`): it is a
 * single-machine engine; a networked cluster adds TLS and an authorizer.
 *
 * @param opts.logFile  the server's own output (JSON lines) is appended there; the last lines are
 *   also quoted in the error when it fails to start
 * @returns address, pid and `stop()` (SIGTERM, SIGKILL after 10 s); the server is also killed when
 *   this process exits, and by a watchdog if this process crashes
 * @throws Error when a port is taken, the server exits early or does not answer in time
 */
export async function startTemporalServer(opts: {
  serverPath: string;
  databaseUrl: string;
  databaseName: string;
  visibilityDatabaseName: string;
  ports: TemporalServerPorts;
  namespace: string;
  logFile: string;
  log: Log;
  readyTimeoutMs?: number;
}): Promise<TemporalDevServer> {
  const { serverPath, ports, namespace, log } = opts;
  const host = '127.0.0.1';
  for (const [what, port] of Object.entries(ports)) {
    if (await isPortOpen(port, host)) {
      throw new Error(
        `Port ${port} (Temporal server ${what}) is already in use. Stop what runs there (an earlier "npm start"?), ` +
          `set TEMPORAL_SERVER_PORT to another base port, or set TEMPORAL_ADDRESS to use a running server.`,
      );
    }
  }
  const pg = parsePgUrl(opts.databaseUrl);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TASJIL_TEMPORAL_DB_HOST: pg.host === 'localhost' ? '127.0.0.1' : pg.host.replace(/^\[|\]$/g, ''),
    TASJIL_TEMPORAL_DB_PORT: String(pg.port),
    TASJIL_TEMPORAL_DB_USER: pg.user,
    TASJIL_TEMPORAL_DB_PASSWORD: pg.password,
    TASJIL_TEMPORAL_DB_NAME: opts.databaseName,
    TASJIL_TEMPORAL_VISIBILITY_DB_NAME: opts.visibilityDatabaseName,
    TASJIL_TEMPORAL_FRONTEND_PORT: String(ports.frontend),
    TASJIL_TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    TASJIL_TEMPORAL_HISTORY_PORT: String(ports.history),
    TASJIL_TEMPORAL_MATCHING_PORT: String(ports.matching),
    TASJIL_TEMPORAL_WORKER_PORT: String(ports.worker),
    TASJIL_TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    TASJIL_TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    TASJIL_TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    TASJIL_TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    TASJIL_TEMPORAL_METRICS_PORT: String(ports.metrics),
    TASJIL_TEMPORAL_DYNAMIC_CONFIG: path.join(SERVER_CONFIG_DIR, 'dynamicconfig.yaml'),
  };
  const args = [
    '--root', ROOT,
    '--config', path.relative(ROOT, SERVER_CONFIG_DIR),
    '--env', SERVER_CONFIG_ENV,
    '--allow-no-auth',
    'start',
    ...['frontend', 'history', 'matching', 'worker'].flatMap((s) => ['--service', s]),
  ];
  await fs.mkdir(path.dirname(opts.logFile), { recursive: true });
  const logStream = createWriteStream(opts.logFile, { flags: 'a' });
  logStream.write(`\n--- ${new Date().toISOString()} ${serverPath} ${args.join(' ')}\n`);

  const child = spawn(serverPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.on('data', (b: Buffer) => {
      logStream.write(b);
      for (const line of b.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        tail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
        if (tail.length > 40) tail.shift();
      }
    });
  }
  // Never leave the server behind when this process exits or crashes.
  const watched = watchChild(child);

  const address = `${host}:${ports.frontend}`;
  const fail = async (why: string): Promise<never> => {
    await stopChild(child, 2000).catch(() => undefined);
    watched.release();
    throw new Error(`Temporal server (${serverPath} ${args.join(' ')}) ${why}\n--- its output (last lines; all in ${opts.logFile}) ---\n${tail.join('\n') || '(empty)'}`);
  };

  const timeoutMs = opts.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  let connection: Connection | null = null;
  let lastError = '';
  // 1. the frontend answers (its gRPC health check says SERVING)
  while (!connection) {
    if (watched.spawnError()) return fail(`could not be started: ${watched.spawnError()!.message}`);
    if (watched.exited()) return fail(`exited early with ${watched.exited()}`);
    if (Date.now() > deadline) return fail(`did not answer on ${address} within ${timeoutMs / 1000} s (last error: ${lastError})`);
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      const health = await c.healthService.check({});
      if (health.status !== 1 /* SERVING */) {
        await c.close();
        throw new Error(`health status ${health.status}`);
      }
      connection = c;
    } catch (err) {
      lastError = (err as Error).message;
      await sleep(250);
    }
  }
  // 2. the namespace, its retention, the search attributes, a visibility query
  try {
    let created = false;
    for (;;) {
      try {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(`${RETENTION_DAYS * 24} hours`),
          description: 'Tasjil pre-registrations',
        });
        created = true;
        break;
      } catch (err) {
        if (isAlreadyExists(err)) break;
        // The history service may still be joining the cluster right after the frontend serves.
        if (Date.now() > deadline || watched.exited()) throw err;
        lastError = (err as Error).message;
        await sleep(500);
      }
    }
    const hours = await ensureNamespaceRetention(connection, namespace, RETENTION_DAYS);
    log(`Temporal: namespace "${namespace}" ${created ? 'created' : 'found'}, retention ${hours / 24} days`);
    const added = await ensureSearchAttributes(connection, namespace);
    if (added.length) {
      log(`Temporal: registered search attributes ${added.join(', ')}`);
      // They are namespace aliases (SQL visibility): every service sees them at its next namespace
      // cache refresh (2 s, system.namespaceCacheRefreshInterval); wait for it, so that the first
      // workflows may set them at once (the server does not read them through on every use).
      await sleep(NAMESPACE_CACHE_REFRESH_MS * 2);
    }
    for (;;) {
      try {
        await connection.workflowService.countWorkflowExecutions({ namespace, query: 'TasjilStatus = "submitted"' });
        break;
      } catch (err) {
        if (Date.now() > deadline || watched.exited()) throw err;
        await sleep(250);
      }
    }
  } catch (err) {
    await connection.close().catch(() => undefined);
    return fail(`started but could not be configured: ${(err as Error).message}`);
  }
  await connection.close();

  let stopping: Promise<void> | null = null;
  return {
    address,
    // The server has no Web UI of its own (the CLI dev server embeds one; compose runs temporalio/ui).
    uiUrl: '',
    pid: child.pid!,
    stop() {
      stopping ??= stopChild(child).finally(() => watched.release());
      return stopping;
    },
  };
}

/** The start command's settings for the server engine, from the environment. */
export interface ServerStartSettings {
  /** gRPC frontend port; the other ports follow it ({@link serverPortsFrom}). */
  port: number;
  databaseName: string;
  visibilityDatabaseName: string;
}

/**
 * Reads `TEMPORAL_SERVER_PORT` (default 7433), `TEMPORAL_DB_NAME` (default `temporal`) and
 * `TEMPORAL_VISIBILITY_DB_NAME` (default `temporal_visibility`).
 * @throws Error naming the variable when a value is invalid
 */
export function serverStartSettings(env: Env = process.env): ServerStartSettings {
  const port = Number(env.TEMPORAL_SERVER_PORT || 7433);
  // Membership ports (frontend + 13) are stored in a smallint column: the whole range stays below 32768.
  if (!Number.isInteger(port) || port < 1024 || port > 32767 - 17) {
    throw new Error(`TEMPORAL_SERVER_PORT must be a port between 1024 and ${32767 - 17} (got "${env.TEMPORAL_SERVER_PORT}")`);
  }
  const name = (key: string, fallback: string): string => {
    const v = env[key] || fallback;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(v)) throw new Error(`${key} must be a lower-case PostgreSQL database name (letters, digits, _), got "${v}"`);
    return v;
  };
  const databaseName = name('TEMPORAL_DB_NAME', 'temporal');
  const visibilityDatabaseName = name('TEMPORAL_VISIBILITY_DB_NAME', 'temporal_visibility');
  if (databaseName === visibilityDatabaseName) throw new Error('TEMPORAL_DB_NAME and TEMPORAL_VISIBILITY_DB_NAME must differ');
  return { port, databaseName, visibilityDatabaseName };
}

/**
 * Scratch database names for the test stack, derived from the test database's name so that runs
 * with different TEST_DATABASE_URLs never share a Temporal server's state:
 * `tasjil_test_x` → `tasjil_test_x_temporal`, `tasjil_test_x_temporal_visibility`
 * (shortened with a hash when the name is long).
 */
export function testServerDatabaseNames(testDatabaseName: string): { databaseName: string; visibilityDatabaseName: string } {
  let base = testDatabaseName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const suffix = '_temporal_visibility';
  if (base.length + suffix.length > 63) {
    let h = 0;
    for (const ch of base) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    base = `${base.slice(0, 63 - suffix.length - 9)}_${h.toString(16).padStart(8, '0')}`;
  }
  return { databaseName: `${base}_temporal`, visibilityDatabaseName: `${base}${suffix}` };
}
