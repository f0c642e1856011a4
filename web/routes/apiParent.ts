/**
 * JSON API v1, the parent's side of an existing request: change it (`PUT /pre-registrations/{reference}`):
 * a correction when the director asked for one, otherwise an edit until the school opens the
 * request; and withdraw it before a decision
 * (`POST /pre-registrations/{reference}/withdraw`). The caller proves they hold the file with the
 * header `X-Birth-Certificate-Number` (the child's birth certificate number as submitted).
 */
import { Router, type Request, type Response } from 'express';
import { normalizeReference } from '../../domain/reference';
import { PreRegistration } from '../../entities';
import type { RouteDeps } from '../app';
import { translator } from '../i18n';
import { DecisionRefused, submitCorrection, submitParentEdit, withdrawPreRegistration } from '../services/preRegistrations';
import { apiErrors, apiJsonBody, proveWithCertificate, validationAnswer } from './api';

export function apiParentRouter(deps: RouteDeps): Router {
  const r = Router();
  r.use(apiJsonBody);

  /** The request if the certificate number matches (one throttle with the status page), else answers 404/403/429 and returns null. */
  const verified = async (req: Request, res: Response): Promise<string | null> => {
    const reference = normalizeReference(String(req.params.reference));
    return (await proveWithCertificate(deps, req, res, reference)) ? reference : null;
  };

  const refused = (res: Response, err: unknown) => {
    if (!(err instanceof DecisionRefused)) throw err;
    res.status(409).json({ error: err.code, message: { ar: translator('ar')(`decision.refused.${err.code}`), fr: translator('fr')(`decision.refused.${err.code}`) } });
  };

  r.put('/pre-registrations/:reference', async (req, res) => {
    const reference = await verified(req, res);
    if (!reference) return;
    const body = req.body && typeof req.body === 'object' ? { ...(req.body as Record<string, unknown>) } : {};
    const p = body.photo as { data?: unknown } | undefined;
    const photo = p && typeof p === 'object' && typeof p.data === 'string' ? Buffer.from(p.data, 'base64') : undefined;
    delete body.photo;
    try {
      const em = deps.orm.em.fork();
      const current = await em.findOneOrFail(PreRegistration, { reference });
      // A correction the director asked for, otherwise the parent's own edit (refused once opened: 409 alreadyOpened).
      const change = current.status === 'correctionRequested' ? submitCorrection : submitParentEdit;
      const result = await change({ em, temporal: deps.temporal, now: deps.clock() }, reference, body, photo);
      if (!result.ok && result.reason) {
        const e = result.errors[0];
        res.status(422).json({ error: result.reason, message: { ar: translator('ar')(e.code, e.params ?? {}), fr: translator('fr')(e.code, e.params ?? {}) }, errors: apiErrors(result.errors) });
        return;
      }
      if (!result.ok) { res.status(400).json(validationAnswer(result.errors)); return; }
      res.json({ reference, status: result.status });
    } catch (err) {
      refused(res, err);
    }
  });

  r.post('/pre-registrations/:reference/withdraw', async (req, res) => {
    const reference = await verified(req, res);
    if (!reference) return;
    try {
      const result = await withdrawPreRegistration(deps.temporal, reference);
      res.json({ reference, status: result.status });
    } catch (err) {
      refused(res, err);
    }
  });
  return r;
}
