/**
 * Sandbox Massar: a local stand-in for the ministry's student API, used in development and tests.
 * Its own process and port (`MASSAR_SANDBOX_PORT`, default 3010), its own table
 * `massar_sandbox_student` (created by the project's migrations), its own pg pool.
 *
 * Routes:
 * - `GET /health` → `200 { status: 'ok' }` (checks the database).
 * - `POST /api/v1/students` — Basic auth, header `Idempotency-Key` (= `reference` of the body),
 *   JSON {@link MassarStudentPayload}. First call: `201 { massarCode, createdAt }` with a new
 *   random code (one capital letter + nine digits); same key and same payload again: `200` with the
 *   same code; same key, other payload: `409`; invalid: `400 { error, message, details }`.
 * - `GET /api/v1/students/:massarCode` — Basic auth; `200 { massarCode, idempotencyKey, payload,
 *   createdAt }` or `404`.
 * - Fault injection (no auth; the sandbox listens on loopback only):
 *   `POST /__sandbox/fail-next { count, status?, delayMs?, message? }` makes the next `count`
 *   student posts wait `delayMs` then answer `status` (default 503) without storing anything;
 *   `POST /__sandbox/delay-next { count, delayMs }` makes them slow but successful;
 *   `POST /__sandbox/reset` clears both; `GET /__sandbox/state` shows them.
 *
 * Run directly (`npm run sandbox:massar`) it reads the configuration with `loadConfig()`.
 * Logs carry method, route pattern, status and duration only — never payloads, names or codes.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Pool } from 'pg';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import { loadConfig } from '../../config';
import type { MassarStudentPayload } from '../../activities/massar';
import { MASSAR_CODE_PATTERN } from '../../activities/massar';
import { massarStudentPayloadSchema, REFERENCE_PATTERN } from './schema';

/** A fault the sandbox applies to the next student posts. */
export interface MassarSandboxFault {
  /** How many student posts it applies to. */
  count: number;
  /** HTTP status answered (default 503). A 2xx status makes the posts slow but successful. */
  status?: number;
  /** Wait this long before answering (simulates a slow Massar; longer than the client's timeout = timeout). */
  delayMs?: number;
  /** Message put in the error body. */
  message?: string;
}

/** Options of {@link startMassarSandbox}. */
export interface MassarSandboxOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  databaseUrl: string;
  /** Expected HTTP Basic credentials. */
  clientId: string;
  clientSecret: string;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** A fault active from the start, as if posted to `/__sandbox/fail-next`. */
  failNext?: MassarSandboxFault;
  /** Request logger; default silent. */
  logger?: Logger;
}

/** A running sandbox Massar. */
export interface MassarSandbox {
  /** Base URL, e.g. `http://127.0.0.1:3010` (use as `MASSAR_BASE_URL`). */
  url: string;
  /** Stops accepting connections, ends open ones and closes the pool. */
  close(): Promise<void>;
}

const faultSchema = z.strictObject({
  count: z.number().int().min(0).max(1_000_000),
  status: z.number().int().min(200).max(599).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  message: z.string().max(500).optional(),
});
const delaySchema = z.strictObject({
  count: z.number().int().min(0).max(1_000_000),
  delayMs: z.number().int().min(0).max(600_000),
});

/** Postgres unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** A random Massar code: one capital letter and nine digits, from the CSPRNG. */
export function generateMassarCode(): string {
  const letter = String.fromCharCode(65 + crypto.randomInt(26));
  const digits = crypto.randomInt(0, 1_000_000_000).toString().padStart(9, '0');
  return letter + digits;
}

/**
 * Starts the sandbox Massar on `opts.host:opts.port` (port 0 = a free port).
 * @returns its base URL and `close()`
 */
export async function startMassarSandbox(opts: MassarSandboxOptions): Promise<MassarSandbox> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? pino({ level: 'silent' });
  const pool = new Pool({ connectionString: opts.databaseUrl, max: 5, application_name: 'massar-sandbox' });
  pool.on('error', (err) => log.error({ err: { message: err.message } }, 'idle database client error'));

  const expectedAuth = Buffer.from(`${opts.clientId}:${opts.clientSecret}`, 'utf8');
  let fault: Required<Omit<MassarSandboxFault, 'message'>> & { message?: string } = {
    count: 0,
    status: 503,
    delayMs: 0,
  };
  if (opts.failNext) fault = { status: 503, delayMs: 0, ...opts.failNext };
  let slow = { count: 0, delayMs: 0 };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      log.info(
        { method: req.method, route, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'request',
      );
    });
    next();
  });

  const requireAuth = (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    const given = m ? Buffer.from(m[1], 'base64') : Buffer.alloc(0);
    const ok = given.length === expectedAuth.length && crypto.timingSafeEqual(given, expectedAuth);
    if (!ok) {
      res.set('WWW-Authenticate', 'Basic realm="massar-sandbox", charset="UTF-8"');
      res.status(401).json({ error: 'unauthorized', message: 'Missing or invalid client credentials' });
      return;
    }
    next();
  };

  app.get('/health', async (_req, res) => {
    try {
      await pool.query('select 1 from massar_sandbox_student limit 1');
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', message: 'database not reachable or table missing' });
    }
  });

  // --- fault injection --------------------------------------------------------------------------
  app.post('/__sandbox/fail-next', express.json(), (req, res) => {
    const parsed = faultSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_fault', message: 'Invalid fault', details: issues(parsed.error) });
      return;
    }
    fault = { status: 503, delayMs: 0, ...parsed.data };
    res.json({ fault });
  });
  app.post('/__sandbox/delay-next', express.json(), (req, res) => {
    const parsed = delaySchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_delay', message: 'Invalid delay', details: issues(parsed.error) });
      return;
    }
    slow = parsed.data;
    res.json({ delay: slow });
  });
  app.post('/__sandbox/reset', (_req, res) => {
    fault = { count: 0, status: 503, delayMs: 0 };
    slow = { count: 0, delayMs: 0 };
    res.json({ fault, delay: slow });
  });
  app.get('/__sandbox/state', (_req, res) => {
    res.json({ fault, delay: slow });
  });

  // --- student API --------------------------------------------------------------------------------
  // The body is read before any injected delay, so a slow answer still creates the student even
  // when the client gave up waiting (the case idempotency exists for).
  app.post('/api/v1/students', express.json({ limit: '64kb', type: () => true }), async (req, res, next) => {
    if (fault.count > 0) {
      fault.count -= 1;
      const { status, delayMs, message } = fault;
      if (delayMs > 0) await sleep(delayMs);
      if (status >= 300) {
        if (res.headersSent || req.socket.destroyed) return;
        if (status === 503 || status === 429) res.set('Retry-After', '1');
        res.status(status).json({ error: 'sandbox_fault', message: message ?? `Injected fault: HTTP ${status}` });
        return;
      }
    } else if (slow.count > 0) {
      slow.count -= 1;
      await sleep(slow.delayMs);
    }
    next();
  }, requireAuth, async (req, res) => {
    const key = req.get('idempotency-key');
    if (!key) {
      res.status(400).json({ error: 'missing_idempotency_key', message: 'Header Idempotency-Key is required' });
      return;
    }
    if (!REFERENCE_PATTERN.test(key)) {
      res.status(400).json({ error: 'invalid_idempotency_key', message: 'Idempotency-Key must be 1 to 64 letters, digits or . _ : -' });
      return;
    }
    const parsed = massarStudentPayloadSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_payload', message: 'The student payload is invalid', details: issues(parsed.error) });
      return;
    }
    const payload: MassarStudentPayload = parsed.data;
    if (payload.reference !== key) {
      res.status(400).json({ error: 'reference_mismatch', message: 'Idempotency-Key must equal the payload reference' });
      return;
    }
    const result = await createOrFind(pool, key, payload);
    if (result.kind === 'conflict') {
      res.status(409).json({
        error: 'idempotency_conflict',
        message: 'This Idempotency-Key was already used with a different payload',
        massarCode: result.massarCode,
      });
      return;
    }
    res.status(result.kind === 'created' ? 201 : 200).json({ massarCode: result.massarCode, createdAt: result.createdAt });
  });

  app.get('/api/v1/students/:massarCode', requireAuth, async (req, res) => {
    const massarCode = String(req.params.massarCode);
    if (!MASSAR_CODE_PATTERN.test(massarCode)) {
      res.status(404).json({ error: 'not_found', message: 'No such student' });
      return;
    }
    const { rows } = await pool.query<{ idempotency_key: string; massar_code: string; payload: MassarStudentPayload; created_at: Date }>(
      'select idempotency_key, massar_code, payload, created_at from massar_sandbox_student where massar_code = $1',
      [massarCode],
    );
    if (rows.length === 0) {
      res.status(404).json({ error: 'not_found', message: 'No such student' });
      return;
    }
    const row = rows[0];
    res.json({ massarCode: row.massar_code, idempotencyKey: row.idempotency_key, payload: row.payload, createdAt: row.created_at.toISOString() });
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found', message: 'No such route' });
  });

  // Express 5 forwards rejected promises here. Bodies that are not JSON arrive as 400 from the parser.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 400 && status < 500) {
      const type = (err as { type?: unknown }).type;
      res.status(status).json({
        error: type === 'entity.too.large' ? 'payload_too_large' : 'invalid_json',
        message: type === 'entity.too.large' ? 'Body too large' : 'Body must be valid JSON',
      });
      return;
    }
    log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'request failed');
    if (!res.headersSent) res.status(500).json({ error: 'internal', message: 'Internal sandbox error' });
  });

  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await pool.end();
      })();
      return closing;
    },
  };
}

type CreateResult =
  | { kind: 'created' | 'existing'; massarCode: string; createdAt: string }
  | { kind: 'conflict'; massarCode: string };

/**
 * Insert-or-find, safe under concurrency: `insert … on conflict do nothing` then `select`. A
 * conflict on the key means "already exported" (same payload, compared as jsonb) or a 409; a
 * conflict on the code only (random collision) means "draw another code".
 */
async function createOrFind(pool: Pool, key: string, payload: MassarStudentPayload): Promise<CreateResult> {
  const json = JSON.stringify(payload);
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const code = generateMassarCode();
    try {
      const inserted = await pool.query<{ massar_code: string; created_at: Date }>(
        `insert into massar_sandbox_student (idempotency_key, massar_code, payload)
         values ($1, $2, $3::jsonb)
         on conflict do nothing
         returning massar_code, created_at`,
        [key, code, json],
      );
      if (inserted.rows.length === 1) {
        return { kind: 'created', massarCode: inserted.rows[0].massar_code, createdAt: inserted.rows[0].created_at.toISOString() };
      }
    } catch (err) {
      // A racing insert may surface as a unique violation instead of a skipped row; treat alike.
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    }
    const existing = await pool.query<{ massar_code: string; created_at: Date; same: boolean }>(
      'select massar_code, created_at, payload = $2::jsonb as same from massar_sandbox_student where idempotency_key = $1',
      [key, json],
    );
    if (existing.rows.length === 1) {
      const row = existing.rows[0];
      if (!row.same) return { kind: 'conflict', massarCode: row.massar_code };
      return { kind: 'existing', massarCode: row.massar_code, createdAt: row.created_at.toISOString() };
    }
    // The code collided with another student's: draw again.
  }
  throw new Error('Could not draw a free Massar code');
}

function issues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (require.main === module) {
  const config = loadConfig();
  const logger = pino({ name: 'massar-sandbox', level: config.LOG_LEVEL });
  startMassarSandbox({
    port: config.MASSAR_SANDBOX_PORT,
    databaseUrl: config.DATABASE_URL,
    clientId: config.MASSAR_CLIENT_ID,
    clientSecret: config.MASSAR_CLIENT_SECRET,
    host: config.SANDBOX_HOST,
    logger,
  }).then(
    (sandbox) => {
      logger.info({ url: sandbox.url }, 'sandbox Massar listening');
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        sandbox.close().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'stop failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    },
    (err: unknown) => {
      logger.fatal({ err: { message: err instanceof Error ? err.message : String(err) } }, 'sandbox Massar failed to start');
      process.exit(1);
    },
  );
}
