import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { msToTs, optionalTsToMs } from '@temporalio/common/lib/time';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../temporal/searchAttributes';
import { watchChild } from './processes';

/**
 * Temporal bootstrap for the start command and the test stack: finding (or building, or
 * downloading) the Temporal CLI, running its dev server, registering the project's custom
 * search attributes and raising namespace retention.
 */

/** The Temporal CLI release built with `go install` (later tags do not `go install`). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/** Retention the start command sets on the dev server's namespace: 90 days. */
export const RETENTION_DAYS = 90;

type Env = Record<string, string | undefined>;
type Log = (msg: string) => void;

/** How the CLI was found. */
export type TemporalCliSource = 'PATH' | 'TEMPORAL_CLI' | 'cache' | 'built' | 'download';

/**
 * The folder where Tasjil caches tools: `${XDG_CACHE_HOME:-~/.cache}/tasjil`.
 * The CLI lives in its `bin/temporal`.
 */
export function defaultCacheDir(env: Env = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'tasjil');
}

/** Whether `p` is an executable regular file. */
export async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return false;
    await fs.access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable named `name` on `env.PATH`, or null. */
export async function whichOnPath(name: string, env: Env = process.env): Promise<string | null> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

/** Runs a command, streaming its output lines to `log`; resolves with the exit code. */
export function runStreaming(cmd: string, args: string[], env: Env, log: Log, prefix: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (buf: Buffer): void => {
      for (const line of buf.toString('utf8').split('\n')) if (line.trim()) log(`${prefix}${line}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** Builds the CLI with `go install` into `${binDir}`; returns the binary's path. */
async function buildWithGo(goPath: string, binDir: string, env: Env, log: Log): Promise<string> {
  await fs.mkdir(binDir, { recursive: true });
  const pkg = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;
  log(`Temporal CLI: building ${pkg} with Go into ${binDir}. This takes several minutes, once; later runs reuse it.`);
  const started = Date.now();
  const ticker = setInterval(() => log(`Temporal CLI: still building… ${Math.round((Date.now() - started) / 1000)} s`), 30_000);
  try {
    const code = await runStreaming(goPath, ['install', pkg], { ...env, CGO_ENABLED: '0', GOBIN: binDir }, log, '  go: ');
    if (code !== 0) throw new Error(`go install ${pkg} exited with code ${code}`);
  } finally {
    clearInterval(ticker);
  }
  const built = path.join(binDir, 'temporal');
  if (!(await isExecutable(built))) throw new Error(`go install finished but ${built} is missing`);
  log(`Temporal CLI: built in ${Math.round((Date.now() - started) / 1000)} s`);
  return built;
}

/**
 * Downloads the CLI the way the SDK's own test environment does
 * (`TestWorkflowEnvironment.createLocal` with `executable: { type: 'cached-download' }`, which
 * fetches the release archive matching this SDK version into `downloadDir` as
 * `temporal-sdk-typescript-<sdk version>`), then copies it to `${binDir}/temporal`.
 * Needs `@temporalio/testing` (a dev dependency) and internet access.
 */
async function downloadViaSdk(binDir: string, log: Log): Promise<string> {
  const downloadDir = path.join(binDir, '..', 'download');
  await fs.mkdir(downloadDir, { recursive: true });
  log(`Temporal CLI: downloading it through the Temporal SDK into ${downloadDir}…`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const testing = require('@temporalio/testing') as typeof import('@temporalio/testing');
  const envr = await testing.TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir }, ui: false },
  });
  await envr.teardown();
  const names = (await fs.readdir(downloadDir)).filter((n) => /^temporal-sdk-typescript-[^.]+(\.\d+)*$/.test(n));
  if (names.length === 0) throw new Error(`the SDK reported success but left no binary in ${downloadDir}`);
  names.sort();
  const downloaded = path.join(downloadDir, names[names.length - 1]!);
  await fs.mkdir(binDir, { recursive: true });
  const target = path.join(binDir, 'temporal');
  await fs.copyFile(downloaded, `${target}.tmp`);
  await fs.chmod(`${target}.tmp`, 0o755);
  await fs.rename(`${target}.tmp`, target);
  return target;
}

/**
 * Finds the Temporal CLI, in this order:
 * 1. `TEMPORAL_CLI` (a path; an error if it is set but not executable),
 * 2. `temporal` on `PATH`,
 * 3. the cached `${cacheDir}/bin/temporal`,
 * 4. when `build` is true and `go` is on PATH: `CGO_ENABLED=0 go install
 *    github.com/temporalio/cli/cmd/temporal@v1.5.1` into `${cacheDir}/bin` (several minutes, once;
 *    progress is streamed to `log`),
 * 5. when `build` is true: the SDK's own download (needs internet and `@temporalio/testing`).
 *
 * @param opts.env       environment to read (`TEMPORAL_CLI`, `PATH`)
 * @param opts.cacheDir  Tasjil's cache folder, normally {@link defaultCacheDir}()
 * @param opts.log       receives human-readable progress lines
 * @param opts.build     whether steps 4–5 (building / downloading) may run
 * @returns the absolute path of the binary and which way it was found
 * @throws Error saying plainly what to install when every way failed
 */
export async function findTemporalCli(opts: {
  env: Env;
  cacheDir: string;
  log: Log;
  build: boolean;
}): Promise<{ path: string; how: TemporalCliSource }> {
  const { env, cacheDir, log, build } = opts;
  const explicit = env.TEMPORAL_CLI;
  if (explicit) {
    const p = path.resolve(explicit);
    if (await isExecutable(p)) return { path: p, how: 'TEMPORAL_CLI' };
    throw new Error(`TEMPORAL_CLI is set to ${explicit}, which is not an executable file. Fix or unset it.`);
  }
  const onPath = await whichOnPath('temporal', env);
  if (onPath) return { path: onPath, how: 'PATH' };

  const binDir = path.join(cacheDir, 'bin');
  const cached = path.join(binDir, 'temporal');
  if (await isExecutable(cached)) return { path: cached, how: 'cache' };

  const failures: string[] = [];
  if (build) {
    const go = await whichOnPath('go', env);
    if (go) {
      try {
        return { path: await buildWithGo(go, binDir, env, log), how: 'built' };
      } catch (err) {
        failures.push(`building with Go failed: ${(err as Error).message}`);
        log(`Temporal CLI: ${failures[failures.length - 1]}`);
      }
    } else {
      failures.push('Go is not installed, so the CLI could not be built');
    }
    try {
      return { path: await downloadViaSdk(binDir, log), how: 'download' };
    } catch (err) {
      failures.push(`downloading through the SDK failed: ${(err as Error).message}`);
    }
  }
  throw new Error(
    [
      'The Temporal CLI was not found' + (failures.length ? ` (${failures.join('; ')})` : '') + '.',
      'Install one of:',
      `  - Go (https://go.dev/dl/, or "apt-get install golang"), then run again: it builds the CLI once into ${binDir};`,
      `  - the CLI itself: "CGO_ENABLED=0 GOBIN=${binDir} go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}",`,
      '    or "brew install temporal", or a release from https://github.com/temporalio/cli/releases on your PATH;',
      '  - or point TEMPORAL_CLI at a temporal binary, or TEMPORAL_ADDRESS at a running Temporal server.',
    ].join('\n'),
  );
}

/**
 * A free TCP port on 127.0.0.1, as the OS assigns it (it may be taken by someone else before use,
 * which is unlikely within seconds).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** Whether something accepts TCP connections on host:port (1 s timeout). */
export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (open: boolean): void => {
      sock.destroy();
      resolve(open);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export function isAlreadyExists(err: unknown): boolean {
  const e = err as { code?: number; message?: string };
  return e?.code === 6 /* grpc ALREADY_EXISTS */ || /already exists/i.test(e?.message ?? '');
}

/**
 * Registers every entry of `CUSTOM_SEARCH_ATTRIBUTES` (type Keyword) on `namespace` of the server
 * behind `connection`, skipping those already there (idempotent; for external servers).
 * @returns the names that were added now
 * @throws the gRPC error when the server refuses for another reason (e.g. no operator permission)
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = CUSTOM_SEARCH_ATTRIBUTES.filter((a) => !known.has(a.name));
  if (missing.length === 0) return [];
  const keyword = encodeSearchAttributeIndexedValueType('KEYWORD')!;
  const searchAttributes: Record<string, typeof keyword> = {};
  for (const a of missing) searchAttributes[a.name] = keyword;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  return missing.map((a) => a.name);
}

/**
 * The namespace's workflow execution retention, in hours (from `DescribeNamespace`).
 */
export async function getNamespaceRetentionHours(connection: Connection, namespace: string): Promise<number> {
  const res = await connection.workflowService.describeNamespace({ namespace });
  return (optionalTsToMs(res.config?.workflowExecutionRetentionTtl) ?? 0) / 3_600_000;
}

/**
 * Raises the namespace's retention to at least `days` (never lowers it) with `UpdateNamespace`,
 * then reads it back with `DescribeNamespace`.
 * @returns the retention now in force, in hours
 * @throws Error when the value read back is still below `days`
 */
export async function ensureNamespaceRetention(connection: Connection, namespace: string, days = RETENTION_DAYS): Promise<number> {
  const wanted = days * 24;
  const current = await getNamespaceRetentionHours(connection, namespace);
  if (current >= wanted) return current;
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msToTs(`${wanted} hours`) },
  });
  const after = await getNamespaceRetentionHours(connection, namespace);
  if (after < wanted) {
    throw new Error(`Namespace "${namespace}" retention is ${after} h after the update, expected ${wanted} h`);
  }
  return after;
}

/**
 * Waits until a worker polls `taskQueue` (DescribeTaskQueue lists a workflow poller).
 * @param timeoutMs default 180 000 ms (a worker bundles its workflows first: seconds to a minute)
 * @param isAlive checked between polls; when it returns false, waiting stops with an error
 * @throws Error on timeout or when `isAlive` says the worker is gone
 */
export async function waitForWorker(
  address: string,
  namespace: string,
  taskQueue: string,
  opts: { timeoutMs?: number; isAlive?: () => boolean } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const deadline = Date.now() + timeoutMs;
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    for (;;) {
      if (opts.isAlive && !opts.isAlive()) throw new Error('the worker exited before polling its task queue');
      const res = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
      });
      if ((res.pollers?.length ?? 0) > 0) return;
      if (Date.now() > deadline) throw new Error(`no worker polls task queue "${taskQueue}" after ${timeoutMs / 1000} s`);
      await sleep(500);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** What {@link startTemporalDevServer} returns. */
export interface TemporalDevServer {
  /** gRPC address, `127.0.0.1:<port>`. */
  address: string;
  /** Temporal Web UI, `http://127.0.0.1:<uiPort>`. */
  uiUrl: string;
  /** The server's process id. */
  pid: number;
  /** SIGTERM, then SIGKILL after 10 s. Safe to call twice. */
  stop(): Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * The dev server's dynamic configuration, as the production engine's (temporal/server/dynamicconfig.yaml):
 * search attributes from the namespace cache (the CLI turns on a read-through on every use, a
 * global lock and a database read per workflow start and upsert; ours are registered at start, by
 * the flags above), activities handed to the worker eagerly, one partition per task queue.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = [
  'system.forceSearchAttributesCacheRefreshOnRead=false',
  'system.enableActivityEagerExecution=true',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
];

/**
 * Runs `temporal server start-dev` and waits until it serves.
 *
 * Flags: `--ip 127.0.0.1 --port <port> --ui-port <uiPort> --namespace <namespace>
 * --log-level warn [--db-filename <dbFile>] --search-attribute <Name>=Keyword …` (one per entry of
 * `CUSTOM_SEARCH_ATTRIBUTES`) then `extraArgs`. Once a `@temporalio/client` Connection succeeds it
 * checks the search attributes are registered and raises the namespace's retention to 90 days
 * (UpdateNamespace, verified by DescribeNamespace).
 *
 * @param opts.cliPath   the `temporal` binary (see {@link findTemporalCli})
 * @param opts.dbFile    SQLite file for persistence; omit for an in-memory server (tests)
 * @param opts.port      gRPC port (TCP, on 127.0.0.1)
 * @param opts.uiPort    Web UI port (TCP, on 127.0.0.1)
 * @param opts.namespace created at launch ("default" always exists too)
 * @param opts.log       receives progress lines and the server's own output (mostly warnings)
 * @param opts.extraArgs more `start-dev` flags, appended last
 * @param opts.readyTimeoutMs how long to wait for the server (default 60 000 ms)
 * @returns address `127.0.0.1:<port>`, UI URL, pid and `stop()` (SIGTERM, SIGKILL after 10 s). The
 *   server is also killed when this process exits, and by a watchdog if this process crashes.
 * @throws Error when `port` is already in use, or the process exits early or does not answer in
 *   time (the message then carries the tail of the server's stderr, and the process is killed).
 */
export async function startTemporalDevServer(opts: {
  cliPath: string;
  dbFile?: string;
  port: number;
  uiPort: number;
  namespace: string;
  log: Log;
  extraArgs?: string[];
  readyTimeoutMs?: number;
}): Promise<TemporalDevServer> {
  const { cliPath, dbFile, port, uiPort, namespace, log } = opts;
  const host = '127.0.0.1';
  if (await isPortOpen(port, host)) {
    throw new Error(
      `Port ${port} is already in use, so the Temporal dev server cannot start there. ` +
        `Stop what runs there (an earlier "npm start"?), or set TEMPORAL_ADDRESS=${host}:${port} to use it as an external server.`,
    );
  }
  const args = [
    'server', 'start-dev',
    '--ip', host,
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--namespace', namespace,
    '--log-level', 'warn',
    ...(dbFile ? ['--db-filename', dbFile] : []),
    ...CUSTOM_SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${a.type}`]),
    ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((v) => ['--dynamic-config-value', v]),
    ...(opts.extraArgs ?? []),
  ];
  if (dbFile) await fs.mkdir(path.dirname(dbFile), { recursive: true });

  // Own process group: a Ctrl-C in the terminal reaches only the parent, which stops things in order.
  const child = spawn(cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let quiet = false; // set once stopping: the shutdown's own warnings are noise
  const stderrTail: string[] = [];
  const remember = (line: string): void => {
    stderrTail.push(line);
    if (stderrTail.length > 40) stderrTail.shift();
  };
  child.stdout!.on('data', (b: Buffer) => {
    for (const line of b.toString('utf8').split('\n')) if (line.trim() && !quiet) log(`  temporal: ${line}`);
  });
  child.stderr!.on('data', (b: Buffer) => {
    for (const line of b.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      remember(line);
      if (!quiet) log(`  temporal: ${line}`);
    }
  });
  // Never leave the server behind when this process exits or crashes.
  const watched = watchChild(child);

  const address = `${host}:${port}`;
  const fail = async (why: string): Promise<never> => {
    await stopChild(child, 2000).catch(() => undefined);
    watched.release();
    throw new Error(`Temporal dev server (${cliPath} ${args.join(' ')}) ${why}\n--- its stderr (last lines) ---\n${stderrTail.join('\n') || '(empty)'}`);
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  let connection: Connection | null = null;
  let lastError = '';
  while (!connection) {
    if (watched.spawnError()) return fail(`could not be started: ${watched.spawnError()!.message}`);
    if (watched.exited()) return fail(`exited early with ${watched.exited()}`);
    if (Date.now() > deadline) return fail(`did not answer on ${address} within ${(opts.readyTimeoutMs ?? 60_000) / 1000} s (last error: ${lastError})`);
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.workflowService.describeNamespace({ namespace });
      connection = c;
    } catch (err) {
      lastError = (err as Error).message;
      await sleep(250);
    }
  }

  try {
    const added = await ensureSearchAttributes(connection, namespace);
    if (added.length) {
      log(`Temporal: registered search attributes ${added.join(', ')}`);
      await sleep(4000); // two namespace cache refreshes (2 s each): every service sees them (no read-through)
    }
    const hours = await ensureNamespaceRetention(connection, namespace, RETENTION_DAYS);
    log(`Temporal: namespace "${namespace}" retention is ${hours / 24} days`);
  } catch (err) {
    await connection.close().catch(() => undefined);
    return fail(`started but could not be configured: ${(err as Error).message}`);
  }
  await connection.close();

  let stopping: Promise<void> | null = null;
  return {
    address,
    uiUrl: `http://${host}:${uiPort}`,
    pid: child.pid!,
    stop() {
      quiet = true;
      stopping ??= stopChild(child).finally(() => watched.release());
      return stopping;
    },
  };
}
