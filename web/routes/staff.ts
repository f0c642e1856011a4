/**
 * Staff pages: sign-in, the requests of the user's scope (school, directorate, academy), a review
 * page with all data, the photo and the checks, the decision form (directors), and a request's
 * workflow history (supervisors). Every read of personal data is written to the audit log.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import express from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import { PRE_REGISTRATION_STATUSES } from '../../domain/types';
import { normalizeForSearch } from '../../domain/names';
import { validateDecision } from '../../domain/rejectionReasons';
import { AuditLog, Photo, PreRegistration, PreRegistrationEvent, RejectionReason, StaffUser } from '../../entities';
import type { Csrf, WebDeps } from '../app';
import { translator } from '../i18n';
import { requireStaff as requireStaffMiddleware, type StaffRequest } from '../auth';
import { readableHistory } from '../services/history';
import { DecisionRefused, sendDecision } from '../services/preRegistrations';
import { authenticate, canDecide, findInScope, scopeFilter, SignInThrottle } from '../services/staff';

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const PAGE_SIZE = 50;

/** Writes one audit entry (who, what, which request). */
export async function audit(em: EntityManager, user: StaffUser, action: string, reference: string | null, details: Record<string, unknown> = {}): Promise<void> {
  em.create(AuditLog, { at: new Date(), actorId: user.id, actorRole: user.role, action, reference, details });
  await em.flush();
}

export function staffRouter(deps: WebDeps, csrf: Csrf): Router {
  const r = Router();
  const throttle = new SignInThrottle();
  const urlencoded = express.urlencoded({ extended: true, limit: '100kb' });
  const em = () => deps.orm.em.fork();

  const requireStaff = requireStaffMiddleware(deps.orm);

  r.get('/login', csrf.withCsrf, (req, res) => {
    res.render('staff/login', { title: translator(res.locals.lang)('staff.login.title'), next: str(req.query.next) });
  });

  r.post('/login', urlencoded, csrf.protect, async (req, res, next) => {
    const t = translator(res.locals.lang);
    const username = str(req.body?.username).trim();
    const key = `${username}|${req.ip}`;
    const fail = (message: string, status = 401) => {
      res.locals.csrfToken = undefined;
      csrf.withCsrf(req, res, () => res.status(status).render('staff/login', { title: t('staff.login.title'), error: message, username, next: str(req.body?.next) }));
    };
    if (throttle.blocked(key)) return fail(t('staff.login.throttled'), 429);
    const user = await authenticate(em(), username, str(req.body?.password));
    if (!user) { throttle.fail(key); return fail(t('staff.login.failed')); }
    throttle.reset(key);
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.staffUserId = user.id;
      const target = str(req.body?.next);
      res.redirect(303, target.startsWith('/staff/') && !target.startsWith('//') ? target : '/staff/requests');
    });
  });

  r.post('/logout', urlencoded, csrf.protect, (req, res) => {
    req.session.destroy(() => res.redirect(303, '/staff/login'));
  });

  r.get('/', requireStaff, (_req, res) => res.redirect(303, '/staff/requests'));

  r.get('/requests', requireStaff, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const lang = res.locals.lang;
    const db = em();
    const status = str(req.query.status);
    const q = str(req.query.q).trim();
    const page = Math.max(1, Number.parseInt(str(req.query.page) || '1', 10) || 1);
    const where: Record<string, unknown>[] = [scopeFilter(user) as Record<string, unknown>];
    if ((PRE_REGISTRATION_STATUSES as readonly string[]).includes(status)) where.push({ status });
    if (q) {
      const tokens = normalizeForSearch(q).split(' ').filter(Boolean);
      for (const tok of tokens) where.push({ searchText: { $like: `%${tok.replace(/[%_\\]/g, '\\$&')}%` } });
    }
    const [rows, total] = await db.findAndCount(PreRegistration, { $and: where }, {
      populate: ['school'], orderBy: { submittedAt: 'desc' }, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE,
    });
    res.render('staff/requests', {
      title: translator(lang)('staff.requests.title'),
      scope: scopeLabel(user, lang),
      q, status, total, page, hasNext: page * PAGE_SIZE < total, hasPrev: page > 1, nextPage: page + 1, prevPage: page - 1,
      statuses: PRE_REGISTRATION_STATUSES.filter((s) => s !== 'draft').map((s) => ({ value: s, label: `status.${s}` })),
      rows: rows.map((p) => ({
        reference: p.reference, status: p.status, submittedAt: p.submittedAt,
        childName: lang === 'ar' ? `${p.childFirstNameAr} ${p.childLastNameAr}` : `${p.childFirstNameLatin} ${p.childLastNameLatin}`,
        birthDate: p.birthDate, school: lang === 'ar' ? p.school.nameAr : p.school.nameFr,
        ageCheck: p.ageCheck, zoneCheck: p.zoneCheck, duplicateCheck: p.duplicateCheck, hijriCheck: p.hijriCheck,
      })),
    });
  });

  const loadForReview = async (req: Request, res: Response) => {
    const user = (req as StaffRequest).staff;
    const db = em();
    const pr = await findInScope(db, user, str(req.params.reference), ['school', 'commune', 'residenceZone']);
    if (!pr) {
      const t = translator(res.locals.lang);
      res.status(404).render('error', { title: t('error.notFound.title'), message: t('error.notFound.body') });
      return null;
    }
    return { user, db, pr };
  };

  r.get('/requests/:reference', requireStaff, csrf.withCsrf, async (req, res) => {
    const loaded = await loadForReview(req, res);
    if (!loaded) return;
    const { user, db, pr } = loaded;
    await audit(db, user, 'preRegistration.view', pr.reference);
    await renderReview(req, res, db, user, pr);
  });

  r.post('/requests/:reference/decision', requireStaff, urlencoded, csrf.protect, async (req, res) => {
    const loaded = await loadForReview(req, res);
    if (!loaded) return;
    const { user, db, pr } = loaded;
    const t = translator(res.locals.lang);
    if (!canDecide(user)) { res.status(403).render('error', { title: t('error.forbidden.title'), message: t('error.forbidden.body') }); return; }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const reasons = ([] as unknown[]).concat(body.reasons ?? []).map(String);
    const decisionInput = body.decision === 'approve'
      ? { decision: 'approve', note: str(body.note), decidedBy: user.id }
      : { decision: str(body.decision), reasons, note: str(body.note), decidedBy: user.id };
    const checked = validateDecision(decisionInput);
    if (!checked.ok) {
      res.status(400);
      await renderReview(req, res, db, user, pr, { decisionError: t(`decision.${checked.error}`), form: { decision: body.decision, reasons, note: str(body.note) } });
      return;
    }
    try {
      await sendDecision(deps.temporal, pr.reference, checked.value);
    } catch (err) {
      if (!(err instanceof DecisionRefused)) throw err;
      res.status(409);
      await renderReview(req, res, db, user, pr, { decisionError: t(`decision.refused.${err.code}`) });
      return;
    }
    res.redirect(303, `/staff/requests/${encodeURIComponent(pr.reference)}?decided=1`);
  });

  r.get('/requests/:reference/photo', requireStaff, async (req, res) => {
    const loaded = await loadForReview(req, res);
    if (!loaded) return;
    const { db, pr } = loaded;
    const photo = pr.photoKey ? await db.findOne(Photo, { key: pr.photoKey }, { populate: ['bytes'] }) : null;
    if (!photo) { res.status(404).end(); return; }
    res.set({ 'Content-Type': photo.contentType, 'Cache-Control': 'private, no-store' }).send(photo.bytes);
  });

  r.get('/requests/:reference/history', requireStaff, async (req, res) => {
    const loaded = await loadForReview(req, res);
    if (!loaded) return;
    const { user, db, pr } = loaded;
    const t = translator(res.locals.lang);
    await audit(db, user, 'preRegistration.history', pr.reference);
    let rows: ReturnType<typeof readableHistory> = [];
    let unavailable = false;
    try {
      rows = readableHistory(await deps.temporal.history(pr.reference));
    } catch {
      unavailable = true;
    }
    res.render('supervisor/history', {
      title: t('supervisor.history.title'), reference: pr.reference, workflowId: pr.workflowId, unavailable,
      rows: rows.filter((row) => row.kind !== 'workflowTask'),
      temporalUiUrl: `${deps.config.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(deps.config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(pr.workflowId)}`,
    });
  });

  return r;
}

function scopeLabel(user: StaffUser, lang: string): string {
  const n = (x?: { nameAr: string; nameFr: string } | null) => (x ? (lang === 'ar' ? x.nameAr : x.nameFr) : '');
  return user.role === 'director' ? n(user.school) : user.role === 'provincialSupervisor' ? n(user.directorate) : user.role === 'academySupervisor' ? n(user.academy) : '';
}

async function renderReview(
  req: Request, res: Response, db: EntityManager, user: StaffUser, pr: PreRegistration,
  extra: { decisionError?: string; form?: Record<string, unknown> } = {},
): Promise<void> {
  const lang = res.locals.lang;
  const t = translator(lang);
  const events = await db.find(PreRegistrationEvent, { preRegistration: pr }, { orderBy: { at: 'asc', id: 'asc' } });
  const reasons = await db.find(RejectionReason, { active: true }, { orderBy: { sortOrder: 'asc' } });
  const chosen = new Set(((extra.form?.reasons as string[]) ?? pr.rejectionReasons));
  res.render('director/review', {
    title: `${t('director.review.title')} ${pr.reference}`,
    pr, decided: req.query.decided === '1',
    canDecide: canDecide(user) && pr.status === 'underReview',
    canSeeHistory: true,
    checks: pr.checks,
    schoolName: lang === 'ar' ? pr.school.nameAr : pr.school.nameFr,
    zoneName: lang === 'ar' ? pr.residenceZone.nameAr : pr.residenceZone.nameFr,
    communeName: lang === 'ar' ? pr.commune.nameAr : pr.commune.nameFr,
    reasons: reasons.map((x) => ({ code: x.code, text: lang === 'ar' ? x.textAr : x.textFr, checked: chosen.has(x.code) })),
    decidedReasons: reasons.filter((x) => pr.rejectionReasons.includes(x.code)).map((x) => (lang === 'ar' ? x.textAr : x.textFr)),
    events: events.map((e) => ({ at: e.at, label: e.type === 'status' ? `timeline.status.${e.status}` : e.type === 'notification' ? `timeline.notification.${String((e.details as { channel?: string }).channel)}` : `timeline.${e.type}` })),
    decisionError: extra.decisionError,
    noteValue: str(extra.form?.note),
    people: [
      { key: 'father', data: pr.father, isGuardian: pr.guardianRole === 'father' },
      { key: 'mother', data: pr.mother, isGuardian: pr.guardianRole === 'mother' },
      ...(pr.tutor ? [{ key: 'tutor', data: pr.tutor, isGuardian: true }] : []),
    ],
  });
}
