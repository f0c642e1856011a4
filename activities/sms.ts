/**
 * SMS channel: the official `twilio` client (Messages API). In development and tests every
 * request goes to the project's Twilio-compatible endpoint (`sandboxes/messaging/server.ts`,
 * `TWILIO_API_BASE_URL`, default `http://127.0.0.1:3020`), which stores the messages in
 * `dev_outbox_message`; with `TWILIO_API_BASE_URL` empty, to Twilio itself.
 *
 * Errors thrown by {@link SmsSender.send} carry no personal data: Twilio's own messages quote the
 * phone number ("The 'To' number +212… is not a valid phone number"), so only the HTTP status and
 * the Twilio error code are kept.
 */
import twilio from 'twilio';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient';
import type TwilioResponse from 'twilio/lib/http/response';
import type { Config } from '../config';

/** Sends SMS; one instance per worker. */
export interface SmsSender {
  /**
   * Sends one SMS from `TWILIO_FROM` (a number, an alphanumeric sender ID, or a Messaging Service
   * SID `MG…`).
   * @param msg.to E.164 mobile number, e.g. `+212612345678`
   * @returns Twilio's message SID (`SM` + 32 hex digits), its status and segment count
   * @throws SmsRejectedError Twilio refused the message for good (invalid number, missing body…)
   * @throws SmsUnavailableError network error, timeout, HTTP 5xx or 429, bad credentials
   */
  send(msg: { to: string; body: string }): Promise<{ sid: string; status: string; numSegments: number }>;
}

/** Twilio error codes meaning "this recipient cannot receive it" (a permanent, per-number failure). */
export const TWILIO_INVALID_RECIPIENT_CODES: ReadonlySet<number> = new Set([
  21211, // invalid 'To' phone number
  21214, // 'To' phone number cannot be reached
  21408, // permission to send to this region not enabled
  21610, // recipient unsubscribed (STOP)
  21612, // 'To' number not reachable via this sender
  21614, // 'To' number is not a mobile number
  21635, // 'To' number cannot be reached (landline)
]);

/**
 * Twilio refused the SMS (HTTP 4xx other than 401/403/429). Not retryable. `invalidRecipient`
 * is `true` when the number itself is the problem (see {@link TWILIO_INVALID_RECIPIENT_CODES}).
 */
export class SmsRejectedError extends Error {
  readonly retryable = false;
  /** HTTP status Twilio answered. */
  readonly status: number;
  /** Twilio error code, e.g. 21211 (see https://www.twilio.com/docs/errors). */
  readonly twilioCode?: number;
  readonly invalidRecipient: boolean;
  constructor(message: string, status: number, twilioCode?: number) {
    super(message);
    this.name = 'SmsRejectedError';
    this.status = status;
    this.twilioCode = twilioCode;
    this.invalidRecipient = twilioCode !== undefined && TWILIO_INVALID_RECIPIENT_CODES.has(twilioCode);
  }
}

/**
 * The SMS could not be handed to Twilio now: network error, timeout, HTTP 5xx or 429, or
 * credentials refused (401/403, fixed by configuration). Retryable with backoff.
 */
export class SmsUnavailableError extends Error {
  readonly retryable = true;
  /** HTTP status when Twilio answered. */
  readonly status?: number;
  /** Twilio error code when given, e.g. 20003 (authentication). */
  readonly twilioCode?: number;
  constructor(message: string, status?: number, twilioCode?: number) {
    super(message);
    this.name = 'SmsUnavailableError';
    this.status = status;
    this.twilioCode = twilioCode;
  }
}

/**
 * A twilio `RequestClient` that sends every request to `baseUrl` instead of the host Twilio's
 * domain classes chose (`https://api.twilio.com`, or any other `*.twilio.com` product host):
 * scheme, host and port are replaced, path and query are kept. twilio-node has no base-URL
 * option; this is its documented extension point (`ClientOpts.httpClient`). `baseUrl` may
 * carry a path prefix, which is prepended to Twilio's paths.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly base: URL;

  constructor(baseUrl: string, opts?: TwilioRequestClient.RequestClientOptions) {
    super(opts);
    this.base = new URL(baseUrl);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new Error('TWILIO_API_BASE_URL must be an http or https URL');
    }
  }

  /** Rewrites `opts.uri` onto the base URL, then sends as usual. */
  override request<TData>(opts: TwilioRequestClient.RequestOptions<TData>): Promise<TwilioResponse<TData>> {
    return super.request<TData>({ ...opts, uri: rebase(opts.uri, this.base) });
  }
}

/** `https://api.twilio.com/2010-04-01/X?y` on base `http://127.0.0.1:3020/p` → `http://127.0.0.1:3020/p/2010-04-01/X?y`. */
export function rebase(uri: string, base: URL): string {
  const original = new URL(uri);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${original.pathname}${original.search}`;
}

/**
 * Builds the SMS sender from `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_FROM` and
 * `TWILIO_API_BASE_URL` (non-empty: all API traffic goes there, see {@link BaseUrlRequestClient}).
 */
export function createSmsSender(config: Config): SmsSender {
  const timeout = 15_000;
  const baseUrl = config.TWILIO_API_BASE_URL.trim();
  const client = twilio(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN, {
    timeout,
    httpClient: baseUrl ? new BaseUrlRequestClient(baseUrl, { timeout }) : undefined,
    // Retries belong to the workflow's retry policy, not to the client.
    autoRetry: false,
  });
  const from = config.TWILIO_FROM;
  const sender = /^MG[0-9a-f]{32}$/i.test(from) ? { messagingServiceSid: from } : { from };
  return {
    async send(msg) {
      try {
        const message = await client.messages.create({ to: msg.to, body: msg.body, ...sender });
        return { sid: message.sid, status: String(message.status), numSegments: Number(message.numSegments) };
      } catch (err) {
        throw toSmsError(err);
      }
    },
  };
}

/** Maps a twilio (RestException, TwilioServiceException) or axios error to one of ours, without its text. */
function toSmsError(err: unknown): Error {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { status?: unknown; code?: unknown; response?: unknown };
  const status = typeof e.status === 'number' ? e.status : undefined;
  const twilioCode = typeof e.code === 'number' ? e.code : undefined;
  if (status !== undefined && e.response === undefined) {
    const tag = `HTTP ${status}${twilioCode !== undefined ? `, Twilio error ${twilioCode}` : ''}`;
    if (status === 429 || status >= 500) return new SmsUnavailableError(`Twilio is unavailable (${tag})`, status, twilioCode);
    if (status === 401 || status === 403) return new SmsUnavailableError(`Twilio refused the credentials (${tag})`, status, twilioCode);
    return new SmsRejectedError(`Twilio refused the SMS (${tag})`, status, twilioCode);
  }
  // Network-level (axios) error: keep its code only (its config holds the form data).
  const netCode = typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code) ? e.code : undefined;
  return new SmsUnavailableError(`Twilio could not be reached${netCode ? ` (${netCode})` : ''}`);
}
