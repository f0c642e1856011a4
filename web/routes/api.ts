/**
 * JSON API v1 (OpenAPI document at /api/v1/openapi.json). Same services and validation as the
 * pages. Staff endpoints authenticate with a per-user API token (`Authorization: Bearer`, RFC 6750)
 * over TLS — no cookies, so no CSRF. HTTP Basic is refused (401) with the way to get a token.
 */
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { randomUUID } from 'node:crypto';
import { isReference, normalizeReference } from '../../domain/reference';
import type { FieldError } from '../../domain/submission';
import type { RouteDeps } from '../app';
import { translator } from '../i18n';
import { openApiDocument } from '../openapi';
import { MAX_PHOTO_BYTES } from '../services/photos';
import { openForStaff, submitPreRegistration } from '../services/preRegistrations';
import { decide } from '../services/decisions';
import { findRequestForView, viewOfRequest, type Proof } from '../services/requestView';
import { findInScope } from '../services/staff';
import { userOfApiToken } from '../services/apiTokens';
import { SignInRefused } from '../services/signInGuard';
import type { AuthDeps } from '../auth';
import { audit } from './staff';
import { jsonBody, photoJsonLimit } from '../http/bodies';
import { InputError } from '../http/errors';
import { hasBadText } from '../http/input';
import { countText } from '../views/textHelpers';

const tAr = translator('ar');
const tFr = translator('fr');

/** At most this many field errors in an answer (`errorCount` gives the total). */
export const MAX_API_ERRORS = 50;

/** Per-field errors with the message in both languages: the first `MAX_API_ERRORS`. */
export function apiErrors(errors: FieldError[]) {
  return errors.slice(0, MAX_API_ERRORS).map((e) => ({ field: e.field, code: e.code, message: { ar: tAr(e.code, e.params ?? {}), fr: tFr(e.code, e.params ?? {}) } }));
}

/** The body of a 400 for field errors: the first `MAX_API_ERRORS` and their total. */
export function validationAnswer(errors: FieldError[]) {
  return { error: 'validation', errors: apiErrors(errors), errorCount: errors.length };
}

/**
 * The API's JSON bodies: 64 KB, except the two routes that carry a base64 photo (submit, change),
 * whose limit is the photo's size in base64 plus 64 KB.
 */
const photoJson = jsonBody({ limit: photoJsonLimit(MAX_PHOTO_BYTES), photoMaxBytes: MAX_PHOTO_BYTES });
const smallJson = jsonBody();
export const apiJsonBody: RequestHandler = (req, res, next) => {
  // Submission with the photo as multipart (`submission` + `photo` parts): parsed by its route.
  if (req.method === 'POST' && req.path === '/pre-registrations' && req.is('multipart/form-data')) { next(); return; }
  const carriesPhoto = (req.method === 'POST' && req.path === '/pre-registrations') || (req.method === 'PUT' && /^\/pre-registrations\/[^/]+$/.test(req.path));
  (carriesPhoto ? photoJson : smallJson)(req, res, next);
};

/**
 * The proof by birth certificate number (header `X-Birth-Certificate-Number`), through the unlock
 * service the status page uses (one throttle): true when proved; otherwise answers 404, 403
 * (`verificationFailed`, with the tries left) or 429 (`tooManyAttempts`, Retry-After) and returns false.
 */
export async function proveWithCertificate(deps: RouteDeps, req: Request, res: Response, reference: string): Promise<boolean> {
  const outcome = await deps.unlock.unlock(deps.orm.em.fork(), reference, req.get('X-Birth-Certificate-Number') ?? '', req.ip ?? '');
  if (outcome.ok) return true;
  if (outcome.reason === 'notFound') { res.status(404).json({ error: 'notFound' }); return false; }
  if (outcome.reason === 'locked') {
    const params = { seconds: String(outcome.retryAfterSeconds) };
    res.status(429).set('Retry-After', String(outcome.retryAfterSeconds))
      .json({ error: 'tooManyAttempts', retryAfterSeconds: outcome.retryAfterSeconds, message: { ar: tAr('api.unlock.locked', params), fr: tFr('api.unlock.locked', params) } });
    return false;
  }
  res.status(403).json({ error: 'verificationFailed', remainingAttempts: outcome.remaining, message: { ar: tAr('api.unlock.failed'), fr: tFr('api.unlock.failed') } });
  return false;
}

export function apiRouter(deps: RouteDeps, auth: AuthDeps): Router {
  const r = Router();
  r.use(apiJsonBody);

  r.get('/openapi.json', (_req, res) => { res.json(openApiDocument(deps.config.publicBaseUrl)); });

  /**
   * The staff user of the request's API token (`Authorization: Bearer tsj_…`, created on
   * /staff/security); otherwise answers 401 (HTTP Basic: refused with the way to get a token) or
   * 429 (an address trying tokens) and returns null.
   */
  const staffUser = async (req: Request, res: Response, em: ReturnType<typeof deps.orm.em.fork>) => {
    const header = req.get('Authorization') ?? '';
    const ip = req.ip ?? '';
    const unauthorized = (error: string, key: string) => {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="Tasjil staff"').json({ error, message: { ar: tAr(key), fr: tFr(key) } });
      return null;
    };
    if (/^Basic\b/i.test(header)) return unauthorized('basicAuthRemoved', 'api.basicRemoved');
    try {
      await auth.guard.checkAddress(ip);
    } catch (e) {
      if (!(e instanceof SignInRefused)) throw e;
      const key = 'signIn.throttled.address';
      res.status(429).set('Retry-After', String(e.retryAfterSeconds)).json({ error: 'tooManyAttempts', message: { ar: tAr(key, { minutes: countText('ar', 'minutes', e.minutes) }), fr: tFr(key, { minutes: countText('fr', 'minutes', e.minutes) }) } });
      return null;
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const user = m ? await userOfApiToken(em, m[1]) : null;
    if (!user) {
      await auth.guard.failedAddress(ip);
      return unauthorized('unauthorized', 'api.badToken');
    }
    return user;
  };

  // The photo as raw bytes: multipart/form-data with a `submission` part (the JSON document, as a
  // field or a file part) and a `photo` file part — no base64 (a third larger, decoded in memory).
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: MAX_PHOTO_BYTES, files: 2, fields: 5, fieldSize: 1024 * 1024 } });
  const multipart = (req: Request, res: Response, next: NextFunction) => {
    if (!req.is('multipart/form-data')) { next(); return; }
    upload.fields([{ name: 'submission', maxCount: 1 }, { name: 'photo', maxCount: 1 }])(req, res, (err: unknown) => {
      if (err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE' && err.field === 'photo') {
        (req as Request & { photoTooLarge?: boolean }).photoTooLarge = true;
        next();
        return;
      }
      if (err instanceof multer.MulterError) { next(Object.assign(new Error(err.message), { status: err.code === 'LIMIT_FILE_SIZE' ? 413 : 400 })); return; }
      next(err);
    });
  };

  r.post('/pre-registrations', multipart, async (req: Request, res: Response) => {
    let body: Record<string, unknown>;
    let photo: Buffer | undefined;
    if (req.is('multipart/form-data')) {
      const files = (req.files ?? {}) as Record<string, Express.Multer.File[] | undefined>;
      const fields = (req.body ?? {}) as Record<string, unknown>;
      const text = files.submission?.[0]?.buffer.toString('utf8') ?? (typeof fields.submission === 'string' ? fields.submission : '{}');
      try {
        const parsed: unknown = JSON.parse(text);
        body = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? { ...(parsed as Record<string, unknown>) } : {};
      } catch {
        throw Object.assign(new Error('the submission part is not JSON'), { status: 400 });
      }
      // The JSON part did not go through jsonBody: the same checks here (NUL, lone surrogates).
      if (hasBadText(body)) throw new InputError(400, 'input.badText');
      photo = (req as Request & { photoTooLarge?: boolean }).photoTooLarge ? Buffer.alloc(MAX_PHOTO_BYTES + 1) : files.photo?.[0]?.buffer;
      delete body.photo;
    } else {
      body = req.body && typeof req.body === 'object' ? { ...(req.body as Record<string, unknown>) } : {};
      const p = body.photo as { data?: unknown } | undefined;
      if (p && typeof p === 'object' && typeof p.data === 'string') photo = Buffer.from(p.data, 'base64');
      delete body.photo;
    }
    const key = (req.get('Idempotency-Key') ?? '').trim().slice(0, 64);
    const token = key || (typeof body.submissionToken === 'string' ? body.submissionToken.slice(0, 64) : '') || randomUUID();
    // An Idempotency-Key is bound to this client (its address) and to this body.
    const result = await submitPreRegistration({ em: deps.orm.em.fork(), temporal: deps.temporal, starter: deps.starter, now: deps.clock() }, body, photo, token,
      key ? { idempotencyClient: req.ip ?? '' } : {});
    if (!result.ok) {
      if (result.reason) {
        const e = result.errors[0];
        res.status(422).json({ error: result.reason, message: { ar: tAr(e.code, e.params ?? {}), fr: tFr(e.code, e.params ?? {}) }, errors: apiErrors(result.errors) });
        return;
      }
      res.status(400).json(validationAnswer(result.errors));
      return;
    }
    if (result.existing) res.set('Tasjil-Existing-Request', 'true');
    res.status(result.created ? 201 : 200)
      .location(`/api/v1/pre-registrations/${result.reference}`)
      .json({
        reference: result.reference, status: result.status, statusUrl: `${deps.config.publicBaseUrl}/pre-registrations/${result.reference}`,
        ...(result.existing ? { existing: true, message: { ar: tAr('api.existing'), fr: tFr('api.existing') } } : {}),
      });
  });

  /**
   * A request's status and dates with the reference alone; its details after proof: staff in scope
   * (API token; the request becomes opened), or the birth certificate number in
   * `X-Birth-Certificate-Number` (the throttled unlock shared with the status page).
   */
  r.get('/pre-registrations/:reference', async (req, res) => {
    const reference = normalizeReference(String(req.params.reference));
    let em = deps.orm.em.fork();
    let proof: Proof = 'none';
    // With a staff token, in scope only: the request becomes opened (no more parent edits).
    const user = req.get('Authorization') ? await staffUser(req, res, em) : null;
    if (req.get('Authorization') && !user) return;
    if (user) {
      const staffPr = isReference(reference) ? await findInScope(em, user, reference) : null;
      if (!staffPr) { res.status(404).json({ error: 'notFound' }); return; }
      await audit(em, user, 'preRegistration.view', reference, { via: 'api' }, req.ip);
      if (await openForStaff({ em, temporal: deps.temporal, log: deps.log }, staffPr, user)) em = deps.orm.em.fork();
      proof = 'staff';
    } else if (req.get('X-Birth-Certificate-Number') !== undefined) {
      if (!(await proveWithCertificate(deps, req, res, reference))) return;
      proof = 'certificate';
    }
    // One indexed query (request, dates, timeline), no entity, when no proof is given (the common read).
    const pr = isReference(reference) ? await findRequestForView(em, reference) : null;
    if (!pr) { res.status(404).json({ error: 'notFound' }); return; }
    const v = await viewOfRequest(em, pr, proof);
    res.json({
      reference: v.reference, status: v.status, schoolYear: v.schoolYear, level: v.level,
      submittedAt: v.submittedAt.toISOString(), updatedAt: v.updatedAt.toISOString(),
      openedAt: v.openedAt?.toISOString() ?? null, editable: v.editable, decisionDueOn: v.decisionDueOn, originalsDueBy: v.originalsDueBy,
      timeline: v.timeline.map((e) => ({ at: e.at.toISOString(), type: e.type, status: e.status, channel: e.channel })),
      proof: v.proof,
      ...(v.details ? {
        school: { code: v.details.school.code, nameAr: v.details.school.nameAr, nameFr: v.details.school.nameFr }, massarCode: v.details.massarCode, rejectionReasons: v.details.rejectionReasons,
        decisionNote: v.details.decisionNote, correctionMessage: v.details.correctionMessage,
      } : {}),
    });
  });

  r.post('/pre-registrations/:reference/decision', async (req, res) => {
    const em = deps.orm.em.fork();
    const user = await staffUser(req, res, em);
    if (!user) return;
    const reference = normalizeReference(String(req.params.reference));
    const pr = isReference(reference) ? await findInScope(em, user, reference, ['school']) : null;
    if (!pr) { res.status(404).json({ error: 'notFound' }); return; }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const outcome = await decide({ em, temporal: deps.temporal }, user, pr,
      { decision: body.decision, reasons: body.reasons, note: body.note, confirmOverCapacity: body.confirmOverCapacity === true }, { via: 'api', ip: req.ip });
    if (outcome.ok) { res.json({ reference, status: outcome.status }); return; }
    switch (outcome.kind) {
      case 'forbidden': res.status(403).json({ error: 'forbidden' }); return;
      case 'invalid':
        res.status(400).json({ error: 'validation', errors: apiErrors([{ field: body.decision === 'reject' ? 'reasons' : 'decision', code: `decision.${outcome.error}` }]) });
        return;
      case 'derogationNoteRequired':
        res.status(400).json({ error: 'validation', errors: apiErrors([{ field: 'note', code: 'decision.refused.derogationNoteRequired' }]) });
        return;
      case 'confirmOverCapacity': {
        const params = { seats: String(outcome.seats), taken: String(outcome.taken) };
        res.status(409).json({ error: 'confirmOverCapacity', seats: outcome.seats, taken: outcome.taken, message: { ar: tAr('api.confirmOverCapacity', params), fr: tFr('api.confirmOverCapacity', params) } });
        return;
      }
      case 'refused':
        res.status(409).json({ error: outcome.code, message: { ar: tAr(`decision.refused.${outcome.code}`), fr: tFr(`decision.refused.${outcome.code}`) } });
    }
  });

  return r;
}
