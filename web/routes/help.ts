/**
 * Help and support (issue 13 items 1–2, issue 14's rectification):
 * - public, mounted at `/help`: the help centre (`GET /help`, sections from the database and the
 *   campaign's data), the "ask for help" form (`GET|POST /help/ask`, signed in or not; CSRF,
 *   throttled, limits at the door with the message in Arabic and French, nothing typed lost), and
 *   a help request's status by its ticket (`GET /help/requests/:ticket`);
 * - staff, mounted at `/staff/help`: the queue of help requests in the user's scope, a request
 *   with its answers, answering and closing; the help centre's editor (`/staff/help/centre`,
 *   administrators and supervisors).
 * Routes translate HTTP only; the operations are in web/services/helpRequests.ts and helpCentre.ts.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { Pool } from 'pg';
import { GREEN_NUMBER } from '../../domain/help';
import { normalizeReference } from '../../domain/reference';
import type { Language } from '../../domain/types';
import { HELP_LANGUAGES, ParentAccount, type StaffUser } from '../../entities';
import type { Csrf, RouteDeps, WebDeps } from '../app';
import { requireStaff as requireStaffMiddleware, type StaffRequest } from '../auth';
import { formBody } from '../http/bodies';
import { queryInt } from '../http/input';
import { translator } from '../i18n';
import { canEditHelp, editHelpSection, helpCentre, helpSections, HELP_SECTION_LIMITS } from '../services/helpCentre';
import {
  answerHelpRequest, closeHelpRequest, communeChoices, createHelpRequest, helpByTicket, helpFormOf, helpQueue, helpRequestForStaff,
  HelpThrottle, HELP_LIMITS, HELP_QUEUE_FILTERS, HELP_TOPICS, type HelpForm, type HelpQueueFilter,
} from '../services/helpRequests';

const str = (v: unknown) => (typeof v === 'string' ? v : '');
/** Form bodies of the help pages: a message of 1,000 characters percent-encoded is under 10 KB. */
const helpForm = formBody({ limit: 32 * 1024, fields: 20 });

/** Each error message in the page's language and, beside it, in the other one. */
function bilingualErrors(lang: Language, errors: Record<string, string>, params: Record<string, unknown> = {}) {
  const t = translator(lang);
  const other: Language = lang === 'ar' ? 'fr' : 'ar';
  const o = translator(other);
  return Object.entries(errors).map(([field, key]) => ({
    field, href: `#${field}`, message: t(key, params) as string,
    other: { lang: other, dir: other === 'ar' ? 'rtl' : 'ltr', message: o(key, params) as string },
  }));
}

/** The public help pages. Returns the router and a `close` for its throttle's pool. */
export function helpRouter(deps: RouteDeps, csrf: Csrf): { router: Router; close(): Promise<void> } {
  const r = Router();
  const em = () => deps.orm.em.fork();
  // The throttle's own pool: rate-limiter-flexible's prepared statements are named without the table.
  const pool = new Pool({ connectionString: deps.config.DATABASE_URL, max: 2 });
  pool.on('error', (err) => deps.log.warn({ err: { message: err.message } }, 'help throttle pool: idle client error'));
  const throttle = new HelpThrottle(pool, deps.config.SESSION_SECRET, deps.config.HELP_REQUESTS_PER_HOUR);

  r.get('/', async (_req, res) => {
    const lang = res.locals.lang;
    const t = translator(lang);
    const c = await helpCentre(em(), lang);
    res.render('help/centre', {
      title: t('help.title'),
      sections: c.sections.map((s) => ({
        ...s,
        isAge: s.anchor === 'age', isCampaign: s.anchor === 'campaign', isContact: s.anchor === 'contact',
      })),
      schoolYear: c.schoolYear, ageRules: c.ageRules, windows: c.windows, greenNumber: c.greenNumber,
    });
  });

  const renderAsk = async (req: Request, res: Response, form: HelpForm, errors: Record<string, string> = {}, status = 200, extra: Record<string, unknown> = {}) => {
    const lang = res.locals.lang;
    const t = translator(lang);
    const signedIn = Boolean(req.session.parentAccountId);
    const errorList = bilingualErrors(lang, errors, { max: HELP_LIMITS.message, ...(extra.errorParams as Record<string, unknown> | undefined) });
    res.status(status).render('help/ask', {
      title: t('help.ask.title'),
      form, errors: Object.fromEntries(errorList.map((e) => [e.field, e.message])), errorList,
      topics: HELP_TOPICS.filter((x) => x !== 'rectification' || signedIn || form.topic === 'rectification').map((x) => ({ value: x, label: `help.topic.${x}` })),
      communes: await communeChoices(em(), lang),
      limits: HELP_LIMITS, greenNumber: GREEN_NUMBER,
      channels: [{ value: 'email', label: 'help.channel.email' }, { value: 'sms', label: 'help.channel.sms' }],
      ...extra,
    });
  };

  r.get('/ask', csrf.withCsrf, async (req, res) => {
    const form = helpFormOf({});
    const topic = str(req.query.topic);
    if ((HELP_TOPICS as readonly string[]).includes(topic)) form.topic = topic;
    const ref = normalizeReference(str(req.query.reference).slice(0, 40));
    if (/^[A-Z0-9-]{1,20}$/.test(ref)) form.reference = ref;
    form.channel = 'email';
    if (req.session.parentAccountId) {
      const account = await em().findOne(ParentAccount, { id: req.session.parentAccountId });
      if (account?.email) { form.channel = 'email'; form.contact = account.email; } else if (account?.phone) { form.channel = 'sms'; form.contact = account.phone; }
    }
    await renderAsk(req, res, form);
  });

  r.post('/ask', helpForm, csrf.protect, csrf.withCsrf, async (req, res) => {
    const form = helpFormOf(req.body as Record<string, unknown>);
    const lang = res.locals.lang;
    const db = em();
    const asker = { parentAccountId: req.session.parentAccountId, unlocked: req.session.unlocked, ip: req.ip, language: lang };
    // The throttle counts only requests that would be accepted: validate first, in a transaction
    // that is rolled back when the throttle refuses.
    let refusedFor = 0;
    const result = await db.transactional(async (tx) => {
      const created = await createHelpRequest(tx, form, asker, deps.config.SESSION_SECRET, deps.clock());
      if (!created.ok) return created;
      const allowed = await throttle.consume(req.ip ?? '', form.contact);
      if (!allowed.ok) { refusedFor = allowed.retryAfterSeconds; throw new ThrottleRefused(); }
      return created;
    }).catch((err: unknown) => { if (err instanceof ThrottleRefused) return null; throw err; });
    if (result === null) {
      res.set('Retry-After', String(refusedFor));
      await renderAsk(req, res, form, { form: 'help.ask.error.throttled' }, 429, { errorParams: { minutes: Math.ceil(refusedFor / 60) } });
      return;
    }
    if (!result.ok) { await renderAsk(req, res, form, result.errors, 400); return; }
    res.redirect(303, `/help/requests/${result.ticket}?sent=1`);
  });

  r.get('/requests/:ticket', async (req, res) => {
    const lang = res.locals.lang;
    const t = translator(lang);
    const ticket = str(req.params.ticket);
    const view = await helpByTicket(em(), ticket);
    if (!view) { res.status(404).render('error', { title: t('help.status.notFound.title'), message: t('help.status.notFound.body') }); return; }
    res.render('help/status', {
      title: t('help.status.title'), sent: req.query.sent === '1',
      view: { ...view, answers: view.answers.map((a) => ({ createdAt: a.createdAt, paragraphs: paragraphs(a.body) })) },
      url: `${deps.config.publicBaseUrl}/help/requests/${ticket}`,
    });
  });

  return { router: r, close: () => pool.end() };
}

class ThrottleRefused extends Error {}

/** A staff-written text as paragraphs (its line breaks kept without inline styles). */
function paragraphs(body: string): string[] {
  return body.split(/\n+/).map((x) => x.trim()).filter(Boolean);
}

/** The staff pages of help requests and of the help centre's text. */
export function helpStaffRouter(deps: WebDeps, csrf: Csrf): Router {
  const r = Router();
  const em = () => deps.orm.em.fork();
  const requireStaff = requireStaffMiddleware(deps.orm);
  const urlencoded = formBody({ limit: 64 * 1024, fields: 20 });
  const notFound = (res: Response) => {
    const t = translator(res.locals.lang);
    res.status(404).render('error', { title: t('error.notFound.title'), message: t('error.notFound.body') });
  };
  const editorsOnly = (req: Request, res: Response, next: NextFunction) => {
    if (canEditHelp((req as StaffRequest).staff)) { next(); return; }
    const t = translator(res.locals.lang);
    res.status(403).render('error', { title: t('error.forbidden.title'), message: t('error.forbidden.body') });
  };
  const nameOf = (lang: Language, ar: string | null, fr: string | null) => (lang === 'ar' ? ar : fr) ?? '';

  r.get('/', requireStaff, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const lang = res.locals.lang;
    const t = translator(lang);
    const f = str(req.query.status);
    const filter: HelpQueueFilter = (HELP_QUEUE_FILTERS as readonly string[]).includes(f) ? f as HelpQueueFilter : 'open';
    const page = queryInt(req.query.page, 'page', { min: 1, max: 100_000, fallback: 1 });
    const q = await helpQueue(em(), user, { filter, page });
    res.render('staff/helpQueue', {
      title: t('help.queue.title'), filter, canEdit: canEditHelp(user),
      filters: HELP_QUEUE_FILTERS.map((x) => ({ value: x, current: x === filter, count: x === 'all' ? q.counts.open + q.counts.answered + q.counts.closed : q.counts[x] })),
      rows: q.rows.map((x) => ({
        ...x, where: x.schoolCode ? nameOf(lang, x.schoolNameAr, x.schoolNameFr) : (lang === 'ar' ? x.directorateNameAr : x.directorateNameFr),
      })),
      total: q.total, page, next: page * 50 < q.total ? page + 1 : null, prev: page > 1 ? page - 1 : null,
    });
  });

  const renderRequest = async (req: Request, res: Response, id: string, extra: Record<string, unknown> = {}, status = 200) => {
    const user = (req as StaffRequest).staff;
    const t = translator(res.locals.lang);
    const view = await helpRequestForStaff(em(), user, id, req.ip);
    if (!view) { notFound(res); return; }
    res.status(status).render('staff/helpRequest', {
      title: t('help.request.title'), limits: HELP_LIMITS, ...extra,
      view: { ...view, messageParagraphs: paragraphs(view.message), answers: view.answers.map((a) => ({ ...a, paragraphs: paragraphs(a.body) })) },
    });
  };

  r.get('/requests/:id', requireStaff, csrf.withCsrf, async (req, res) => {
    const flash = str(req.query.done);
    await renderRequest(req, res, str(req.params.id), { flash: flash === 'answered' || flash === 'closed' ? `help.request.done.${flash}` : null });
  });

  r.post('/requests/:id/answer', requireStaff, urlencoded, csrf.protect, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const id = str(req.params.id);
    const answer = str((req.body as Record<string, unknown>)?.answer).slice(0, HELP_LIMITS.answer * 2);
    const result = await answerHelpRequest(em(), { temporal: deps.temporal, taskQueue: deps.config.TEMPORAL_TASK_QUEUE }, user, id, answer, req.ip);
    if (result.ok) { res.redirect(303, `/staff/help/requests/${id}?done=answered`); return; }
    if (result.error === 'notFound') { notFound(res); return; }
    const status = result.error === 'unavailable' ? 503 : result.error === 'closed' ? 409 : 400;
    await renderRequest(req, res, id, { answer, errorList: bilingualErrors(res.locals.lang, { answer: `help.answer.error.${result.error}` }, { max: HELP_LIMITS.answer }) }, status);
  });

  r.post('/requests/:id/close', requireStaff, urlencoded, csrf.protect, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const id = str(req.params.id);
    const result = await closeHelpRequest(em(), user, id, req.ip);
    if (result.ok) { res.redirect(303, `/staff/help/requests/${id}?done=closed`); return; }
    if (result.error === 'notFound') { notFound(res); return; }
    await renderRequest(req, res, id, { errorList: bilingualErrors(res.locals.lang, { answer: 'help.answer.error.closed' }) }, 409);
  });

  // ---- the help centre's text ----------------------------------------------------------------
  r.get('/centre', requireStaff, editorsOnly, csrf.withCsrf, async (_req, res) => {
    const t = translator(res.locals.lang);
    const sections = await helpSections(em());
    res.render('staff/helpSections', {
      title: t('help.edit.title'),
      sections: sections.map((s) => ({ lang: s.lang, anchor: s.anchor, title: s.title, updatedAt: s.updatedAt, edited: Boolean(s.updatedBy) })),
    });
  });

  const sectionOf = async (lang: string, anchor: string) =>
    ((HELP_LANGUAGES as readonly string[]).includes(lang) && /^[a-z][a-z0-9-]{0,39}$/.test(anchor)
      ? (await helpSections(em())).find((s) => s.lang === lang && s.anchor === anchor) ?? null
      : null);

  r.get('/centre/:lang/:anchor', requireStaff, editorsOnly, csrf.withCsrf, async (req, res) => {
    const t = translator(res.locals.lang);
    const s = await sectionOf(str(req.params.lang), str(req.params.anchor));
    if (!s) { notFound(res); return; }
    res.render('staff/helpSection', { title: t('help.edit.title'), section: { lang: s.lang, anchor: s.anchor }, form: { title: s.title, body: s.body }, limits: HELP_SECTION_LIMITS, sectionDir: s.lang === 'ar' ? 'rtl' : 'ltr' });
  });

  r.post('/centre/:lang/:anchor', requireStaff, editorsOnly, urlencoded, csrf.protect, csrf.withCsrf, async (req, res) => {
    const user: StaffUser = (req as StaffRequest).staff;
    const t = translator(res.locals.lang);
    const lang = str(req.params.lang);
    const anchor = str(req.params.anchor);
    const body = req.body as Record<string, unknown>;
    const form = { title: str(body?.title).slice(0, HELP_SECTION_LIMITS.title * 2), body: str(body?.body).slice(0, HELP_SECTION_LIMITS.body * 2) };
    const result = await editHelpSection(em(), user, lang, anchor, form, req.ip);
    if (result.ok) { res.redirect(303, `/staff/help/centre?saved=${encodeURIComponent(`${lang}-${anchor}`)}`); return; }
    if (result.notFound) { notFound(res); return; }
    const errorList = bilingualErrors(res.locals.lang, result.errors, { title: HELP_SECTION_LIMITS.title, body: HELP_SECTION_LIMITS.body });
    res.status(400).render('staff/helpSection', {
      title: t('help.edit.title'), section: { lang, anchor }, form, limits: HELP_SECTION_LIMITS, sectionDir: lang === 'ar' ? 'rtl' : 'ltr',
      errorList, errors: Object.fromEntries(errorList.map((e) => [e.field, e.message])),
    });
  });

  return r;
}
