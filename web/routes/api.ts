/**
 * JSON API v1 (OpenAPI document at /api/v1/openapi.json). Same services and validation as the
 * pages. Staff endpoints authenticate with HTTP Basic (RFC 7617) over TLS — no cookies, so no CSRF.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { randomUUID } from 'node:crypto';
import { isReference, normalizeReference } from '../../domain/reference';
import { validateDecision } from '../../domain/rejectionReasons';
import type { FieldError } from '../../domain/submission';
import { PreRegistration, PreRegistrationEvent, RejectionReason } from '../../entities';
import type { WebDeps } from '../app';
import { translator } from '../i18n';
import { openApiDocument } from '../openapi';
import { MAX_PHOTO_BYTES } from '../services/photos';
import { canParentEdit, DecisionRefused, openForStaff, sendDecision, submitPreRegistration } from '../services/preRegistrations';
import { authenticate, canDecide, findInScope, SignInThrottle } from '../services/staff';
import { audit } from './staff';

const tAr = translator('ar');
const tFr = translator('fr');

/** Per-field errors with the message in both languages. */
export function apiErrors(errors: FieldError[]) {
  return errors.map((e) => ({ field: e.field, code: e.code, message: { ar: tAr(e.code, e.params ?? {}), fr: tFr(e.code, e.params ?? {}) } }));
}

export function apiRouter(deps: WebDeps): Router {
  const r = Router();
  const throttle = new SignInThrottle();
  r.use(express.json({ limit: '15mb' }));

  r.get('/openapi.json', (_req, res) => { res.json(openApiDocument(deps.config.publicBaseUrl)); });

  /** The staff user of the request's HTTP Basic credentials; otherwise answers 401 (or 429) and returns null. */
  const staffUser = async (req: Request, res: Response, em: ReturnType<typeof deps.orm.em.fork>) => {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.get('Authorization') ?? '');
    const [username, ...rest] = m ? Buffer.from(m[1], 'base64').toString('utf8').split(':') : [''];
    const key = `${username}|${req.ip}`;
    if (throttle.blocked(key)) { res.status(429).json({ error: 'tooManyAttempts' }); return null; }
    const user = m ? await authenticate(em, username, rest.join(':')) : null;
    if (!user) {
      if (m) throttle.fail(key);
      res.status(401).set('WWW-Authenticate', 'Basic realm="Tasjil staff", charset="UTF-8"').json({ error: 'unauthorized' });
      return null;
    }
    throttle.reset(key);
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
      photo = (req as Request & { photoTooLarge?: boolean }).photoTooLarge ? Buffer.alloc(MAX_PHOTO_BYTES + 1) : files.photo?.[0]?.buffer;
      delete body.photo;
    } else {
      body = req.body && typeof req.body === 'object' ? { ...(req.body as Record<string, unknown>) } : {};
      const p = body.photo as { data?: unknown } | undefined;
      if (p && typeof p === 'object' && typeof p.data === 'string') photo = Buffer.from(p.data, 'base64');
      delete body.photo;
    }
    const token = (req.get('Idempotency-Key') ?? '').trim().slice(0, 64) || (typeof body.submissionToken === 'string' ? body.submissionToken.slice(0, 64) : '') || randomUUID();
    const result = await submitPreRegistration({ em: deps.orm.em.fork(), temporal: deps.temporal, starter: deps.starter }, body, photo, token);
    if (!result.ok) {
      res.status(400).json({ error: 'validation', errors: apiErrors(result.errors) });
      return;
    }
    res.status(result.created ? 201 : 200)
      .location(`/api/v1/pre-registrations/${result.reference}`)
      .json({ reference: result.reference, status: result.status, statusUrl: `${deps.config.publicBaseUrl}/pre-registrations/${result.reference}` });
  });

  r.get('/pre-registrations/:reference', async (req, res) => {
    const reference = normalizeReference(String(req.params.reference));
    let em = deps.orm.em.fork();
    // With staff credentials (HTTP Basic), in scope only: the request becomes opened (no more parent edits).
    const user = req.get('Authorization') ? await staffUser(req, res, em) : null;
    if (req.get('Authorization') && !user) return;
    if (user) {
      const staffPr = isReference(reference) ? await findInScope(em, user, reference) : null;
      if (!staffPr) { res.status(404).json({ error: 'notFound' }); return; }
      await audit(em, user, 'preRegistration.view', reference, { via: 'api' }, req.ip);
      if (await openForStaff({ em, temporal: deps.temporal, log: deps.log }, staffPr, user)) em = deps.orm.em.fork();
    }
    const pr = isReference(reference) ? await em.findOne(PreRegistration, { reference }, { populate: ['school'] }) : null;
    if (!pr) { res.status(404).json({ error: 'notFound' }); return; }
    const reasons = pr.rejectionReasons.length ? await em.find(RejectionReason, { code: { $in: pr.rejectionReasons } }, { orderBy: { sortOrder: 'asc' } }) : [];
    const events = await em.find(PreRegistrationEvent, { preRegistration: pr }, { orderBy: { at: 'asc', id: 'asc' } });
    res.json({
      reference: pr.reference, status: pr.status, schoolYear: pr.schoolYear, level: pr.level,
      school: { code: pr.school.code, nameAr: pr.school.nameAr, nameFr: pr.school.nameFr },
      massarCode: pr.massarCode ?? null,
      rejectionReasons: reasons.map((x) => ({ code: x.code, textAr: x.textAr, textFr: x.textFr })),
      decisionNote: pr.decision === 'reject' ? pr.decisionNote ?? null : null,
      correctionMessage: pr.status === 'correctionRequested' ? pr.correctionMessage ?? null : null,
      submittedAt: pr.submittedAt.toISOString(), updatedAt: pr.updatedAt.toISOString(),
      openedAt: pr.openedAt?.toISOString() ?? null, editable: canParentEdit(pr),
      timeline: events.map((e) => ({ at: e.at.toISOString(), type: e.type, status: e.status ?? null, channel: (e.details as { channel?: string }).channel ?? null })),
    });
  });

  r.post('/pre-registrations/:reference/decision', async (req, res) => {
    const em = deps.orm.em.fork();
    const user = await staffUser(req, res, em);
    if (!user) return;
    const reference = normalizeReference(String(req.params.reference));
    const pr = isReference(reference) ? await findInScope(em, user, reference) : null;
    if (!pr) { res.status(404).json({ error: 'notFound' }); return; }
    if (!canDecide(user)) { res.status(403).json({ error: 'forbidden' }); return; }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const checked = validateDecision({ ...body, decidedBy: user.id });
    if (!checked.ok) {
      res.status(400).json({ error: 'validation', errors: apiErrors([{ field: body.decision === 'reject' ? 'reasons' : 'decision', code: `decision.${checked.error}` }]) });
      return;
    }
    try {
      const result = await sendDecision(deps.temporal, reference, checked.value);
      await audit(em, user, 'decision.submitted', reference, { decision: checked.value.decision, via: 'api' }, req.ip);
      res.json({ reference, status: result.status });
    } catch (err) {
      if (!(err instanceof DecisionRefused)) throw err;
      await audit(em, user, 'decision.refused', reference, { code: err.code }, req.ip);
      res.status(409).json({ error: err.code, message: { ar: tAr(`decision.refused.${err.code}`), fr: tFr(`decision.refused.${err.code}`) } });
    }
  });

  return r;
}
