/**
 * The request's text, checked at the door: no NUL character (PostgreSQL refuses it in text and
 * the query would fail with a 500) and no lone UTF-16 surrogate (not encodable in UTF-8) in the
 * path, the query string, the form or JSON fields (values and keys) and the Basic credentials.
 * Numbers taken from the query string are whole numbers within a stated range.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { InputError } from './errors';

/** NUL, or a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `s` holds a character PostgreSQL text cannot store. */
export function isBadText(s: string): boolean {
  // Fast paths first (a 10 MB base64 photo is scanned in milliseconds): most text has neither.
  if (s.indexOf('\u0000') !== -1) return true;
  return ANY_SURROGATE.test(s) && BAD_TEXT.test(s);
}

/** True when some string (value or key) in `v` is bad text; walks at most `depth` levels (deeper = bad). */
export function hasBadText(v: unknown, depth = 8): boolean {
  if (typeof v === 'string') return isBadText(v);
  if (v === null || typeof v !== 'object') return false;
  if (depth <= 0) return true;
  if (Array.isArray(v)) return v.some((x) => hasBadText(x, depth - 1));
  for (const [k, x] of Object.entries(v)) if (isBadText(k) || hasBadText(x, depth - 1)) return true;
  return false;
}

/** Refuses a request whose path, query string or Basic credentials hold bad text or bad percent-encoding. */
export function refuseBadInput(req: Request, _res: Response, next: NextFunction): void {
  for (const segment of req.path.split('/')) {
    if (!segment.includes('%')) continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      next(new InputError(400, 'input.badPath'));
      return;
    }
    if (isBadText(decoded)) { next(new InputError(400, 'input.badPath')); return; }
  }
  if (hasBadText(req.query, 4)) { next(new InputError(400, 'input.badText')); return; }
  const auth = req.headers.authorization;
  if (auth && /^Basic /i.test(auth) && isBadText(Buffer.from(auth.slice(6), 'base64').toString('utf8'))) {
    next(new InputError(400, 'input.badText'));
    return;
  }
  next();
}

/** Refuses a parsed body (`req.body`) holding bad text; runs after a body parser. */
export const refuseBadBody: RequestHandler = (req, _res, next) => {
  next(hasBadText(req.body) ? new InputError(400, 'input.badText') : undefined);
};

/**
 * A whole number of the query string within `[min, max]`, or `fallback` when absent or empty.
 * @throws InputError 400 `input.badNumber` for anything else (text, a fraction, out of range, repeated).
 */
export function queryInt(value: unknown, name: string, range: { min: number; max: number; fallback: number }): number {
  if (value === undefined || value === '') return range.fallback;
  const n = typeof value === 'string' && /^-?\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new InputError(400, 'input.badNumber', { name, min: String(range.min), max: String(range.max) });
  }
  return n;
}
