/**
 * Massar reconciliation (staff): the approved requests of the user's scope not yet exported to
 * Massar — still being exported (`approved`) or refused by Massar (`exportFailed`, with Massar's
 * reason) — oldest decision first, with their age; and the retry of a refused export once the
 * record has been corrected (the workflow's `retryExport` Update). Mounted at `/staff/reconciliation`.
 */
import { Router } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, PreRegistration, type StaffUser } from '../../entities';
import type { Csrf, WebDeps } from '../app';
import { requireStaff as requireStaffMiddleware, type StaffRequest } from '../auth';
import { translator } from '../i18n';
import Handlebars from 'handlebars';
import { translateHtml } from '../views/textHelpers';
import { formBody } from '../http/bodies';
import { DecisionRefused, sendUpdate } from '../services/preRegistrations';
import { findInScope, scopeFilter } from '../services/staff';

/** Statuses listed: approved but without a Massar code yet. */
export const NOT_EXPORTED_STATUSES = ['approved', 'exportFailed'] as const;

/** One line of the reconciliation page. */
export interface ReconciliationRow {
  reference: string;
  status: (typeof NOT_EXPORTED_STATUSES)[number];
  childName: string;
  school: string;
  decidedAt: Date | null;
  /** Since the decision (else the last update): whole days and remaining hours. */
  ageDays: number;
  ageHours: number;
  /** Massar's reason, for `exportFailed`. */
  exportError: string | null;
}

/** The approved requests of `user`'s scope not yet exported, oldest first (at most `limit`). */
export async function notExported(em: EntityManager, user: StaffUser, lang: 'ar' | 'fr', now = new Date(), limit = 200): Promise<ReconciliationRow[]> {
  const rows = await em.find(PreRegistration, { $and: [scopeFilter(user), { status: { $in: [...NOT_EXPORTED_STATUSES] } }] }, {
    populate: ['school'], orderBy: { decidedAt: 'asc', submittedAt: 'asc' }, limit,
  });
  return rows.map((p) => {
    const since = p.decidedAt ?? p.updatedAt;
    const hours = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 3_600_000));
    return {
      reference: p.reference,
      status: p.status as ReconciliationRow['status'],
      childName: lang === 'ar' ? `${p.childFirstNameAr} ${p.childLastNameAr}` : `${p.childFirstNameLatin} ${p.childLastNameLatin}`,
      school: lang === 'ar' ? p.school.nameAr : p.school.nameFr,
      decidedAt: p.decidedAt ?? null,
      ageDays: Math.floor(hours / 24),
      ageHours: hours % 24,
      exportError: p.status === 'exportFailed' ? (p.exportError || null) : null,
    };
  });
}

/** The reconciliation router: `GET /` (the list) and `POST /:reference/retry-export`. */
export function reconciliationRouter(deps: WebDeps, csrf: Csrf): Router {
  const r = Router();
  const urlencoded = formBody({ fields: 20 });
  const requireStaff = requireStaffMiddleware(deps.orm);
  const str = (v: unknown) => (typeof v === 'string' ? v : '');

  r.get('/', requireStaff, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const lang = res.locals.lang;
    const t = translator(lang);
    const rows = await notExported(deps.orm.em.fork(), user, lang);
    const refused = str(req.query.refused);
    res.render('reconciliation/index', {
      title: t('reconciliation.title'),
      rows,
      failedCount: rows.filter((x) => x.status === 'exportFailed').length,
      flash: req.query.retried === '1' ? new Handlebars.SafeString(translateHtml(lang, 'reconciliation.retried', { reference: str(req.query.reference) }))
        : refused ? t(`decision.refused.${/^[a-zA-Z]+$/.test(refused) ? refused : 'workflowEnded'}`) : null,
    });
  });

  r.post('/:reference/retry-export', requireStaff, urlencoded, csrf.protect, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const em = deps.orm.em.fork();
    const pr = await findInScope(em, user, str(req.params.reference));
    if (!pr) {
      const t = translator(res.locals.lang);
      res.status(404).render('error', { title: t('error.notFound.title'), message: t('error.notFound.body') });
      return;
    }
    try {
      await sendUpdate(() => deps.temporal.retryExport(pr.reference, user.id));
    } catch (err) {
      if (!(err instanceof DecisionRefused)) throw err;
      res.redirect(303, `/staff/reconciliation?refused=${err.code}`);
      return;
    }
    em.create(AuditLog, { at: new Date(), actorId: user.id, actorRole: user.role, action: 'massarExport.retry', reference: pr.reference, details: {} });
    await em.flush();
    res.redirect(303, `/staff/reconciliation?retried=1&reference=${encodeURIComponent(pr.reference)}`);
  });

  return r;
}
