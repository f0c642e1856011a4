/**
 * Messaging sandbox: the local endpoints that receive Tasjil's notifications in development and
 * tests, storing each message in `dev_outbox_message` (shown by the development outbox page).
 *
 * - {@link startSmtpSandbox}: an SMTP server (port `SMTP_PORT`, default 2525). No TLS, any or no
 *   authentication accepted. Each message is parsed and stored as one row per envelope recipient
 *   (channel `email`) before the server answers `250`, so when `sendMail` resolves the row exists.
 * - {@link startSmsSandbox}: an HTTP server speaking the subset of the Twilio Messages API that
 *   twilio-node uses to send (port `SMS_SANDBOX_PORT`, default 3020; `TWILIO_API_BASE_URL` points
 *   at it). Each accepted message is stored as a row (channel `sms`), `meta.sid` = its SID.
 *
 * Run directly (`tsx sandboxes/messaging/server.ts`), it reads the configuration with `loadConfig()`
 * and starts both. Logs never carry addresses, numbers or bodies.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { Pool } from 'pg';
import pino, { type Logger } from 'pino';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../../config';
import { smsSegments } from '../../activities/templates/segments';

// ================================================================================================
// SMTP
// ================================================================================================

/** Options of {@link startSmtpSandbox}. */
export interface SmtpSandboxOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  databaseUrl: string;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Largest accepted message in bytes; default 10 MiB. */
  maxMessageBytes?: number;
  /** Logger; default silent. */
  logger?: Logger;
}

/** A running SMTP sandbox. */
export interface SmtpSandbox {
  /** The port it listens on (use as `SMTP_PORT`). */
  port: number;
  /**
   * Fault injection: the next `count` messages are refused after DATA with `responseCode`
   * (default 451, temporary; 5xx = permanent) and not stored.
   */
  failNext(count: number, responseCode?: number): void;
  /** Stops listening, ends open sessions (421) and closes the pool. */
  close(): Promise<void>;
}

/** Headers copied into `meta.headers` when present (lower-case names), besides every `x-*` header. */
const KEPT_HEADERS = ['content-language', 'auto-submitted', 'list-unsubscribe', 'precedence', 'reply-to'];

/**
 * Starts the SMTP sandbox. Accepts any sender, recipients and credentials (or none), STARTTLS
 * disabled; stores each message in `dev_outbox_message` with `sender` = envelope MAIL FROM,
 * `recipient` = one envelope RCPT TO per row, `subject`, `body` (text part, `''` if none),
 * `html`, `raw` (the whole source) and `meta` = { messageId, date, from, to, cc, replyTo,
 * envelopeFrom, envelopeTo, headers: { x-… }, attachments: [{ filename, contentType, size }], size }.
 * If storing fails the server answers `451` (temporary) so the client retries.
 *
 * Invalid recipients for tests: addresses in the reserved `.invalid` top-level domain (RFC 2606),
 * e.g. `nobody@example.invalid`, are refused at `RCPT TO` with `550 5.1.1`.
 */
export async function startSmtpSandbox(opts: SmtpSandboxOptions): Promise<SmtpSandbox> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? pino({ level: 'silent' });
  const maxBytes = opts.maxMessageBytes ?? 10 * 1024 * 1024;
  const pool = new Pool({ connectionString: opts.databaseUrl, max: 5, application_name: 'smtp-sandbox' });
  pool.on('error', (err) => log.error({ err: { message: err.message } }, 'idle database client error'));
  const fault = { count: 0, responseCode: 451 };

  const server = new SMTPServer({
    name: 'tasjil-smtp-sandbox',
    banner: 'Tasjil SMTP sandbox',
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
    disableReverseLookup: true,
    size: maxBytes,
    logger: false,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onRcptTo(address, _session, callback) {
      if (/(^|\.)invalid$/i.test(address.address.split('@').pop() ?? '')) {
        callback(Object.assign(new Error('5.1.1 Recipient address rejected: no such domain'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, reply) {
      let answered = false;
      const callback = (err: Error | null, message?: string): void => {
        if (answered) return;
        answered = true;
        reply(err, message);
      };
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          const err = Object.assign(new Error('Message exceeds the fixed maximum message size'), { responseCode: 552 });
          callback(err);
          return;
        }
        if (fault.count > 0) {
          fault.count -= 1;
          const code = fault.responseCode;
          callback(Object.assign(new Error(code >= 500 ? 'Message refused (injected fault)' : 'Temporary failure (injected fault), try again later'), { responseCode: code }));
          return;
        }
        const raw = Buffer.concat(chunks);
        storeEmail(pool, raw, session.envelope).then(
          (rows) => {
            log.info({ rows, bytes: raw.length }, 'email stored');
            callback(null, 'OK: message stored in the development outbox');
          },
          (err: unknown) => {
            log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'email not stored');
            callback(Object.assign(new Error('Temporary failure: message not stored, try again later'), { responseCode: 451 }));
          },
        );
      });
    },
  });
  server.on('error', (err) => log.error({ err: { message: err.message } }, 'smtp server error'));

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen(opts.port, host, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    port,
    failNext(count: number, responseCode = 451) {
      fault.count = count;
      fault.responseCode = responseCode;
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Pooled clients keep idle connections open: end them now rather than after closeTimeout.
          for (const connection of server.connections) {
            connection.send(421, 'Server shutting down');
            connection.close();
          }
        });
        await pool.end();
      })();
      return closing;
    },
  };
}

interface Envelope {
  mailFrom: { address: string } | false;
  rcptTo: { address: string }[];
}

async function storeEmail(pool: Pool, raw: Buffer, envelope: Envelope): Promise<number> {
  const parsed = await simpleParser(raw, { skipImageLinks: true });
  const sender = envelope.mailFrom ? envelope.mailFrom.address : (firstAddress(parsed.from) ?? null);
  const recipients = envelope.rcptTo.map((r) => r.address);
  if (recipients.length === 0) throw new Error('no recipient');
  const meta = emailMeta(parsed, sender, recipients, raw.length);
  const client = await pool.connect();
  try {
    await client.query('begin');
    for (const recipient of recipients) {
      await client.query(
        `insert into dev_outbox_message (channel, sender, recipient, subject, body, html, raw, meta)
         values ('email', $1, $2, $3, $4, $5, $6, $7::jsonb)`,
        [
          truncate(sender, 255),
          truncate(recipient, 255),
          parsed.subject ?? null,
          parsed.text ?? '',
          parsed.html === false ? null : parsed.html,
          raw.toString('utf8'),
          JSON.stringify(meta),
        ],
      );
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  return recipients.length;
}

function emailMeta(parsed: ParsedMail, envelopeFrom: string | null, envelopeTo: string[], size: number): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const line of parsed.headerLines) {
    const key = line.key.toLowerCase();
    if (key.startsWith('x-') || KEPT_HEADERS.includes(key)) {
      const value = line.line.slice(line.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
      headers[key] = headers[key] ? `${headers[key]}, ${value}` : value;
    }
  }
  return {
    messageId: parsed.messageId ?? null,
    date: parsed.date ? parsed.date.toISOString() : null,
    from: addressText(parsed.from),
    to: addressText(parsed.to),
    cc: addressText(parsed.cc),
    replyTo: addressText(parsed.replyTo),
    envelopeFrom,
    envelopeTo,
    headers,
    attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, size: a.size })),
    size,
  };
}

function addressText(a: AddressObject | AddressObject[] | undefined): string | null {
  if (!a) return null;
  return (Array.isArray(a) ? a : [a]).map((x) => x.text).join(', ');
}

function firstAddress(a: AddressObject | AddressObject[] | undefined): string | undefined {
  const first = a ? (Array.isArray(a) ? a[0] : a) : undefined;
  return first?.value[0]?.address;
}

function truncate(s: string | null, max: number): string | null {
  return s === null ? null : s.slice(0, max);
}

// ================================================================================================
// SMS (Twilio Messages API)
// ================================================================================================

/** Options of {@link startSmsSandbox}. */
export interface SmsSandboxOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  databaseUrl: string;
  /** The only account accepted (HTTP Basic user and `:AccountSid` path segment). */
  accountSid: string;
  /** Its auth token (HTTP Basic password). */
  authToken: string;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Logger; default silent. */
  logger?: Logger;
}

/** A running SMS sandbox. */
export interface SmsSandbox {
  /** Base URL, e.g. `http://127.0.0.1:3020` (use as `TWILIO_API_BASE_URL`). */
  url: string;
  /** Stops listening, ends open connections and closes the pool. */
  close(): Promise<void>;
}

/** Twilio's message resource, as the sandbox answers it (snake_case, like the real API). */
interface TwilioMessageResource {
  account_sid: string;
  api_version: '2010-04-01';
  body: string;
  date_created: string;
  date_sent: string | null;
  date_updated: string;
  direction: 'outbound-api';
  error_code: number | null;
  error_message: string | null;
  from: string | null;
  messaging_service_sid: string | null;
  num_media: string;
  num_segments: string;
  price: string | null;
  price_unit: string;
  sid: string;
  status: string;
  subresource_uris: { media: string; feedback: string };
  to: string;
  uri: string;
}

const API = '/2010-04-01';
const E164 = /^\+[1-9][0-9]{6,14}$/;
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-f]{32}$/i;
const MESSAGE_SID = /^SM[0-9a-f]{32}$/;

/**
 * Twilio's documented magic `To` numbers (test credentials), answered the way Twilio does, so
 * permanent per-number failures can be tested: the number is valid E.164 but cannot receive.
 */
export const TWILIO_MAGIC_TO_NUMBERS: Readonly<Record<string, { code: number; message: string }>> = {
  '+15005550001': { code: 21211, message: "The 'To' number +15005550001 is not a valid phone number." },
  '+15005550002': { code: 21612, message: "The 'To' phone number: +15005550002, is not currently reachable using the 'From' phone number via SMS." },
  '+15005550003': { code: 21408, message: 'Permission to send an SMS has not been enabled for the region indicated by the \'To\' number: +15005550003.' },
  '+15005550004': { code: 21610, message: "Attempt to send to unsubscribed recipient" },
  '+15005550009': { code: 21614, message: "'To' number +15005550009 is not a valid mobile number" },
};

/** Twilio's JSON error body. */
function twilioError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

/** RFC 2822 date as Twilio writes it: `Thu, 24 Aug 2023 05:01:45 +0000`. */
export function rfc2822(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/**
 * Starts the Twilio-compatible SMS sandbox.
 *
 * - `POST /2010-04-01/Accounts/:AccountSid/Messages.json` (form-urlencoded `To`, `From` or
 *   `MessagingServiceSid`, `Body`; HTTP Basic `sid:token`, else 401 code 20003). Validation errors
 *   in Twilio's shape `{ code, message, more_info, status }`: 21604 To missing, 21211 To invalid,
 *   21603 From missing, 21212 From invalid, 21602 Body missing, 21617 Body over 1600 characters;
 *   and Twilio's magic test numbers ({@link TWILIO_MAGIC_TO_NUMBERS}: +15005550001 invalid 21211,
 *   +15005550009 not a mobile 21614…) for permanent per-number failures.
 *   Success: `201` and the message resource (`sid` = `SM` + 32 hex, `status` `queued` — or
 *   `accepted` when sent through a Messaging Service without `From` —, `num_segments`, RFC 2822 dates).
 * - `GET /2010-04-01/Accounts/:AccountSid/Messages/:Sid.json` — the stored message, now `delivered`.
 * - `GET /health`.
 * - Fault injection (no auth): `POST /__sandbox/fail-next { count, status?, code?, message? }`
 *   makes the next `count` message posts answer that error (default 500, code 20500);
 *   `POST /__sandbox/reset`.
 */
export async function startSmsSandbox(opts: SmsSandboxOptions): Promise<SmsSandbox> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger ?? pino({ level: 'silent' });
  const pool = new Pool({ connectionString: opts.databaseUrl, max: 5, application_name: 'sms-sandbox' });
  pool.on('error', (err) => log.error({ err: { message: err.message } }, 'idle database client error'));
  const expectedAuth = Buffer.from(`${opts.accountSid}:${opts.authToken}`, 'utf8');
  let fault = { count: 0, status: 500, code: 20500, message: 'Internal Server Error' };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      log.info({ method: req.method, route, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    });
    next();
  });

  const requireAuth = (req: Request, res: Response, next: NextFunction): void => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.get('authorization') ?? '');
    const given = m ? Buffer.from(m[1], 'base64') : Buffer.alloc(0);
    if (given.length !== expectedAuth.length || !crypto.timingSafeEqual(given, expectedAuth)) {
      res.set('WWW-Authenticate', 'Basic realm="Twilio API"');
      res.status(401).json({
        code: 20003,
        detail: 'Your AccountSid or AuthToken was incorrect.',
        message: 'Authenticate',
        more_info: 'https://www.twilio.com/docs/errors/20003',
        status: 401,
      });
      return;
    }
    if (req.params.AccountSid !== opts.accountSid) {
      twilioError(res, 404, 20404, `The requested resource ${req.path} was not found`);
      return;
    }
    next();
  };

  app.get('/health', async (_req, res) => {
    try {
      await pool.query('select 1 from dev_outbox_message limit 1');
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', message: 'database not reachable or table missing' });
    }
  });

  app.post('/__sandbox/fail-next', express.json(), (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const count = b.count;
    const status = b.status ?? 500;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
      res.status(400).json({ error: 'invalid_fault', message: 'Expected { count: integer >= 0, status?: 400..599, code?: number, message?: string }' });
      return;
    }
    fault = {
      count,
      status,
      code: typeof b.code === 'number' ? b.code : status === 429 ? 20429 : status >= 500 ? 20500 : 21000,
      message: typeof b.message === 'string' ? b.message : status === 429 ? 'Too Many Requests' : status >= 500 ? 'Internal Server Error' : 'Injected error',
    };
    res.json({ fault });
  });
  app.post('/__sandbox/reset', (_req, res) => {
    fault = { count: 0, status: 500, code: 20500, message: 'Internal Server Error' };
    res.json({ fault });
  });

  app.post(
    `${API}/Accounts/:AccountSid/Messages.json`,
    requireAuth,
    express.urlencoded({ extended: false, limit: '64kb' }),
    async (req, res) => {
      if (fault.count > 0) {
        fault.count -= 1;
        twilioError(res, fault.status, fault.code, fault.message);
        return;
      }
      const body = (req.body ?? {}) as Record<string, unknown>;
      const to = field(body.To);
      const from = field(body.From);
      const messagingServiceSid = field(body.MessagingServiceSid);
      const text = field(body.Body);
      if (!to) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
      if (!E164.test(to)) return twilioError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      if (!from && !messagingServiceSid) return twilioError(res, 400, 21603, "A 'From' phone number is required.");
      if (from && !E164.test(from) && !ALPHANUMERIC_SENDER.test(from)) {
        return twilioError(res, 400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
      }
      if (messagingServiceSid && !MESSAGING_SERVICE_SID.test(messagingServiceSid)) {
        return twilioError(res, 400, 21701, 'The Messaging Service Sid is invalid.');
      }
      const magic = TWILIO_MAGIC_TO_NUMBERS[to];
      if (magic) return twilioError(res, 400, magic.code, magic.message);
      if (!text) return twilioError(res, 400, 21602, 'Message body is required.');
      if (text.length > 1600) return twilioError(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');

      const sid = 'SM' + crypto.randomBytes(16).toString('hex');
      const now = new Date();
      const segments = smsSegments(text);
      const uri = `${API}/Accounts/${opts.accountSid}/Messages/${sid}.json`;
      const resource: TwilioMessageResource = {
        account_sid: opts.accountSid,
        api_version: '2010-04-01',
        body: text,
        date_created: rfc2822(now),
        date_sent: null,
        date_updated: rfc2822(now),
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: from ?? null,
        messaging_service_sid: messagingServiceSid ?? null,
        num_media: '0',
        num_segments: String(segments.segments),
        price: null,
        price_unit: 'USD',
        sid,
        status: messagingServiceSid && !from ? 'accepted' : 'queued',
        subresource_uris: {
          media: `${API}/Accounts/${opts.accountSid}/Messages/${sid}/Media.json`,
          feedback: `${API}/Accounts/${opts.accountSid}/Messages/${sid}/Feedback.json`,
        },
        to,
        uri,
      };
      await pool.query(
        `insert into dev_outbox_message (channel, sender, recipient, subject, body, html, raw, meta)
         values ('sms', $1, $2, null, $3, null, null, $4::jsonb)`,
        [
          (from ?? messagingServiceSid ?? '').slice(0, 255),
          to,
          text,
          JSON.stringify({
            sid,
            accountSid: opts.accountSid,
            messagingServiceSid: messagingServiceSid ?? null,
            numSegments: segments.segments,
            encoding: segments.encoding,
            units: segments.units,
            resource,
          }),
        ],
      );
      res.status(201).json(resource);
    },
  );

  app.get(`${API}/Accounts/:AccountSid/Messages/:Sid.json`, requireAuth, async (req, res) => {
    const sid = String(req.params.Sid);
    const { rows } = MESSAGE_SID.test(sid)
      ? await pool.query<{ meta: { resource: TwilioMessageResource } }>(
          `select meta from dev_outbox_message where channel = 'sms' and meta->>'sid' = $1 and meta->>'accountSid' = $2`,
          [sid, opts.accountSid],
        )
      : { rows: [] };
    if (rows.length === 0) return twilioError(res, 404, 20404, `The requested resource ${req.path} was not found`);
    const stored = rows[0].meta.resource;
    // The sandbox "delivers" at once.
    res.json({ ...stored, status: 'delivered', date_sent: stored.date_created });
  });

  app.use((req: Request, res: Response) => twilioError(res, 404, 20404, `The requested resource ${req.path} was not found`));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 400 && status < 500) return twilioError(res, status, 21000, 'Invalid request body');
    log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'request failed');
    if (!res.headersSent) twilioError(res, 500, 20500, 'Internal Server Error');
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

/** A form field as a string (the first value when repeated), `undefined` when absent or empty. */
function field(v: unknown): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.length > 0 ? s : undefined;
}

// ================================================================================================
// Run directly
// ================================================================================================

if (require.main === module) {
  const config = loadConfig();
  const logger = pino({ name: 'messaging-sandbox', level: config.LOG_LEVEL });
  Promise.all([
    startSmtpSandbox({ port: config.SMTP_PORT, databaseUrl: config.DATABASE_URL, host: config.SANDBOX_HOST, logger: logger.child({ channel: 'email' }) }),
    startSmsSandbox({
      port: config.SMS_SANDBOX_PORT,
      databaseUrl: config.DATABASE_URL,
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      host: config.SANDBOX_HOST,
      logger: logger.child({ channel: 'sms' }),
    }),
  ]).then(
    ([smtp, sms]) => {
      logger.info({ smtpPort: smtp.port, smsUrl: sms.url }, 'messaging sandbox listening');
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        Promise.all([smtp.close(), sms.close()]).then(
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
      logger.fatal({ err: { message: err instanceof Error ? err.message : String(err) } }, 'messaging sandbox failed to start');
      process.exit(1);
    },
  );
}
