/**
 * Supervision pages, mounted at `/staff/supervision`: the campaign dashboard of academy and
 * provincial supervisors and administrators (directors get 403), each of its tables as a CSV file
 * (`/<table>.csv`), and a request's raw Temporal history as a JSON attachment
 * (`/requests/:reference/history.json`, any staff user whose scope holds the request; 404
 * otherwise; audited as `preRegistration.historyDownload` with the client address).
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import { temporal } from '@temporalio/proto';
import type { StaffUser } from '../../entities';
import type { Csrf, WebDeps } from '../app';
import { requireStaff as requireStaffMiddleware, type StaffRequest } from '../auth';
import { translator } from '../i18n';
import { recordAudit } from '../services/audit';
import {
  canSeeDashboards, dailyChartSvg, dashboard, dashboardCsv, DASHBOARD_STATUSES, DASHBOARD_TABLES, type DashboardTable,
} from '../services/dashboard';
import { findInScope } from '../services/staff';
import { lateSchools } from '../services/lateSchools';
import { helpStatsView } from '../services/helpRequests';
import { missingDocumentCounts } from '../services/documents';
import { schoolsInScope } from '../services/queue';

const str = (v: unknown) => (typeof v === 'string' ? v : '');
/** Schools listed on the page (the CSV holds them all). */
const PAGE_SCHOOLS = 100;

/** The dashboard router (`deps`, `csrf` as for the other staff routers). */
export function supervisionRouter(deps: WebDeps, csrf: Csrf): Router {
  const r = Router();
  const requireStaff = requireStaffMiddleware(deps.orm);
  const em = () => deps.orm.em.fork();
  const supervisorsOnly = (req: Request, res: Response, next: NextFunction) => {
    if (canSeeDashboards((req as StaffRequest).staff)) { next(); return; }
    const t = translator(res.locals.lang);
    res.status(403).render('error', { title: t('error.forbidden.title'), message: t('error.forbidden.body') });
  };
  const notFound = (res: Response) => {
    const t = translator(res.locals.lang);
    res.status(404).render('error', { title: t('error.notFound.title'), message: t('error.notFound.body') });
  };
  const yearOf = (req: Request) => {
    const y = str(req.query.schoolYear).trim();
    return /^\d{4}-\d{4}$/.test(y) ? y : undefined;
  };

  r.get('/', requireStaff, supervisorsOnly, csrf.withCsrf, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const lang = res.locals.lang;
    const t = translator(lang);
    const schoolYear = yearOf(req);
    const [d, late] = await Promise.all([dashboard(em(), user, { schoolYear }), lateSchools(em(), user, { schoolYear })]);
    const name = (x: { nameAr: string; nameFr: string }) => (lang === 'ar' ? x.nameAr : x.nameFr);
    const suffix = schoolYear ? `?schoolYear=${encodeURIComponent(schoolYear)}` : '';
    const csv = Object.fromEntries(DASHBOARD_TABLES.map((x) => [x, `/staff/supervision/${x}.csv${suffix}`]));
    const statusCells = (counts: Record<string, number>) => DASHBOARD_STATUSES.map((s) => counts[s]);
    const dailyTotal = d.daily.reduce((s, x) => s + x.count, 0);
    const svg = dailyChartSvg(d.daily, {
      title: t('supervision.daily.title'),
      desc: t('supervision.daily.desc', {
        days: d.daily.length, from: d.daily[0]?.date ?? '', to: d.daily[d.daily.length - 1]?.date ?? '',
        total: dailyTotal, max: Math.max(0, ...d.daily.map((x) => x.count)),
      }),
    });
    res.render('supervision/dashboard', {
      title: t('supervision.title'),
      scope: scopeLabel(user, lang) || t('supervision.scopeAll'),
      schoolYear: d.schoolYear, today: d.today, csv,
      statuses: DASHBOARD_STATUSES.map((s) => `status.${s}`),
      directorates: d.directorates.map((x) => ({ code: x.code, name: name(x), total: x.total, cells: statusCells(x.counts) })),
      totals: { total: d.totals.total, cells: statusCells(d.totals) },
      schools: d.schools.slice(0, PAGE_SCHOOLS).map((x) => ({ code: x.code, name: name(x), total: x.total, cells: statusCells(x.counts) })),
      schoolsTruncated: d.schools.length > PAGE_SCHOOLS ? { shown: PAGE_SCHOOLS, total: d.schools.length } : null,
      decisions: d.decisions.map((x) => ({ ...x, name: name(x) })),
      decisionTotals: d.decisionTotals,
      reasons: d.reasons.map((x) => ({ code: x.code, text: lang === 'ar' ? x.textAr : x.textFr, count: x.count })),
      waiting: d.waiting, waitingTotal: d.waitingTotal,
      oldest: d.oldest.map((x) => ({ ...x, name: name(x) })),
      daily: d.daily, dailyTotal, chartSvg: svg,
      seats: d.seats.map((x) => ({ ...x, name: name(x), full: x.left <= 0 })),
      // Trouble first: the late schools and directorates (partials/supervision/late.hbs).
      late: {
        reminderDays: late.reminderDays, escalationDays: late.escalationDays,
        directorates: late.directorates.map((x) => ({ ...x, name: name(x) })),
        schools: late.schools.slice(0, PAGE_SCHOOLS).map((x) => ({ ...x, name: name(x), oldestLabel: x.oldestDays === null ? '' : t('trouble.oldestDays', { days: x.oldestDays }) })),
        truncated: late.schools.length > PAGE_SCHOOLS ? { shown: PAGE_SCHOOLS, total: late.schools.length } : null,
      },
      helpStats: await helpStatsView(em(), user, lang),
      documents: await missingDocumentCounts(em(), await schoolsInScope(em(), user), d.schoolYear),
    });
  });

  r.get('/:table.csv', requireStaff, supervisorsOnly, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const table = str(req.params.table) as DashboardTable;
    if (!DASHBOARD_TABLES.includes(table)) { notFound(res); return; }
    const schoolYear = yearOf(req);
    const db = em();
    const d = await dashboard(db, user, { schoolYear });
    await recordAudit(db, { user, action: 'supervision.csv', ip: req.ip, details: { table, schoolYear: d.schoolYear } });
    res.set({ 'Content-Disposition': `attachment; filename="tasjil-${table}-${d.schoolYear || 'none'}.csv"`, 'Cache-Control': 'private, no-store' });
    res.type('text/csv; charset=utf-8').send(dashboardCsv(d, table));
  });

  r.get('/requests/:reference/history.json', requireStaff, async (req, res) => {
    const user = (req as StaffRequest).staff;
    const db = em();
    const pr = await findInScope(db, user, str(req.params.reference).trim().toUpperCase());
    if (!pr) { res.status(404).json({ error: 'notFound' }); return; }
    let body: string;
    try {
      body = JSON.stringify(temporal.api.history.v1.History.fromObject(await deps.temporal.history(pr.reference)).toJSON());
    } catch (err) {
      const notThere = (err as Error).name === 'WorkflowNotFoundError';
      res.status(notThere ? 404 : 503).json({ error: notThere ? 'historyNotFound' : 'historyUnavailable' });
      return;
    }
    await recordAudit(db, { user, action: 'preRegistration.historyDownload', reference: pr.reference, ip: req.ip });
    res.set({
      'Content-Disposition': `attachment; filename="${pr.reference}-history.json"`,
      'Cache-Control': 'private, no-store',
    });
    res.type('application/json; charset=utf-8').send(body);
  });

  return r;
}

function scopeLabel(user: StaffUser, lang: string): string {
  const n = (x?: { nameAr: string; nameFr: string } | null) => (x ? (lang === 'ar' ? x.nameAr : x.nameFr) : '');
  return user.role === 'director' ? n(user.school) : user.role === 'provincialSupervisor' ? n(user.directorate) : user.role === 'academySupervisor' ? n(user.academy) : '';
}
