/**
 * Email channel: nodemailer over SMTP, pooled. In development and tests the SMTP server is the
 * project's own (`sandboxes/messaging/server.ts`, port `SMTP_PORT`), which stores every message
 * in `dev_outbox_message`; in production, the relay named by the `SMTP_*` settings.
 *
 * Errors thrown by {@link Mailer.send} carry no personal data (no addresses, no server text, which
 * often quotes the recipient): only SMTP reply codes and nodemailer error codes.
 */
import nodemailer from 'nodemailer';
import type { Config } from '../config';

/** One message to one recipient. `headers` are extra headers such as `X-Tasjil-Reference`. */
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

/** Sends emails; one instance per worker (it holds a connection pool). */
export interface Mailer {
  /**
   * Sends one message from `MAIL_FROM`, with `Auto-Submitted: auto-generated` besides `headers`.
   * @returns the Message-ID header value nodemailer generated (e.g. `<…@tasjil.men.gov.ma>`)
   * @throws EmailRejectedError the server refused the message or the recipient for good (5xx)
   * @throws EmailUnavailableError connection, timeout, authentication or transient (4xx) failure
   */
  send(msg: OutgoingEmail): Promise<{ messageId: string }>;
  /** Closes the pooled connections. */
  close(): void;
}

/**
 * The SMTP server refused the message for good (SMTP 5xx, e.g. unknown recipient). Not retryable:
 * retrying the same message gets the same answer. `recipientRejected` tells an invalid address
 * (refused at `RCPT TO`) from a refused message.
 */
export class EmailRejectedError extends Error {
  readonly retryable = false;
  /** SMTP reply code, e.g. 550. */
  readonly responseCode?: number;
  /** Nodemailer error code, e.g. `EENVELOPE`, `EMESSAGE`. */
  readonly code?: string;
  /** `true` when the recipient address itself was refused. */
  readonly recipientRejected: boolean;
  constructor(message: string, opts: { responseCode?: number; code?: string; recipientRejected: boolean }) {
    super(message);
    this.name = 'EmailRejectedError';
    this.responseCode = opts.responseCode;
    this.code = opts.code;
    this.recipientRejected = opts.recipientRejected;
  }
}

/**
 * The message could not be handed over now: the SMTP server is down, slow, refused the credentials,
 * or answered a transient 4xx. Retryable with backoff.
 */
export class EmailUnavailableError extends Error {
  readonly retryable = true;
  /** SMTP reply code when the server answered. */
  readonly responseCode?: number;
  /** Nodemailer error code, e.g. `ESOCKET`, `ETIMEDOUT`, `EAUTH`. */
  readonly code?: string;
  constructor(message: string, opts: { responseCode?: number; code?: string }) {
    super(message);
    this.name = 'EmailUnavailableError';
    this.responseCode = opts.responseCode;
    this.code = opts.code;
  }
}

/**
 * Builds the mailer from the configuration: `SMTP_HOST`, `SMTP_PORT`, `SMTP_SECURE` (implicit TLS,
 * usually port 465; otherwise STARTTLS is used when the server offers it), `SMTP_USER` /
 * `SMTP_PASSWORD` (auth only when a user is set) and `MAIL_FROM`.
 */
export function createMailer(config: Config): Mailer {
  const transport = nodemailer.createTransport({
    pool: true,
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    auth: config.SMTP_USER ? { user: config.SMTP_USER, pass: config.SMTP_PASSWORD ?? '' } : undefined,
    maxConnections: 5,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    logger: false,
    debug: false,
  });
  return {
    async send(msg) {
      try {
        const info = await transport.sendMail({
          from: config.MAIL_FROM,
          to: msg.to,
          subject: msg.subject,
          text: msg.text,
          html: msg.html,
          // RFC 3834: tells mail systems not to answer with vacation or out-of-office replies.
          headers: { 'Auto-Submitted': 'auto-generated', ...msg.headers },
        });
        return { messageId: info.messageId };
      } catch (err) {
        throw toEmailError(err);
      }
    },
    close() {
      transport.close();
    },
  };
}

interface NodemailerLikeError {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
  command?: string;
}

/** Maps a nodemailer error to one of ours, keeping codes only (server texts quote addresses). */
function toEmailError(err: unknown): Error {
  const e = (typeof err === 'object' && err !== null ? err : {}) as NodemailerLikeError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const permanent = e.permanent ?? (responseCode !== undefined && responseCode >= 500 && responseCode !== 503);
  if (responseCode !== undefined && permanent && code !== 'EAUTH' && code !== 'ENOAUTH') {
    const recipientRejected = code === 'EENVELOPE' || /^RCPT/i.test(e.command ?? '');
    return new EmailRejectedError(
      `SMTP server refused the ${recipientRejected ? 'recipient' : 'message'} (SMTP ${responseCode}${code ? `, ${code}` : ''})`,
      { responseCode, code, recipientRejected },
    );
  }
  if (code === 'EENVELOPE' && responseCode === undefined) {
    // Nodemailer refused the envelope itself: no valid recipient address.
    return new EmailRejectedError('The recipient address is not a valid email address (EENVELOPE)', {
      code,
      recipientRejected: true,
    });
  }
  const what = code === 'EAUTH' || code === 'ENOAUTH' ? 'SMTP authentication failed' : 'SMTP server unavailable';
  return new EmailUnavailableError(
    `${what}${responseCode !== undefined || code ? ` (${[responseCode !== undefined ? `SMTP ${responseCode}` : '', code ?? ''].filter(Boolean).join(', ')})` : ''}`,
    { responseCode, code },
  );
}
