/**
 * Staff pages: sign-in (password, then a TOTP code; enrolment at the first sign-in), the user's
 * security page (recovery codes, API tokens), the queue of the user's scope (search, filters, saved views, sorting,
 * counts, seats left, bulk approval), a review page with all data, the photo, the checks in words
 * and the timeline, decisions (approve with derogation note / over-capacity confirmation, reject
 * with reasons, request a correction), exports of the approved list (CSV, XLSX), the audit log
 * (supervisors) and a request's workflow history. Every read of personal data, decision, export
 * and correction request is written to the audit log with the client address.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Photo, PreRegistration, PreRegistrationEvent, RejectionReason, StaffUser } from '../../entities';
import { needsDerogation } from '../../domain/derogation';
import type { Csrf, WebDeps } from '../app';
import { translator } from '../i18n';
import { requireStaff as requireStaffMiddleware, staffBadge, type AuthDeps, type StaffRequest } from '../auth';
import { SignInRefused } from '../services/signInGuard';
import { confirmEnrolment, enrolmentQr, groupSecret, newRecoveryCodes, pendingSecret, recoveryCodesLeft, SecondFactorError, verifySecondFactor } from '../services/secondFactor';
import { ApiTokenError, createApiToken, listApiTokens, revokeApiToken } from '../services/apiTokens';
import { formBody } from '../http/bodies';
import { queryInt } from '../http/input';

/** Page numbers of lists: 1 to 100,000 (a 400 otherwise). */
const PAGE_RANGE = { min: 1, max: 100_000, fallback: 1 };
import { readableHistory } from '../services/history';
import { requestStory, type StoryLine } from '../services/story';
import { canSeeDashboards } from '../services/dashboard';
import { openForStaff } from '../services/preRegistrations';
import { askForCorrection, decide } from '../services/decisions';
import { allChecksPass, authenticate, canDecide, canReadAudit, checksSummaryOf, findInScope } from '../services/staff';
import { CHECK_FILTERS, QUEUE_STATUSES, SAVED_VIEWS, SORT_KEYS, nextUnderReview, queueOrder, queuePage, queueQueryString, queueStatements, schoolsInScope, seatsFor, seatsLeft, type QueueQuery } from '../services/queue';
import { approvedList, toCsv, toXlsx } from '../services/exports';
import { listAudit, recordAudit } from '../services/audit';
import { notificationsFor } from '../services/notifications';
import { countText } from '../views/textHelpers';
import { DOCUMENT_KINDS, DOCUMENT_PROBLEMS, type DocumentKind, type DocumentProblem } from '../../domain/documents';
import { reviewDocumentsModel } from './documentFields';

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const PAGE_SIZE = 50;
/** A request reference as it may come back in `after` (anything else is ignored). */
const REFERENCE = /^[A-Z0-9]{2,4}-[A-Z0-9]{3,8}-[A-Z0-9]{3,8}$/;
/** The longest queue context (a query string) a review form carries back. */
const QUEUE_CONTEXT_MAX = 600;

/**
 * The queue a request was opened from (its filters and order), from the review page's query or
 * the `queue` field of its forms: the query as the queue understands it and its query string.
 */
export function queueContext(source: Record<string, unknown> | string): { input: QueueQuery; qs: string } {
  const raw = typeof source === 'string'
    ? (source.length <= QUEUE_CONTEXT_MAX ? Object.fromEntries(new URLSearchParams(source)) : {})
    : source;
  const input: QueueQuery = {
    q: str(raw.q), status: str(raw.status), check: str(raw.check), view: str(raw.view),
    from: str(raw.from), to: str(raw.to), sort: str(raw.sort), dir: str(raw.dir),
  };
  const query = queueStatements(null, input).query;
  return { input: query, qs: queueQueryString(query) };
}
const withQs = (path: string, qs: string, extra = '') => `${path}${qs || extra ? '?' : ''}${qs}${qs && extra ? '&' : ''}${extra}`;
const BULK_MAX = 200;

/**
 * Writes one audit entry (who, what, which request). Kept for callers of the first version (the
 * API); new code calls `recordAudit` with the client address.
 */
export async function audit(em: EntityManager, user: StaffUser, action: string, reference: string | null, details: Record<string, unknown> = {}, ip?: string): Promise<void> {
  await recordAudit(em, { user, action, reference, details, ip });
}


/** How long the half-signed-in state (password checked, code not yet) lasts. */
const PENDING_MS = 10 * 60 * 1000;

export function staffRouter(deps: WebDeps, csrf: Csrf, auth: AuthDeps): Router {
  const r = Router();
  const urlencoded = formBody({ fields: 400 });
  const em = () => deps.orm.em.fork();
  const requireStaff = requireStaffMiddleware(deps.orm);
  const notFound = (res: Response) => {
    const t = translator(res.locals.lang);
    res.status(404).render('error', { title: t('error.notFound.title'), message: t('error.notFound.body') });
  };
  const forbidden = (res: Response) => {
    const t = translator(res.locals.lang);
    res.status(403).render('error', { title: t('error.forbidden.title'), message: t('error.forbidden.body') });
  };

  r.get('/login', csrf.withCsrf, (req, res) => {
    res.render('staff/login', { title: translator(res.locals.lang)('staff.login.title'), next: str(req.query.next) });
  });

  /** Answers a refused attempt: 429 + Retry-After and the reason in the page's language. */
  const refusedMessage = (res: Response, e: SignInRefused) => {
    res.set('Retry-After', String(e.retryAfterSeconds));
    const lang = res.locals.lang;
    return translator(lang)(`signIn.throttled.${e.counter}`, { minutes: countText(lang, 'minutes', e.minutes), seconds: countText(lang, 'seconds', e.retryAfterSeconds) }) as string;
  };
  const safeTarget = (target: string, user: StaffUser) => (target.startsWith('/staff/') && !target.startsWith('//') && !target.startsWith('/staff/login') ? target : user.role === 'director' ? '/staff/requests' : '/staff/supervision/');

  // Step 1: the password. Success leads to the code step (or to enrolment); the session then holds
  // only `staffPending`, which no page but the code step accepts.
  r.post('/login', urlencoded, csrf.protect, async (req, res, next) => {
    const t = translator(res.locals.lang);
    const username = str(req.body?.username).trim().slice(0, 64);
    const ip = req.ip ?? '';
    const fail = (message: string, status = 401) => {
      res.locals.csrfToken = undefined;
      csrf.withCsrf(req, res, () => res.status(status).render('staff/login', { title: t('staff.login.title'), error: message, username, next: str(req.body?.next) }));
    };
    try {
      await auth.guard.check('staff', username, ip);
    } catch (e) {
      if (e instanceof SignInRefused) return fail(refusedMessage(res, e), 429);
      throw e;
    }
    const user = await authenticate(em(), username, str(req.body?.password));
    if (!user) { await auth.guard.failed('staff', username, ip); return fail(t('staff.login.failed')); }
    await auth.guard.succeeded('staff', username, ip);
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.staffPending = { userId: user.id, next: str(req.body?.next), at: Date.now() };
      // Saved before redirecting: express-session would otherwise send the headers before the
      // session row is written, and the browser's next request could arrive first.
      req.session.save((saveErr) => (saveErr ? next(saveErr) : res.redirect(303, user.totpEnrolledAt ? '/staff/login/code' : '/staff/login/enrol')));
    });
  });

  /** The half-signed-in user (password checked less than 10 minutes ago), or null after sending them back to the password. */
  const pendingUser = async (req: Request, res: Response): Promise<StaffUser | null> => {
    const p = req.session.staffPending;
    const user = p && Date.now() - p.at < PENDING_MS ? await em().findOne(StaffUser, { id: p.userId, active: true }, { populate: ['school', 'directorate', 'academy'] }) : null;
    if (!user) {
      delete req.session.staffPending;
      res.redirect(303, '/staff/login');
      return null;
    }
    return user;
  };
  /** Completes the sign-in: a new session holding the staff user. */
  const signedIn = (req: Request, res: Response, next: NextFunction, user: StaffUser, then: (() => void) | null) => {
    const target = safeTarget(req.session.staffPending?.next ?? '', user);
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.staffUserId = user.id;
      req.session.save((saveErr) => {
        if (saveErr) return next(saveErr);
        if (then) {
          res.locals.staffNext = target;
          res.locals.staff = staffBadge(user);
          then();
        } else res.redirect(303, target);
      });
    });
  };

  // Step 2: the code of the authenticator app (or a recovery code).
  r.get('/login/code', csrf.withCsrf, async (req, res) => {
    const user = await pendingUser(req, res);
    if (!user) return;
    if (!user.totpEnrolledAt) { res.redirect(303, '/staff/login/enrol'); return; }
    res.render('staff/loginCode', { title: translator(res.locals.lang)('staff.code.title') });
  });
  r.post('/login/code', urlencoded, csrf.protect, async (req, res, next) => {
    const user = await pendingUser(req, res);
    if (!user) return;
    const t = translator(res.locals.lang);
    const ip = req.ip ?? '';
    const fail = (message: string, status: number) => {
      res.locals.csrfToken = undefined;
      csrf.withCsrf(req, res, () => res.status(status).render('staff/loginCode', { title: `${t('error.titlePrefix')} ${t('staff.code.title')}`, error: message }));
    };
    try {
      await auth.guard.check('totp', user.id, ip);
      const how = await verifySecondFactor(em(), auth.totpKey, user, str(req.body?.code));
      await auth.guard.succeeded('totp', user.id, ip);
      await recordAudit(em(), { user, action: 'staff.signIn', ip, details: { secondFactor: how } });
      signedIn(req, res, next, user, null);
    } catch (e) {
      if (e instanceof SignInRefused) return fail(refusedMessage(res, e), 429);
      if (!(e instanceof SecondFactorError)) throw e;
      if (e.code === 'totp.wrong') await auth.guard.failed('totp', user.id, ip);
      fail(t(e.code), 401);
    }
  });

  // First sign-in (or not enrolled): the QR code and the secret, confirmed with a code.
  const renderEnrol = async (req: Request, res: Response, user: StaffUser, status = 200, error?: string) => {
    const t = translator(res.locals.lang);
    const secret = await pendingSecret(em(), auth.totpKey, user);
    const { svg } = await enrolmentQr(user.username, secret);
    res.set('Cache-Control', 'no-store');
    res.status(status).render('staff/enrol', { title: `${error ? `${t('error.titlePrefix')} ` : ''}${t('staff.enrol.title')}`, qrSvg: svg, secret: groupSecret(secret), error });
  };
  r.get('/login/enrol', csrf.withCsrf, async (req, res) => {
    const user = await pendingUser(req, res);
    if (!user) return;
    if (user.totpEnrolledAt) { res.redirect(303, '/staff/login/code'); return; }
    await renderEnrol(req, res, user);
  });
  r.post('/login/enrol', urlencoded, csrf.protect, async (req, res, next) => {
    const user = await pendingUser(req, res);
    if (!user) return;
    if (user.totpEnrolledAt) { res.redirect(303, '/staff/login/code'); return; }
    const t = translator(res.locals.lang);
    const ip = req.ip ?? '';
    try {
      await auth.guard.check('totp', user.id, ip);
      const codes = await confirmEnrolment(em(), auth.totpKey, user, str(req.body?.code));
      await recordAudit(em(), { user, action: 'staff.totpEnrolled', ip });
      // Shown once, in this answer only.
      signedIn(req, res, next, user, () => csrf.withCsrf(req, res, () => res.set('Cache-Control', 'no-store').render('staff/recoveryCodes', {
        title: t('staff.recovery.title'), codes, next: res.locals.staffNext,
      })));
    } catch (e) {
      res.locals.csrfToken = undefined;
      if (e instanceof SignInRefused) { const m = refusedMessage(res, e); csrf.withCsrf(req, res, () => void renderEnrol(req, res, user, 429, m).catch(next)); return; }
      if (!(e instanceof SecondFactorError)) throw e;
      await auth.guard.failed('totp', user.id, ip);
      csrf.withCsrf(req, res, () => void renderEnrol(req, res, user, 401, t(e.code)).catch(next));
    }
  });

  // ---- the user's own security: second factor, recovery codes, API tokens -------------------------
  const renderSecurity = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const user = (req as StaffRequest).staff;
    const db = em();
    const tokens = await listApiTokens(db, user);
    res.set('Cache-Control', 'no-store');
    res.status(status).render('staff/security', {
      title: translator(res.locals.lang)('staff.security.title'),
      totpSince: user.totpEnrolledAt, recoveryLeft: await recoveryCodesLeft(db, user),
      tokens: tokens.map((x) => ({ id: x.id, name: x.name, prefix: x.prefix, createdAt: x.createdAt, lastUsedAt: x.lastUsedAt })),
      revoked: req.query.revoked === '1',
      ...extra,
    });
  };
  r.get('/security', requireStaff, csrf.withCsrf, (req, res) => renderSecurity(req, res));
  r.post('/security/tokens', requireStaff, urlencoded, csrf.protect, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const name = str(req.body?.name);
    try {
      const { token, row } = await createApiToken(em(), user, name);
      await recordAudit(em(), { user, action: 'apiToken.created', ip: req.ip, details: { tokenId: row.id, name: row.name } });
      await renderSecurity(req, res, { createdToken: token, createdName: row.name }, 201);
    } catch (e) {
      if (!(e instanceof ApiTokenError)) throw e;
      await renderSecurity(req, res, { tokenError: translator(res.locals.lang)(e.code), tokenName: name }, 400);
    }
  });
  r.post('/security/tokens/:id/revoke', requireStaff, urlencoded, csrf.protect, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const id = str(req.params.id);
    if (!(await revokeApiToken(em(), user, id))) { notFound(res); return; }
    await recordAudit(em(), { user, action: 'apiToken.revoked', ip: req.ip, details: { tokenId: id } });
    res.redirect(303, '/staff/security?revoked=1');
  });
  r.post('/security/recovery-codes', requireStaff, urlencoded, csrf.protect, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const codes = await newRecoveryCodes(em(), auth.totpKey, user);
    await recordAudit(em(), { user, action: 'staff.recoveryCodesRenewed', ip: req.ip });
    res.set('Cache-Control', 'no-store').render('staff/recoveryCodes', { title: translator(res.locals.lang)('staff.recovery.title'), codes, next: '/staff/security' });
  });

  r.post('/logout', urlencoded, csrf.protect, (req, res) => {
    req.session.destroy(() => res.redirect(303, '/staff/login'));
  });

  r.get('/', requireStaff, (_req, res) => res.redirect(303, '/staff/requests'));

  // ---- the queue -------------------------------------------------------------------------------
  r.get('/requests', requireStaff, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const lang = res.locals.lang;
    const t = translator(lang);
    const db = em();
    const codes = await schoolsInScope(db, user);
    const result = await queuePage(db, user, {
      q: str(req.query.q), status: str(req.query.status), check: str(req.query.check), view: str(req.query.view),
      from: str(req.query.from), to: str(req.query.to), sort: str(req.query.sort), dir: str(req.query.dir),
      page: queryInt(req.query.page, 'page', PAGE_RANGE), pageSize: PAGE_SIZE,
    }, codes);
    const query = result.query;
    if (query.q) await recordAudit(db, { user, action: 'queue.search', ip: req.ip, details: { q: query.q, results: result.total } });
    const link = (over: Record<string, string | number>) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...query, page: 1, ...over })) if (v !== '' && v !== undefined && !(k === 'page' && v === 1)) p.set(k, String(v));
      const s = p.toString();
      return `/staff/requests${s ? `?${s}` : ''}`;
    };
    const seats = codes && codes.length <= 20 ? await seatsLeft(db, codes) : [];
    const decide = canDecide(user);
    const qs = queueQueryString(query);
    const selectable = result.rows.filter((p) => decide && p.status === 'underReview' && p.allChecksPass).length;
    const allSelected = selectable > 0 && req.query.select === 'all';
    const after = str(req.query.after);
    const activeFilters = [
      query.q && `« ${query.q} »`,
      query.status && t(`status.${query.status}`),
      query.check && t(`staff.queue.check.${query.check}`),
      query.from && `${t('staff.queue.from')} ${query.from}`,
      query.to && `${t('staff.queue.to')} ${query.to}`,
    ].filter(Boolean).join(lang === 'ar' ? '، ' : ', ');
    res.render('staff/requests', {
      title: t('staff.requests.title'),
      scope: scopeLabel(user, lang),
      query, total: result.total, page: result.page,
      hasNext: result.page * result.pageSize < result.total, hasPrev: result.page > 1,
      nextLink: link({ page: result.page + 1 }), prevLink: link({ page: result.page - 1 }),
      statuses: QUEUE_STATUSES.map((s) => ({ value: s, label: `status.${s}` })),
      checkOptions: CHECK_FILTERS.map((c) => ({ value: c, label: `staff.queue.check.${c}` })),
      sortOptions: SORT_KEYS.map((c) => ({ value: c, label: `staff.queue.sort.${c}` })),
      dirOptions: [{ value: 'desc', label: 'staff.queue.dir.desc' }, { value: 'asc', label: 'staff.queue.dir.asc' }],
      viewLinks: SAVED_VIEWS.map((v) => ({ value: v, label: `staff.queue.view.${v}`, count: result.counts.view[v], href: link({ view: v, status: '', check: '' }), current: query.view === v })),
      statusLinks: QUEUE_STATUSES.map((s) => ({ value: s, label: `status.${s}`, count: result.counts.status[s], href: link({ status: s, view: '' }), current: query.status === s })),
      checkLinks: CHECK_FILTERS.map((c) => ({ value: c, label: `staff.queue.check.${c}`, count: result.counts.check[c], href: link({ check: c, view: '' }), current: query.check === c })),
      allCount: result.counts.all, allLink: link({ status: '', check: '', view: '' }),
      allCurrent: !query.view && !query.status && !query.check,
      activeFilters,
      queueQs: qs,
      // Without JavaScript the link reloads the page with every ready request ticked; app.js ticks them in place.
      selectableCount: selectable, allSelected, selectedCount: allSelected ? selectable : 0,
      selectAllLink: allSelected ? link({ page: result.page }) : `${link({ page: result.page })}${link({ page: result.page }).includes('?') ? '&' : '?'}select=all#bulk`,
      afterDecision: REFERENCE.test(after) && (req.query.decided === '1' || req.query.correctionRequested === '1')
        ? { reference: after, label: req.query.decided === '1' ? 'speed.decisionRecordedFor' : 'speed.correctionSentFor' } : null,
      seats: seats.map((s) => ({ ...s, school: lang === 'ar' ? s.schoolNameAr : s.schoolNameFr, full: s.left <= 0 })),
      canDecide: decide,
      exportLinks: codes === null || codes.length > 0,
      canReadAudit: canReadAudit(user),
      rows: result.rows.map((p) => ({
        ...p,
        href: withQs(`/staff/requests/${p.reference}`, qs),
        childName: lang === 'ar' ? `${p.childFirstNameAr} ${p.childLastNameAr}` : `${p.childFirstNameLatin} ${p.childLastNameLatin}`,
        school: lang === 'ar' ? p.schoolNameAr : p.schoolNameFr,
        selectable: decide && p.status === 'underReview' && p.allChecksPass,
      })),
    });
  });

  // ---- bulk approval ---------------------------------------------------------------------------
  r.post('/requests/bulk-approve', requireStaff, urlencoded, csrf.protect, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const t = translator(res.locals.lang);
    if (!canDecide(user)) { forbidden(res); return; }
    const db = em();
    const refs = [...new Set(([] as unknown[]).concat(req.body?.references ?? []).map(String).map((s) => s.trim()).filter(Boolean))].slice(0, BULK_MAX);
    const approved: string[] = [];
    const skipped: Array<{ reference: string; reason: string }> = [];
    const seatsLeftBy = new Map<string, number | null>();
    for (const reference of refs) {
      const pr = await findInScope(db, user, reference);
      if (!pr) { skipped.push({ reference, reason: 'notFound' }); continue; }
      if (pr.status !== 'underReview') { skipped.push({ reference, reason: 'notUnderReview' }); continue; }
      if (!allChecksPass(pr)) { skipped.push({ reference, reason: 'checksNotPassing' }); continue; }
      const key = `${pr.school.code}|${pr.schoolYear}|${pr.level}`;
      if (!seatsLeftBy.has(key)) seatsLeftBy.set(key, (await seatsFor(db, pr.school.code, pr.schoolYear, pr.level))?.left ?? null);
      const left = seatsLeftBy.get(key);
      if (left !== null && left !== undefined && left <= 0) { skipped.push({ reference, reason: 'noSeatsLeft' }); continue; }
      // The same decision as one by one (never beyond the seats: no confirmation in bulk).
      const outcome = await decide({ em: db, temporal: deps.temporal }, user, pr, { decision: 'approve' }, { via: 'bulk', ip: req.ip });
      if (outcome.ok) {
        approved.push(pr.reference);
        if (left !== null && left !== undefined) seatsLeftBy.set(key, left - 1);
      } else {
        skipped.push({ reference, reason: outcome.kind === 'refused' ? outcome.code : outcome.kind === 'confirmOverCapacity' ? 'noSeatsLeft' : outcome.kind === 'derogationNoteRequired' ? 'checksNotPassing' : 'notUnderReview' });
      }
    }
    await recordAudit(db, { user, action: 'decision.bulkApprove', ip: req.ip, details: { approved, skipped, schoolCode: user.school?.code ?? null } });
    res.render('staff/bulk', {
      title: t('staff.bulk.title'),
      approved, approvedCount: approved.length, skippedCount: skipped.length,
      skipped: skipped.map((s) => ({ ...s, label: t(`staff.bulk.skip.${s.reason}`) })),
      empty: refs.length === 0,
      backLink: withQs('/staff/requests', queueContext(str(req.body?.queue)).qs),
      attentionLink: '/staff/requests?view=attention',
    });
  });

  // ---- exports ---------------------------------------------------------------------------------
  r.get('/exports/approved.:format', requireStaff, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const format = str(req.params.format);
    if (format !== 'csv' && format !== 'xlsx') { notFound(res); return; }
    const db = em();
    let codes = await schoolsInScope(db, user);
    const wanted = str(req.query.school).trim();
    if (wanted) {
      if (codes && !codes.includes(wanted)) { notFound(res); return; }
      const exists = await db.getConnection().execute<Array<{ code: string }>>('select code from school where code = ?', [wanted]);
      if (!exists.length) { notFound(res); return; }
      codes = [wanted];
    }
    if (!codes) { res.status(400).render('error', { title: translator(res.locals.lang)('staff.export.schoolRequired'), message: translator(res.locals.lang)('staff.export.schoolRequired') }); return; }
    const year = str(req.query.schoolYear).trim();
    const rows = await approvedList(db, codes, /^\d{4}-\d{4}$/.test(year) ? year : undefined);
    await recordAudit(db, { user, action: `export.${format}`, ip: req.ip, details: { schoolCodes: codes, schoolYear: year || 'current', count: rows.length } });
    const name = `tasjil-approved-${codes.length === 1 ? codes[0] : (user.school?.code ?? 'scope')}.${format}`;
    res.set({ 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'private, no-store' });
    if (format === 'csv') res.type('text/csv; charset=utf-8').send(toCsv(rows));
    else res.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await toXlsx(rows));
  });

  // ---- audit log (supervisors) -----------------------------------------------------------------
  r.get('/audit', requireStaff, async (req, res) => {
    const user = (req as StaffRequest).staff;
    if (!canReadAudit(user)) { forbidden(res); return; }
    const t = translator(res.locals.lang);
    const page = queryInt(req.query.page, 'page', PAGE_RANGE);
    const reference = str(req.query.reference).trim();
    const action = str(req.query.action).trim();
    const { rows, total } = await listAudit(em(), user, { page, pageSize: PAGE_SIZE, reference: reference || undefined, action: action || undefined });
    const qs = (p: number) => `?${new URLSearchParams({ reference, action, page: String(p) })}`;
    res.render('supervisor/audit', {
      title: t('staff.audit.title'), scope: scopeLabel(user, res.locals.lang), total, reference, action,
      rows: rows.map((x) => ({ ...x, detailsJson: JSON.stringify(x.details) })),
      hasPrev: page > 1, hasNext: page * PAGE_SIZE < total, prevLink: qs(page - 1), nextLink: qs(page + 1),
    });
  });

  // ---- one request -----------------------------------------------------------------------------
  const loadForReview = async (req: Request, res: Response) => {
    const user = (req as StaffRequest).staff;
    const db = em();
    const pr = await findInScope(db, user, str(req.params.reference).trim().toUpperCase(), ['school', 'commune', 'residenceZone']);
    if (!pr) { notFound(res); return null; }
    return { user, db, pr };
  };

  r.get('/requests/:reference', requireStaff, csrf.withCsrf, async (req, res) => {
    const loaded = await loadForReview(req, res);
    if (!loaded) return;
    const { user, db, pr } = loaded;
    await recordAudit(db, { user, action: 'preRegistration.view', reference: pr.reference, ip: req.ip });
    // Opening the request ends the parent's edits; the workflow answers once an edit in flight is applied.
    const opened = await openForStaff({ em: db, temporal: deps.temporal, log: deps.log }, pr, user);
    const shown = opened ? await findInScope(em(), user, pr.reference, ['school', 'commune', 'residenceZone']) : pr;
    await renderReview(deps, req, res, db, user, shown ?? pr, { queue: queueContext(req.query as Record<string, unknown>).qs });
  });

  r.post('/requests/:reference/decision', requireStaff, urlencoded, csrf.protect, csrf.withCsrf, async (req, res) => {
    const loaded = await loadForReview(req, res);
    if (!loaded) return;
    const { user, db, pr } = loaded;
    const t = translator(res.locals.lang);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const reasons = ([] as unknown[]).concat(body.reasons ?? []).map(String);
    const note = str(body.note);
    const form = { decision: body.decision, reasons, note };
    const queue = queueContext(str(body.queue));
    // "Next request": the queue's order read before the decision (which may take this one out of it).
    const order = str(body.next) === '1' ? await queueOrder(db, user, queue.input) : null;
    const outcome = await decide({ em: db, temporal: deps.temporal }, user, pr,
      { decision: body.decision === 'approve' ? 'approve' : str(body.decision), reasons, note, confirmOverCapacity: str(body.confirmOverCapacity) === '1' },
      { via: 'page', ip: req.ip });
    if (!outcome.ok) {
      switch (outcome.kind) {
        case 'forbidden': forbidden(res); return;
        case 'invalid':
          res.status(400);
          await renderReview(deps, req, res, db, user, pr, { decisionError: t(`decision.${outcome.error}`), form, queue: queue.qs });
          return;
        case 'derogationNoteRequired':
          res.status(400);
          await renderReview(deps, req, res, db, user, pr, { decisionError: t('decision.refused.derogationNoteRequired'), form, queue: queue.qs });
          return;
        case 'confirmOverCapacity':
          await renderReview(deps, req, res, db, user, pr, { confirmOverCapacity: { seats: outcome.seats, taken: outcome.taken }, form, queue: queue.qs });
          return;
        case 'refused': {
          res.status(409);
          const fresh = await em().findOneOrFail(PreRegistration, { id: pr.id }, { populate: ['school', 'commune', 'residenceZone'] });
          await renderReview(deps, req, res, db, user, fresh, { decisionError: t(`decision.refused.${outcome.code}`), refusal: outcome.code, queue: queue.qs });
          return;
        }
      }
    }
    res.redirect(303, afterDecision(pr.reference, order, queue.qs, 'decided=1'));
  });

  r.post('/requests/:reference/correction', requireStaff, urlencoded, csrf.protect, csrf.withCsrf, async (req, res) => {
    const loaded = await loadForReview(req, res);
    if (!loaded) return;
    const { user, db, pr } = loaded;
    const t = translator(res.locals.lang);
    const message = str(req.body?.message).trim();
    const queue = queueContext(str(req.body?.queue));
    const order = str(req.body?.next) === '1' ? await queueOrder(db, user, queue.input) : null;
    const outcome = await askForCorrection({ em: db, temporal: deps.temporal }, user, pr, message, { via: 'page', ip: req.ip }, namedDocuments(req.body?.documents));
    if (!outcome.ok) {
      if (outcome.kind === 'forbidden') { forbidden(res); return; }
      res.status(outcome.kind === 'messageRequired' ? 400 : 409);
      await renderReview(deps, req, res, db, user, pr, {
        correctionError: t(outcome.kind === 'messageRequired' ? 'staff.correction.messageRequired' : `decision.refused.${outcome.code}`), correctionMessage: message, queue: queue.qs,
      });
      return;
    }
    res.redirect(303, afterDecision(pr.reference, order, queue.qs, 'correctionRequested=1'));
  });

  r.get('/requests/:reference/photo', requireStaff, async (req, res) => {
    const loaded = await loadForReview(req, res);
    if (!loaded) return;
    const { user, db, pr } = loaded;
    const photo = pr.photoKey ? await db.findOne(Photo, { key: pr.photoKey }, { populate: ['bytes'] }) : null;
    if (!photo) { res.status(404).end(); return; }
    await recordAudit(db, { user, action: 'preRegistration.photo', reference: pr.reference, ip: req.ip });
    res.set({ 'Content-Type': photo.contentType, 'Cache-Control': 'private, no-store' }).send(photo.bytes);
  });

  // The history told in words (every staff user whose scope holds the request).
  r.get('/requests/:reference/history', requireStaff, async (req, res) => {
    const loaded = await loadForReview(req, res);
    if (!loaded) return;
    const { user, db, pr } = loaded;
    const lang = res.locals.lang;
    const t = translator(lang);
    await recordAudit(db, { user, action: 'preRegistration.history', reference: pr.reference, ip: req.ip });
    let lines: StoryLine[] = [];
    let unavailable = false;
    try {
      lines = await requestStory(db, await deps.temporal.history(pr.reference), t, lang);
    } catch {
      unavailable = true;
    }
    res.render('supervisor/history', {
      title: `${t('story.title')} ${pr.reference}`, reference: pr.reference, unavailable, lines,
      rawLink: canSeeDashboards(user) ? `/staff/requests/${encodeURIComponent(pr.reference)}/history/events` : null,
    });
  });

  // Our own decoded view of the workflow's events (instead of the Temporal Web UI, whose payloads
  // stay encrypted): supervisors and administrators whose scope holds the request; audited.
  r.get('/requests/:reference/history/events', requireStaff, async (req, res) => {
    const loaded = await loadForReview(req, res);
    if (!loaded) return;
    const { user, db, pr } = loaded;
    if (!canSeeDashboards(user)) { forbidden(res); return; }
    const t = translator(res.locals.lang);
    await recordAudit(db, { user, action: 'preRegistration.historyEvents', reference: pr.reference, ip: req.ip });
    let rows: ReturnType<typeof readableHistory> = [];
    let unavailable = false;
    try {
      rows = readableHistory(await deps.temporal.history(pr.reference));
    } catch {
      unavailable = true;
    }
    res.set('Cache-Control', 'private, no-store');
    res.render('supervisor/historyEvents', {
      title: `${t('story.rawTitle')} ${pr.reference}`, reference: pr.reference, workflowId: pr.workflowId, unavailable,
      rows: rows.filter((row) => row.kind !== 'workflowTask'),
    });
  });

  return r;
}

/**
 * Where a decision (or a correction request) leads: without `order` (a form of the first version,
 * the API-like posts of tests) the request itself; with it, the next request under review in that
 * queue order, or the queue when none is left — each saying what was just recorded (`after`).
 */
function afterDecision(reference: string, order: Array<{ reference: string; status: string }> | null, qs: string, done: string): string {
  if (!order) return `/staff/requests/${encodeURIComponent(reference)}?${done}`;
  const next = nextUnderReview(order, reference);
  const tail = `${done}&after=${encodeURIComponent(reference)}`;
  return next ? withQs(`/staff/requests/${encodeURIComponent(next)}`, qs, tail) : withQs('/staff/requests', qs, tail);
}

function scopeLabel(user: StaffUser, lang: string): string {
  const n = (x?: { nameAr: string; nameFr: string } | null) => (x ? (lang === 'ar' ? x.nameAr : x.nameFr) : '');
  return user.role === 'director' ? n(user.school) : user.role === 'provincialSupervisor' ? n(user.directorate) : user.role === 'academySupervisor' ? n(user.academy) : '';
}

interface ReviewExtra {
  decisionError?: string;
  refusal?: string;
  form?: Record<string, unknown>;
  confirmOverCapacity?: { seats: number; taken: number };
  correctionError?: string;
  correctionMessage?: string;
  /** The queue the request was opened from (query string), carried by the forms for "next request". */
  queue?: string;
}

async function renderReview(deps: WebDeps, req: Request, res: Response, db: EntityManager, user: StaffUser, pr: PreRegistration, extra: ReviewExtra = {}): Promise<void> {
  const lang = res.locals.lang;
  const t = translator(lang);
  const events = await db.find(PreRegistrationEvent, { preRegistration: pr }, { orderBy: { at: 'asc', id: 'asc' } });
  const reasons = await db.find(RejectionReason, { active: true }, { orderBy: { sortOrder: 'asc' } });
  const chosen = new Set(((extra.form?.reasons as string[]) ?? pr.rejectionReasons));
  const summary = checksSummaryOf(pr);
  const seats = await seatsFor(db, pr.school.code, pr.schoolYear, pr.level);
  const checks = pr.checks;
  res.render('director/review', {
    title: `${t('director.review.title')} ${pr.reference}`,
    pr, decided: req.query.decided === '1', correctionSent: req.query.correctionRequested === '1',
    // Arrived here as the next request after deciding another one.
    after: REFERENCE.test(str(req.query.after)) && str(req.query.after) !== pr.reference ? str(req.query.after) : null,
    queueQs: extra.queue ?? '',
    backLink: withQs('/staff/requests', extra.queue ?? ''),
    canDecide: canDecide(user) && pr.status === 'underReview',
    canSeeHistory: true,
    checks,
    allChecksPass: allChecksPass(pr),
    derogationRequired: needsDerogation(summary),
    // The explanations are rendered by the view with every code, date and number isolated left-to-right.
    schoolZoneList: checks ? checks.zone.schoolZoneCodes.join(', ') : '',
    seats, seatsFull: Boolean(seats && seats.left <= 0),
    schoolName: lang === 'ar' ? pr.school.nameAr : pr.school.nameFr,
    zoneName: lang === 'ar' ? pr.residenceZone.nameAr : pr.residenceZone.nameFr,
    communeName: lang === 'ar' ? pr.commune.nameAr : pr.commune.nameFr,
    reasons: reasons.map((x) => ({ code: x.code, text: lang === 'ar' ? x.textAr : x.textFr, checked: chosen.has(x.code) })),
    reasonsChosen: Boolean(extra.form) && ((extra.form?.reasons as string[]) ?? []).length > 0,
    decidedReasons: reasons.filter((x) => pr.rejectionReasons.includes(x.code)).map((x) => (lang === 'ar' ? x.textAr : x.textFr)),
    events: events.map((e) => ({ at: e.at, label: e.type === 'status' ? `timeline.status.${e.status}` : e.type === 'notification' ? `timeline.notification.${String((e.details as { channel?: string }).channel)}` : `timeline.${e.type}` })),
    decisionError: extra.decisionError,
    refusal: extra.refusal,
    confirmOverCapacity: extra.confirmOverCapacity,
    confirmReasons: ((extra.form?.reasons as string[]) ?? []),
    confirmDecision: str(extra.form?.decision),
    noteValue: str(extra.form?.note),
    correctionError: extra.correctionError,
    correctionMessage: extra.correctionMessage ?? '',
    notifications: await notificationsFor(db, pr.id),
    documents: await reviewDocumentsModel(db, pr),
    people: [
      { key: 'father', data: pr.father, isGuardian: pr.guardianRole === 'father' },
      { key: 'mother', data: pr.mother, isGuardian: pr.guardianRole === 'mother' },
      ...(pr.tutor ? [{ key: 'tutor', data: pr.tutor, isGuardian: true }] : []),
    ],
  });
  void deps;
}

/** The documents a correction form names: `documents[kind]` = `missing` | `unreadable` (anything else: not named). */
function namedDocuments(v: unknown): Array<{ kind: DocumentKind; problem: DocumentProblem }> {
  const o = v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  return DOCUMENT_KINDS.filter((k) => (DOCUMENT_PROBLEMS as readonly unknown[]).includes(o[k])).map((kind) => ({ kind, problem: o[kind] as DocumentProblem }));
}
