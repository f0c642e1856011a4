/**
 * Body parsers of every door, bounded at parse time so that a cheap request stays cheap:
 *
 * - `formBody()`: `application/x-www-form-urlencoded`, 64 KB, at most `fields` parameters, keys at
 *   most 4 levels deep (`siblings[0][firstNameAr]` is 2);
 * - `jsonBody()`: `application/json`, 64 KB by default (the API's photo-carrying routes pass the
 *   size of a base64 photo), at most `containers` objects and arrays, counted in the raw bytes
 *   before `JSON.parse` runs;
 * - `photoForm()`: `multipart/form-data` with one photo (busboy). A photo over the limit does not
 *   stop the parsing: the file is discarded, `req.photoTooLarge` is set and every other field is
 *   kept, so the form comes back with everything typed and a message at the photo field.
 *
 * Each refuses another content type with a body (400 `input.unsupportedType`) and, once parsed, any
 * NUL or lone surrogate in a value or a key (400 `input.badText`). Errors go to `errorHandler`.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import busboy from 'busboy';
import qs from 'qs';
import { InputError, type InputErrorKey } from './errors';
import { refuseBadBody } from './input';

/** The JSON limit of every route that carries no photo. */
export const SMALL_BODY_BYTES = 64 * 1024;

/** Most nesting levels of a form key: `a[b][c][d]`. */
const FORM_DEPTH = 4;

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `photoForm` when the photo was over the size limit (it was discarded, the other fields kept). */
    photoTooLarge?: boolean;
    /** Set by `photoForm` with `documents`: each document file part received, by field name (a file over its limit: 'tooLarge', discarded, the other fields kept). */
    documentFiles?: Record<string, Buffer | 'tooLarge'>;
  }
}

/** True when the request carries a body (chunked, or a length above 0: `Content-Length: 0` is no body). */
const hasBody = (req: Request) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;

/** Refuses a body of another type than `type` (a request without a body passes). */
const requireType = (type: string, name: string): RequestHandler => (req, _res, next) => {
  next(hasBody(req) && req.is(type) === false ? new InputError(400, 'input.unsupportedType', { type: name }) : undefined);
};

/** `application/x-www-form-urlencoded`, bounded: `limit` bytes, `fields` parameters. */
export function formBody(opts: { limit?: number; fields?: number } = {}): RequestHandler {
  return chain([
    requireType('urlencoded', 'form'),
    // `depth` (body-parser 2) is missing from @types/body-parser.
    express.urlencoded({ extended: true, limit: opts.limit ?? SMALL_BODY_BYTES, parameterLimit: opts.fields ?? 400, depth: FORM_DEPTH } as Parameters<typeof express.urlencoded>[0]),
    refuseBadBody,
  ]);
}

/**
 * Counts the structural bytes `{`, `[`, `,` and `:` of a JSON body before it is parsed (strings
 * included: a legitimate body has a few hundred) and refuses past `max`: 40,000 siblings or a
 * million keys are refused in the time of a byte scan, before `JSON.parse` builds them.
 */
function countStructure(max: number) {
  return (_req: unknown, _res: unknown, buf: Buffer) => {
    let n = 0;
    for (const byte of [0x7b, 0x5b, 0x2c, 0x3a]) {
      for (let i = buf.indexOf(byte); i !== -1; i = buf.indexOf(byte, i + 1)) {
        n += 1;
        if (n > max) throw new InputError(413, 'input.tooManyFields');
      }
    }
  };
}

/**
 * `application/json`, bounded: `limit` bytes (64 KB) and `structure` structural bytes (2,000).
 * `photoMaxBytes`: the body carries a base64 photo of at most that size; a body over the limit is
 * then answered with the photo's size in the message.
 */
export function jsonBody(opts: { limit?: number; structure?: number; photoMaxBytes?: number } = {}): RequestHandler {
  const parse = express.json({ limit: opts.limit ?? SMALL_BODY_BYTES, verify: countStructure(opts.structure ?? 2000) });
  const photoMb = opts.photoMaxBytes ? String(Math.round(opts.photoMaxBytes / (1024 * 1024))) : null;
  return chain([
    requireType('json', 'JSON'),
    (req, res, next) => parse(req, res, (err?: unknown) => {
      if (photoMb && (err as { type?: string } | undefined)?.type === 'entity.too.large') { next(new InputError(413, 'input.uploadTooLarge', { max: photoMb })); return; }
      next(err);
    }),
    refuseBadBody,
  ]);
}

/** The JSON limit of a route carrying one base64 photo of at most `photoBytes`: the photo's base64 plus 64 KB of fields. */
export function photoJsonLimit(photoBytes: number): number {
  return Math.ceil(photoBytes / 3) * 4 + SMALL_BODY_BYTES;
}

/** What `photoForm` leaves in `req.file` (the subset of multer's file the routes read). */
export interface UploadedPhoto { fieldname: string; originalname: string; mimetype: string; buffer: Buffer; size: number }

export interface PhotoFormOptions {
  /** The file field (`photo`). */
  field: string;
  /** Largest photo kept, in bytes; a larger one is discarded and flagged. */
  maxFileBytes: number;
  /** Most non-file fields. */
  fields: number;
  /** Longest field value in bytes; a longer one is kept cut at this length (validation then says it is too long). */
  fieldBytes?: number;
  /** Largest body accepted at all (a declared or streamed size beyond it is a 413 without parsing). */
  maxBodyBytes: number;
  /** The message of a body over `maxBodyBytes` (default `input.uploadTooLarge`, which names the photo). */
  tooLargeKey?: InputErrorKey;
  /** Other file fields (supporting documents), each at most `maxFileBytes`; an empty part (no file chosen) is ignored. */
  documents?: { fields: readonly string[]; maxFileBytes: number };
}

/**
 * `multipart/form-data` with at most one file, in `opts.field`; a urlencoded body is parsed by
 * `formBody` (same field bound). The fields are parsed with `qs` like a urlencoded form.
 */
export function photoForm(opts: PhotoFormOptions): RequestHandler {
  const urlencoded = formBody({ fields: opts.fields });
  const fieldBytes = opts.fieldBytes ?? 8 * 1024;
  return (req: Request, res: Response, next: NextFunction) => {
    if (!hasBody(req)) { req.body = {}; next(); return; }
    if (req.is('urlencoded')) { urlencoded(req, res, next); return; }
    const type = req.is('multipart/form-data');
    if (type === false) { next(new InputError(400, 'input.unsupportedType')); return; }
    const docFields = opts.documents?.fields ?? [];
    const docMax = opts.documents?.maxFileBytes ?? 0;
    const documentFiles: Record<string, Buffer | 'tooLarge'> = {};
    const declared = Number(req.headers['content-length']);
    if (declared > opts.maxBodyBytes) { refuse(req, next, new InputError(413, opts.tooLargeKey ?? 'input.uploadTooLarge', { max: String(Math.round(Math.max(opts.maxFileBytes, opts.documents?.maxFileBytes ?? 0) / (1024 * 1024))) }), null); return; }

    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: Math.max(opts.maxFileBytes, docMax), files: 1 + docFields.length, fields: opts.fields, parts: opts.fields + 1 + docFields.length, fieldSize: fieldBytes, fieldNameSize: 200, headerPairs: 20 },
      });
    } catch {
      next(new InputError(400, 'input.malformed')); // no boundary, a broken Content-Type
      return;
    }
    const pairs: Array<[string, string]> = [];
    let file: UploadedPhoto | undefined;
    /** A file part of that field was seen (its stream may not have ended yet): a second one is refused. */
    let photoSeen = false;
    const docsSeen = new Set<string>();
    let tooLarge = false;
    let failed = false;
    let received = 0;
    const fail = (err: InputError) => {
      if (failed) return;
      failed = true;
      refuse(req, next, err, bb);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > opts.maxBodyBytes) fail(new InputError(413, opts.tooLargeKey ?? 'input.uploadTooLarge', { max: String(Math.round(Math.max(opts.maxFileBytes, opts.documents?.maxFileBytes ?? 0) / (1024 * 1024))) }));
    };
    req.on('data', onData);

    bb.on('field', (name, value) => { pairs.push([name, value]); });
    bb.on('file', (name, stream, info) => {
      // A body cut short destroys the file stream with busboy's own error (handled on `bb` below).
      stream.on('error', () => undefined);
      if (docFields.includes(name)) {
        if (docsSeen.has(name)) { stream.resume(); fail(new InputError(400, 'input.unexpectedFile')); return; }
        docsSeen.add(name);
        // Each document under its own limit: one too large is dropped and flagged, the rest goes on.
        const parts: Buffer[] = [];
        let bytes = 0;
        let over = false;
        stream.on('data', (c: Buffer) => {
          if (over) return;
          bytes += c.length;
          if (bytes > docMax) { over = true; parts.length = 0; return; }
          parts.push(c);
        });
        stream.on('limit', () => { over = true; parts.length = 0; });
        stream.on('end', () => {
          if (over) { documentFiles[name] = 'tooLarge'; return; }
          if (bytes === 0 && !info.filename) return;
          documentFiles[name] = Buffer.concat(parts, bytes);
        });
        return;
      }
      if (name !== opts.field || photoSeen) { stream.resume(); fail(new InputError(400, 'input.unexpectedFile')); return; }
      photoSeen = true;
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        if (tooLarge) return;
        chunks.push(c);
        size += c.length;
        if (size > opts.maxFileBytes) { tooLarge = true; chunks.length = 0; size = 0; }
      });
      stream.on('limit', () => { tooLarge = true; chunks.length = 0; size = 0; });
      stream.on('end', () => {
        // A browser sends an empty part (no file name, no bytes) when no file was chosen.
        if (tooLarge || (size === 0 && !info.filename)) return;
        file = { fieldname: name, originalname: info.filename ?? '', mimetype: info.mimeType, buffer: Buffer.concat(chunks, size), size };
      });
    });
    bb.on('filesLimit', () => fail(new InputError(400, 'input.unexpectedFile')));
    bb.on('fieldsLimit', () => fail(new InputError(413, 'input.tooManyFields')));
    bb.on('partsLimit', () => fail(new InputError(413, 'input.tooManyFields')));
    bb.on('error', (err: Error) => fail(new InputError(400, /unexpected end/i.test(err.message) ? 'input.truncated' : 'input.malformed')));
    bb.on('close', () => {
      req.off('data', onData);
      if (failed) return;
      let body: unknown;
      try {
        const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        body = qs.parse(query, { depth: FORM_DEPTH, strictDepth: true, arrayLimit: 100, parameterLimit: opts.fields, allowPrototypes: false });
      } catch {
        next(new InputError(400, 'input.malformed'));
        return;
      }
      req.body = body;
      if (file) (req as unknown as { file?: UploadedPhoto }).file = file;
      req.photoTooLarge = tooLarge;
      if (docFields.length) req.documentFiles = documentFiles;
      refuseBadBody(req, res, next);
    });
    req.on('aborted', () => fail(new InputError(400, 'input.truncated')));
    req.pipe(bb);
  };
}

/** Stops parsing, reads the rest of the body off (so the client sees the answer) and passes `err` on. */
function refuse(req: Request, next: NextFunction, err: InputError, bb: busboy.Busboy | null): void {
  if (bb) { req.unpipe(bb); bb.removeAllListeners('close'); }
  req.resume();
  if (req.complete || req.readableEnded) { next(err); return; }
  let done = false;
  const go = () => { if (!done) { done = true; next(err); } };
  req.once('end', go);
  req.once('close', go);
}

/** One handler running `handlers` one after another, like Express does for an array. */
function chain(handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    const step = (i: number) => (err?: unknown) => {
      if (err || i === handlers.length) { next(err); return; }
      try {
        void handlers[i](req, res, step(i + 1));
      } catch (e) {
        next(e);
      }
    };
    step(0)();
  };
}
