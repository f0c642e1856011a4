/**
 * Refused input, answered the same way from every door: a 400 (or 413 for size) with a message
 * in Arabic and French from the catalogue — an HTML page for pages, JSON for the API — never a
 * stack trace, never the input echoed back.
 *
 * `InputError` is what our own parsers throw; `inputErrorOf` maps the errors of the libraries at
 * the door (body-parser, busboy, the router's URI decoding, qs depth, csrf-csrf) to one of the
 * catalogue's `input.*` keys. `errorHandler` is the application's last middleware.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Language } from '../../domain/types';
import { translator } from '../i18n';

/** Catalogue keys of refused input (`web/i18n/input.{ar,fr}.json`). */
export type InputErrorKey =
  | 'input.badText' | 'input.badPath' | 'input.malformed' | 'input.truncated' | 'input.unsupportedType'
  | 'input.unexpectedFile' | 'input.tooManyFields' | 'input.tooLarge' | 'input.uploadTooLarge' | 'input.badNumber'
  | 'input.documentTooLarge';

/** Input refused at the door. `params` fill the message (e.g. `{ name, min, max }`). */
export class InputError extends Error {
  readonly expose = true;
  constructor(readonly status: 400 | 413, readonly key: InputErrorKey, readonly params: Record<string, string> = {}) {
    super(key);
    this.name = 'InputError';
  }
}

/** The API's name for an input error: `input.tooManyFields` → `tooManyFields`. */
const apiCode = (key: string) => key.replace(/^(input|error)\./, '');

/** body-parser's error types (see body-parser/lib/read.js and types/*.js). */
const BODY_PARSER: Record<string, [400 | 413, InputErrorKey]> = {
  'entity.too.large': [413, 'input.tooLarge'],
  'parameters.too.many': [413, 'input.tooManyFields'],
  'entity.parse.failed': [400, 'input.malformed'],
  'querystring.parse.rangeError': [400, 'input.malformed'],
  'request.aborted': [400, 'input.truncated'],
  'request.size.invalid': [400, 'input.truncated'],
  'encoding.unsupported': [400, 'input.unsupportedType'],
  'charset.unsupported': [400, 'input.unsupportedType'],
};

/** The input error an error stands for, or null when it is not about the request's input. */
export function inputErrorOf(err: unknown): InputError | null {
  if (err instanceof InputError) return err;
  if (!err || typeof err !== 'object') return null;
  const e = err as { type?: unknown; status?: unknown; name?: unknown; message?: unknown };
  if (typeof e.type === 'string' && e.type in BODY_PARSER) {
    const [status, key] = BODY_PARSER[e.type];
    return new InputError(status, key);
  }
  // multer (a door that still uses it) and the busboy errors it passes on as they are.
  if (e.name === 'MulterError') {
    const code = String((err as { code?: unknown }).code);
    if (code === 'LIMIT_FILE_SIZE' || code === 'LIMIT_FIELD_VALUE') return new InputError(413, 'input.tooLarge');
    if (code === 'LIMIT_FIELD_COUNT' || code === 'LIMIT_PART_COUNT' || code === 'LIMIT_FIELD_KEY') return new InputError(413, 'input.tooManyFields');
    return new InputError(400, 'input.unexpectedFile');
  }
  if (typeof e.message === 'string' && /^(Unexpected end of form|Malformed part header|Multipart: Boundary not found|Unsupported content type)/.test(e.message)) {
    return new InputError(400, e.message.startsWith('Unexpected end') ? 'input.truncated' : 'input.malformed');
  }
  // The router's parameter decoding ("Failed to decode param …") and decodeURIComponent itself.
  if (err instanceof URIError) return new InputError(400, 'input.badPath');
  // qs with strictDepth throws a RangeError for too deep keys.
  if (err instanceof RangeError && /depth/i.test(String(e.message))) return new InputError(400, 'input.malformed');
  return null;
}

/** Error codes of a dependency that is away (sockets; PostgreSQL's admin shutdown, cannot connect now, too many connections, connection failures). */
const AWAY_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006',
]);
/** Seconds a client is asked to wait when PostgreSQL or Temporal is briefly away. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 10;

/**
 * Whether an error means PostgreSQL or Temporal is (briefly) away rather than a defect: a refused
 * or broken connection, a pool that cannot get one, PostgreSQL refusing connections, Temporal's
 * gRPC `UNAVAILABLE` (14). Looks through the causes MikroORM, knex and the Temporal client wrap.
 */
export function isDependencyUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as { code?: unknown; message?: unknown; previous?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && AWAY_CODES.has(e.code)) return true;
  if (e.code === 14) return true; // gRPC UNAVAILABLE (Temporal)
  if (typeof e.message === 'string' && /Timeout acquiring a connection|Connection terminated|connection to server .* failed|14 UNAVAILABLE/.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isDependencyUnavailable(x, depth + 1))) return true;
  return isDependencyUnavailable(e.previous, depth + 1) || isDependencyUnavailable(e.cause, depth + 1);
}

/** The language of a request that may not have reached the language middleware yet. */
function languageOf(req: Request, res: Response): Language {
  if (res.locals.lang === 'ar' || res.locals.lang === 'fr') return res.locals.lang;
  const q = new URL(req.originalUrl, 'http://x').searchParams.get('lang');
  if (q === 'fr' || q === 'ar') return q;
  return /(?:^|;\s*)lang=fr(?:;|$)/.test(req.headers.cookie ?? '') ? 'fr' : 'ar';
}

const isApi = (req: Request) => req.originalUrl.startsWith('/api/');

/**
 * Answers an error page (or the API's JSON) with `title` and `message` keys of the catalogue, in
 * the page's language first and the other language after it.
 */
export function sendError(req: Request, res: Response, status: number, key: string, params: Record<string, string> = {}, titleKey?: string): void {
  const ar = translator('ar');
  const fr = translator('fr');
  const messageKey = key.startsWith('error.') ? `${key}.body` : key;
  if (isApi(req)) {
    res.status(status).json({ error: apiCode(key), message: { ar: ar(messageKey, params), fr: fr(messageKey, params) } });
    return;
  }
  const lang = languageOf(req, res);
  const other: Language = lang === 'ar' ? 'fr' : 'ar';
  const t = translator(lang);
  const tTitle = titleKey ?? (key.startsWith('error.') ? `${key}.title` : 'input.title');
  if (!res.locals.lang) { res.locals.lang = lang; res.locals.dir = lang === 'ar' ? 'rtl' : 'ltr'; }
  res.status(status).render('error', {
    title: t(tTitle),
    message: t(messageKey, params),
    other: { lang: other, dir: other === 'ar' ? 'rtl' : 'ltr', title: translator(other)(tTitle), message: translator(other)(messageKey, params) },
  });
}

/**
 * The application's last middleware: input errors → 400/413, CSRF → 403, PostgreSQL or Temporal
 * away → 503 with `Retry-After` (logged as a warning with the error's code, nothing written: the
 * services write in one statement or one transaction), anything else → 500 (logged by
 * `logServerError`, no details answered).
 */
export function errorHandler(
  logServerError: Logger | ((err: unknown, req: Request) => void),
  logUnavailable?: (err: { code: string; message: string }, req: Request) => void,
): ErrorRequestHandler {
  const logError = typeof logServerError === 'function' ? logServerError
    : (err: unknown, req: Request) => logServerError.error({ err: { message: (err as Error).message, name: (err as Error).name }, path: req.path }, 'request failed');
  return (err, req, res, _next) => {
    if (isDependencyUnavailable(err)) {
      const e = err as { code?: unknown; message?: unknown };
      const seen = { code: String(e.code ?? 'unavailable'), message: String(e.message ?? '').slice(0, 200) };
      if (logUnavailable) logUnavailable(seen, req); else logError(err, req);
      if (res.headersSent) { res.end(); return; }
      res.set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      sendError(req, res, 503, 'error.unavailable');
      return;
    }
    const input = inputErrorOf(err);
    const status = input ? input.status
      : (err as { code?: string }).code === 'EBADCSRFTOKEN' ? 403
        : typeof (err as { status?: number }).status === 'number' && (err as { status: number }).status >= 400 && (err as { status: number }).status < 500 ? (err as { status: number }).status : 500;
    if (status >= 500) logError(err, req);
    if (res.headersSent) { res.end(); return; }
    if (input) { sendError(req, res, input.status, input.key, input.params); return; }
    const key = status === 403 ? 'error.forbidden' : status === 413 ? 'error.tooLarge' : status < 500 ? 'error.badRequest' : 'error.server';
    sendError(req, res, status, key);
  };
}
