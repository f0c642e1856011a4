import { z } from 'zod';
import path from 'node:path';

/** Development-only payload key (public: it protects nothing outside a developer's machine). */
const DEV_CODEC_KEY_ID = 'dev-2026';
const DEV_CODEC_KEY = Buffer.from('tasjil-development-codec-key-32b').toString('base64');
/** Development-only key for the staff second-factor secrets at rest (public: refused in production). */
const DEV_STAFF_TOTP_KEY = Buffer.from('tasjil-development-totp-key-32by').toString('base64');

/**
 * The only reader of `process.env`. Validated once with zod and passed down.
 * Every variable has a development default so a fresh clone runs with no set-up.
 */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default(path.resolve(__dirname, '..', '.data')),
  PORT: z.coerce.number().int().positive().default(3000),
  PUBLIC_BASE_URL: z.string().url().optional(),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/tasjil'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('pre-registration'),
  TEMPORAL_UI_URL: z.string().default('http://127.0.0.1:8233'),
  /** Payload encryption keys `id:base64(32 bytes)`, comma-separated; the default is a development key, refused in production. */
  TEMPORAL_CODEC_KEYS: z.string().default(`${DEV_CODEC_KEY_ID}:${DEV_CODEC_KEY}`),
  /** Identifier of the key that encrypts new payloads. */
  TEMPORAL_CODEC_KEY_ID: z.string().default(DEV_CODEC_KEY_ID),
  /** Massar's API; unset: the Massar sandbox of this machine (http://127.0.0.1:<MASSAR_SANDBOX_PORT>). */
  MASSAR_BASE_URL: z.string().url().optional(),
  MASSAR_CLIENT_ID: z.string().default('tasjil-dev'),
  MASSAR_CLIENT_SECRET: z.string().default('tasjil-dev-secret'),
  MASSAR_SANDBOX_PORT: z.coerce.number().int().positive().default(3010),
  SMTP_HOST: z.string().default('127.0.0.1'),
  SMTP_PORT: z.coerce.number().int().positive().default(2525),
  SMTP_SECURE: z.stringbool().default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  MAIL_FROM: z.string().default('Tasjil <no-reply@tasjil.men.gov.ma>'),
  TWILIO_ACCOUNT_SID: z.string().default('ACdev00000000000000000000000000000'),
  TWILIO_AUTH_TOKEN: z.string().default('dev-token'),
  TWILIO_FROM: z.string().default('+212600000000'),
  /** Base URL replacing https://api.twilio.com; unset: the SMS sandbox of this machine (http://127.0.0.1:<SMS_SANDBOX_PORT>). Empty = real Twilio. */
  TWILIO_API_BASE_URL: z.string().optional(),
  SMS_SANDBOX_PORT: z.coerce.number().int().positive().default(3020),
  /** Interface the development sandboxes listen on (0.0.0.0 inside containers). */
  SANDBOX_HOST: z.string().default('127.0.0.1'),
  /** Development outbox page (/dev/outbox) listing captured emails and SMS. */
  DEV_OUTBOX: z.stringbool().optional(),
  SESSION_SECRET: z.string().min(16).default('tasjil-development-session-secret'),
  /** One-time codes (sign-up, password reset) one client address may have sent per hour (against SMS pumping). */
  OTP_MAX_PER_CLIENT_PER_HOUR: z.coerce.number().int().positive().default(20),
  /** Web processes `npm run web` / `npm start` runs (node:cluster; sessions are in PostgreSQL, so any serves any request). 0 = one per core. */
  WEB_PROCESSES: z.coerce.number().int().min(0).default(0),
  /**
   * `npm start` on one machine: the niceness (0–19) given to the pipeline's processes (the worker
   * and the Temporal engine it starts), so that in a burst the door keeps the cores: it accepts
   * durably and fast, the pipeline lags and catches up (BENCHMARKS.md). 0 = same priority. Separate
   * machines or containers (docker compose, production) size each process instead.
   */
  PIPELINE_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /** Workflow starts per second at most by each web process's intake starter (accepted submissions wait in PostgreSQL). */
  INTAKE_START_RATE: z.coerce.number().positive().default(100),
  /**
   * The door first in a burst: while one web process handles this many requests at once (pages, API) (at some
   * moment of the last 5 seconds), its intake starter starts only INTAKE_BURST_START_RATE workflows a
   * second, and catches up when the burst ends (web/services/intakeStarter.ts). 0 = never hold back.
   */
  INTAKE_BURST_IN_FLIGHT: z.coerce.number().int().min(0).default(4),
  /** Workflow starts per second by each web process during a burst (more than 0: the pipeline never stops). */
  INTAKE_BURST_START_RATE: z.coerce.number().positive().default(0.5),
  /**
   * Wrong birth certificate numbers accepted per request per hour, whatever the client address and
   * the door (page or API), before the request locks for the rest of the hour (web/services/unlock.ts).
   */
  UNLOCK_MAX_FAILURES_PER_REFERENCE: z.coerce.number().int().positive().default(5),
  /** Wrong birth certificate numbers (or unknown references) accepted per client address per hour, over all requests. */
  UNLOCK_MAX_FAILURES_PER_CLIENT: z.coerce.number().int().positive().default(20),
  /** Help requests (/help/ask) one client address, and one contact, may send per hour (web/services/helpRequests.ts). */
  HELP_REQUESTS_PER_HOUR: z.coerce.number().int().positive().default(5),
  /** Temporal worker settings (unset: the SDK's defaults): concurrent activities, workflow tasks, cached workflows, pollers. */
  WORKER_MAX_ACTIVITIES: z.coerce.number().int().positive().optional(),
  WORKER_MAX_WORKFLOW_TASKS: z.coerce.number().int().positive().optional(),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().nonnegative().optional(),
  WORKER_ACTIVITY_POLLERS: z.coerce.number().int().positive().optional(),
  WORKER_WORKFLOW_POLLERS: z.coerce.number().int().positive().optional(),
  /**
   * Bearer token of `GET /metrics` (web and worker): `Authorization: Bearer <token>`. Unset: open in
   * development and tests, answered 404 in production (metrics are never public).
   */
  METRICS_TOKEN: z.string().min(24, 'at least 24 characters').regex(/^[\x21-\x7e]+$/, 'printable ASCII, no spaces').optional(),
  /** How long `/ready` waits for PostgreSQL and for Temporal, each. */
  READY_TIMEOUT_MS: z.coerce.number().int().positive().max(30000).default(1000),
  /** SIGTERM: how long the web process lets requests in flight finish before closing. */
  SHUTDOWN_DEADLINE_MS: z.coerce.number().int().positive().max(600000).default(10000),
  /** Port of the worker's health server (`/health`, `/ready`, `/metrics`); 0 = any free port. */
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  /** SIGTERM: how long the worker lets running activities finish (Temporal `shutdownGraceTime`). */
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().max(600000).default(30000),
  /** host:port of the Temporal SDK's own Prometheus exporter in the worker; empty = off. */
  TEMPORAL_METRICS_ADDRESS: z.string().regex(/^$|^[^\s:]+:\d{1,5}$/, 'host:port or empty').default('127.0.0.1:9464'),
  /**
   * Proxies whose `X-Forwarded-For` is believed (Express `trust proxy`): comma-separated CIDRs or
   * the names `loopback`, `linklocal`, `uniquelocal`. Empty (default): none, the peer address is the client.
   */
  TRUST_PROXY: z.string().default(''),
  /** Failed sign-ins one client address may make across usernames in 15 minutes (against password spraying). */
  SIGN_IN_FAILURES_PER_ADDRESS: z.coerce.number().int().positive().default(20),
  /** AES-256-GCM key (base64, 32 bytes) encrypting staff second-factor (TOTP) secrets at rest; the default is a development key, refused in production. */
  STAFF_TOTP_KEY: z.string().default(DEV_STAFF_TOTP_KEY),
  /** Campaign messages sent per second at most, per campaign message and worker (throttled sending). */
  CAMPAIGN_SEND_RATE: z.coerce.number().positive().max(1000).default(10),
  /** Deliveries one activity of a campaign message sends before reporting progress to its workflow. */
  CAMPAIGN_BATCH_SIZE: z.coerce.number().int().positive().max(1000).default(100),
  /** Cost of one SMS segment in centimes of dirham, for the estimate shown before sending a campaign message. */
  CAMPAIGN_SMS_SEGMENT_COST_CENTIMES: z.coerce.number().int().nonnegative().default(25),
  /** Seconds without a heartbeat after which a campaign batch whose worker died is retried on another worker. */
  CAMPAIGN_HEARTBEAT_SECONDS: z.coerce.number().int().positive().max(3600).default(60),
  /** Largest supporting document accepted (bytes, each file, as uploaded); 1 KB – 20 MB. */
  DOCUMENT_MAX_BYTES: z.coerce.number().int().min(1024).max(20 * 1024 * 1024).default(10 * 1024 * 1024),
  /** Most pages of a PDF supporting document. */
  DOCUMENT_MAX_PDF_PAGES: z.coerce.number().int().positive().max(100).default(5),
});

export type Config = Omit<z.infer<typeof schema>, 'MASSAR_BASE_URL' | 'TWILIO_API_BASE_URL'> & {
  MASSAR_BASE_URL: string; TWILIO_API_BASE_URL: string; devOutbox: boolean; publicBaseUrl: string; trustProxy: string[];
};

/**
 * Reads and validates the environment.
 * @param env defaults to `process.env`; tests pass their own.
 * @throws Error naming every invalid variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === 'production' && c.SESSION_SECRET === 'tasjil-development-session-secret') {
    throw new Error('Invalid configuration:\n  SESSION_SECRET: must be set in production');
  }
  if (c.NODE_ENV === 'production' && c.TEMPORAL_CODEC_KEYS.includes(DEV_CODEC_KEY)) {
    throw new Error('Invalid configuration:\n  TEMPORAL_CODEC_KEYS: the development key may not be used in production');
  }
  if (Buffer.from(c.STAFF_TOTP_KEY, 'base64').length !== 32) {
    throw new Error('Invalid configuration:\n  STAFF_TOTP_KEY: must be 32 bytes, base64-encoded');
  }
  if (c.NODE_ENV === 'production' && c.STAFF_TOTP_KEY === DEV_STAFF_TOTP_KEY) {
    throw new Error('Invalid configuration:\n  STAFF_TOTP_KEY: must be set in production');
  }
  const trust = c.TRUST_PROXY.split(',').map((x) => x.trim()).filter(Boolean);
  for (const x of trust) {
    if (!/^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(x)) {
      throw new Error(`Invalid configuration:\n  TRUST_PROXY: "${x}" is neither an address, a CIDR nor loopback/linklocal/uniquelocal`);
    }
  }
  return {
    ...c,
    trustProxy: trust,
    devOutbox: c.DEV_OUTBOX ?? c.NODE_ENV !== 'production',
    publicBaseUrl: c.PUBLIC_BASE_URL ?? `http://127.0.0.1:${c.PORT}`,
    // The sandboxes' addresses follow their ports, so moving a port never sends to another one.
    MASSAR_BASE_URL: c.MASSAR_BASE_URL ?? `http://127.0.0.1:${c.MASSAR_SANDBOX_PORT}`,
    TWILIO_API_BASE_URL: c.TWILIO_API_BASE_URL ?? `http://127.0.0.1:${c.SMS_SANDBOX_PORT}`,
  };
}
