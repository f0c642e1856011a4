/**
 * Supporting documents' doors (issue 14), one service (web/services/documents.ts):
 *
 * - parents (`/pre-registrations/:reference/documents`, for a session that proved the birth
 *   certificate number or the parents' space account that owns the request): the documents asked
 *   for, the director's requests, one upload form per kind (multipart, size limited at the door),
 *   and "send to the school" when a correction is awaited;
 * - staff (`/staff/requests/:reference/documents/:id`): one document of a request in scope,
 *   decrypted; an image inline (the review shows it), a PDF always as an attachment; both with a
 *   sandboxing CSP; each read audited;
 * - JSON API (`/api/v1/pre-registrations/:reference/documents[/:kind]`): the list, and `PUT` of
 *   one document as the raw request body, proved with `X-Birth-Certificate-Number`.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { normalizeReference, isReference } from '../../domain/reference';
import { DOCUMENT_KINDS, isDocumentKind, type DocumentKind } from '../../domain/documents';
import { PreRegistration } from '../../entities';
import type { Csrf, RouteDeps } from '../app';
import { translator } from '../i18n';
import { requireStaff as requireStaffMiddleware, type StaffRequest } from '../auth';
import { findInScope } from '../services/staff';
import { DecisionRefused } from '../services/preRegistrations';
import {
  addDocument, documentField, documentStore, documentsOf, readDocumentForStaff, sendDocumentsToSchool, type DocumentSlot,
} from '../services/documents';
import { errorsByField } from '../services/preRegistrations';
import { photoForm } from '../http/bodies';
import { InputError } from '../http/errors';
import { proveWithCertificate } from './api';
import { formBody } from '../http/bodies';

/** Headers of every document answer: nothing in it may run, nothing is cached, never sniffed. */
const DOCUMENT_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'none'; script-src 'none'; form-action 'none'; frame-ancestors 'self'";

/** The slots of a request as the pages show them (labels from the catalogue). */
export function slotsModel(slots: DocumentSlot[], errors: Record<string, string> = {}) {
  return slots.map((s) => ({
    ...s, label: `document.kind.${s.kind}`, proofLabel: `document.proves.${s.proves}`, required: s.requirement === 'required',
    error: errors[documentField(s.kind)], inputName: `documents[${s.kind}]`, id: `documents-${s.kind}`,
    requestedLabel: s.requested ? `document.problem.${s.requested}` : null,
  }));
}

export function documentsRouter(deps: RouteDeps, csrf: Csrf): Router {
  const r = Router();
  const em = () => deps.orm.em.fork();
  const store = documentStore(deps.config);
  const requireStaff = requireStaffMiddleware(deps.orm);
  const upload = photoForm({
    field: 'unused', maxFileBytes: 0, fields: 10, maxBodyBytes: store.maxBytes + 64 * 1024, tooLargeKey: 'input.documentTooLarge',
    documents: { fields: ['file'], maxFileBytes: store.maxBytes },
  });
  const urlencoded = formBody({ fields: 10 });

  /** The request if this session may manage it (proved the certificate number, or owns it from the parents' space). */
  const parentRequest = async (req: Request, res: Response): Promise<PreRegistration | null> => {
    const reference = normalizeReference(String(req.params.reference));
    const pr = isReference(reference) ? await em().findOne(PreRegistration, { reference }) : null;
    const t = translator(res.locals.lang);
    if (!pr) { res.status(404).render('error', { title: t('parent.status.notFound.title'), message: t('parent.status.notFound.body') }); return null; }
    const allowed = req.session.unlocked?.includes(pr.reference) || (req.session.parentAccountId && pr.parentAccountId === req.session.parentAccountId);
    if (!allowed) { res.redirect(303, `/pre-registrations/${encodeURIComponent(pr.reference)}#manage`); return null; }
    return pr;
  };

  const renderParent = async (req: Request, res: Response, pr: PreRegistration, opts: { errors?: Record<string, string>; status?: number } = {}) => {
    const t = translator(res.locals.lang);
    const { slots, missing } = await documentsOf(em(), pr);
    const open = ['submitted', 'underReview', 'correctionRequested'].includes(pr.status);
    res.status(opts.status ?? 200).render('parent/documents', {
      title: `${opts.errors ? `${t('error.titlePrefix')} ` : ''}${t('document.page.title')}`,
      reference: pr.reference, slots: slotsModel(slots, opts.errors), missing: missing.map((k) => `document.kind.${k}`),
      canUpload: open, canSend: pr.status === 'correctionRequested', correctionMessage: pr.status === 'correctionRequested' ? pr.correctionMessage : null,
      maxMb: String(Math.round(store.maxBytes / (1024 * 1024))), maxPages: String(store.maxPdfPages),
      flash: req.query.added === '1' ? 'document.added' : undefined,
      errorList: opts.errors ? Object.entries(opts.errors).map(([f, m]) => ({ href: `#${f.replace(/\./g, '-')}`, message: m })) : undefined,
    });
  };

  r.get('/pre-registrations/:reference/documents', csrf.withCsrf, async (req, res) => {
    const pr = await parentRequest(req, res);
    if (pr) await renderParent(req, res, pr);
  });

  r.post('/pre-registrations/:reference/documents/send', urlencoded, csrf.protect, async (req, res) => {
    const pr = await parentRequest(req, res);
    if (!pr) return;
    try {
      await sendDocumentsToSchool({ em: em(), temporal: deps.temporal, now: deps.clock() }, pr.reference);
      res.redirect(303, `/pre-registrations/${encodeURIComponent(pr.reference)}?corrected=1`);
    } catch (err) {
      if (!(err instanceof DecisionRefused)) throw err;
      res.redirect(303, `/pre-registrations/${encodeURIComponent(pr.reference)}?refused=${err.code}#manage`);
    }
  });

  r.post('/pre-registrations/:reference/documents/:kind', upload, csrf.protect, csrf.withCsrf, async (req, res) => {
    const pr = await parentRequest(req, res);
    if (!pr) return;
    const kind = String(req.params.kind);
    if (!isDocumentKind(kind)) { res.status(404).render('error', { title: translator(res.locals.lang)('error.notFound.title'), message: translator(res.locals.lang)('error.notFound.body') }); return; }
    const file = req.documentFiles?.file ?? Buffer.alloc(0);
    try {
      const result = await addDocument({ em: em(), store, now: deps.clock() }, pr.reference, kind, file, 'parent');
      if (!result.ok) {
        const t = translator(res.locals.lang);
        await renderParent(req, res, pr, { errors: errorsByField(result.errors, (k, p) => t(k, p ?? {}) as string), status: 400 });
        return;
      }
      res.redirect(303, `/pre-registrations/${encodeURIComponent(pr.reference)}/documents?added=1#documents-${kind}`);
    } catch (err) {
      if (!(err instanceof DecisionRefused)) throw err;
      res.redirect(303, `/pre-registrations/${encodeURIComponent(pr.reference)}?refused=${err.code}#manage`);
    }
  });

  // ---- staff: one document, decrypted, audited ------------------------------------------------
  r.get('/staff/requests/:reference/documents/:id', requireStaff, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const db = em();
    const pr = await findInScope(db, user, String(req.params.reference).trim().toUpperCase());
    const doc = pr ? await readDocumentForStaff(db, store, user, pr, String(req.params.id), { ip: req.ip, download: req.query.download === '1' }) : null;
    if (!pr || !doc) {
      const t = translator(res.locals.lang);
      res.status(404).render('error', { title: t('error.notFound.title'), message: t('error.notFound.body') });
      return;
    }
    const inline = doc.contentType.startsWith('image/') && req.query.download !== '1';
    const name = `${pr.reference}-${doc.kind}.${doc.contentType === 'application/pdf' ? 'pdf' : 'jpg'}`;
    res.set({
      'Content-Type': doc.contentType,
      'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${name}"`,
      'Content-Security-Policy': DOCUMENT_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, no-store',
      'Cross-Origin-Resource-Policy': 'same-origin',
    }).send(doc.bytes);
  });

  return r;
}

/** The JSON API's document doors; mounted before the API's JSON body parser (a document is a raw body). */
export function apiDocumentsRouter(deps: RouteDeps): Router {
  const r = Router();
  const store = documentStore(deps.config);
  const tAr = translator('ar');
  const tFr = translator('fr');
  const raw = express.raw({ type: () => true, limit: store.maxBytes });
  /** The raw body, a body over the limit answered 413 with the limit in both languages. */
  const rawBody = (req: Request, res: Response, next: NextFunction) => raw(req, res, (err?: unknown) => {
    if ((err as { type?: string } | undefined)?.type === 'entity.too.large') {
      const max = String(Math.round(store.maxBytes / (1024 * 1024)));
      next(new InputError(413, 'input.documentTooLarge', { max }));
      return;
    }
    next(err);
  });

  const verified = async (req: Request, res: Response): Promise<PreRegistration | null> => {
    const reference = normalizeReference(String(req.params.reference));
    if (!(await proveWithCertificate(deps, req, res, reference))) return null;
    return deps.orm.em.fork().findOneOrFail(PreRegistration, { reference });
  };

  r.get('/pre-registrations/:reference/documents', async (req, res) => {
    const pr = await verified(req, res);
    if (!pr) return;
    const { slots, missing } = await documentsOf(deps.orm.em.fork(), pr);
    res.json({
      reference: pr.reference, missing,
      documents: slots.map((s) => ({ kind: s.kind, requirement: s.requirement, requested: s.requested, present: Boolean(s.current), contentType: s.current?.contentType ?? null, pages: s.current?.pages ?? null, addedAt: s.current?.addedAt ?? null })),
    });
  });

  r.put('/pre-registrations/:reference/documents/:kind', async (req, res, next) => {
    const kind = String(req.params.kind);
    if (!isDocumentKind(kind)) { res.status(404).json({ error: 'unknownDocumentKind', kinds: DOCUMENT_KINDS }); return; }
    const pr = await verified(req, res);
    if (!pr) { req.resume(); return; }
    rawBody(req, res, async (err?: unknown) => {
      if (err) { next(err); return; }
      try {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const result = await addDocument({ em: deps.orm.em.fork(), store, now: deps.clock() }, pr.reference, kind as DocumentKind, body, 'api');
        if (!result.ok) {
          const e = result.errors[0];
          res.status(e.code === 'validation.document.tooLarge' ? 413 : 400).json({ error: e.code.replace(/^validation\.document\./, ''), field: e.field, message: { ar: tAr(e.code, e.params ?? {}), fr: tFr(e.code, e.params ?? {}) } });
          return;
        }
        res.status(201).json({ reference: pr.reference, kind, id: result.id });
      } catch (e) {
        if (!(e instanceof DecisionRefused)) { next(e); return; }
        res.status(409).json({ error: e.code, message: { ar: tAr(`decision.refused.${e.code}`), fr: tFr(`decision.refused.${e.code}`) } });
      }
    });
  });
  return r;
}
