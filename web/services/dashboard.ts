/**
 * Supervision dashboards (academies, provincial directorates, administrators): figures of one
 * school year's campaign computed by PostgreSQL aggregates, filtered by the user's scope in SQL
 * (the same scopes as `scopeFilter` in services/staff.ts), never one query per row. Every query
 * groups on indexed columns of `pre_registration` (school_code, status, school_year, submitted_at;
 * migrations 20261129113920 and 20261129131000) and joins the school map afterwards.
 *
 * Days are Africa/Casablanca calendar days. Each table of the page is also a CSV file
 * (`dashboardCsv`): UTF-8 with a BOM, a header row of stable column keys, CRLF line ends.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { todayInCasablanca } from '../../domain/dates';
import type { StaffUser } from '../../entities';
import { neutralizeFormula } from './exports';
import { SEAT_STATUSES } from './queue';

/** Statuses counted on the dashboards, in display order (drafts are never counted). */
export const DASHBOARD_STATUSES = ['submitted', 'underReview', 'correctionRequested', 'approved', 'exportFailed', 'registered', 'rejected', 'withdrawn'] as const;
export type DashboardStatus = (typeof DASHBOARD_STATUSES)[number];
/** Statuses of a request waiting for the director's decision. */
export const WAITING_STATUSES = ['underReview', 'correctionRequested'] as const;
/** Statuses counted as approvals (approved, including a failed Massar export, and registered). */
export const APPROVED_STATUSES = SEAT_STATUSES;
/** Age buckets (days since submission) of the requests waiting for a decision. */
export const WAITING_BUCKETS = [
  { key: '0-2', min: 0, max: 2 }, { key: '3-7', min: 3, max: 7 }, { key: '8-14', min: 8, max: 14 }, { key: '15+', min: 15, max: null },
] as const;
/** The CSV tables, by file name (`/staff/supervision/<table>.csv`). */
export const DASHBOARD_TABLES = ['directorates', 'schools', 'decisions', 'reasons', 'waiting', 'oldest', 'daily', 'seats'] as const;
export type DashboardTable = (typeof DASHBOARD_TABLES)[number];
/** How many schools the "oldest waiting requests" table lists. */
export const OLDEST_LIMIT = 10;
/** At most this many days in the daily chart (the most recent ones). */
export const MAX_CHART_DAYS = 400;

/** Counts by status of one directorate or one school. */
export interface StatusRow {
  code: string;
  nameAr: string;
  nameFr: string;
  /** For a school: its directorate's code. */
  directorateCode?: string;
  counts: Record<DashboardStatus, number>;
  total: number;
}
/** Approvals and rejections of one directorate. */
export interface DecisionRow { code: string; nameAr: string; nameFr: string; approved: number; rejected: number; /** approved / (approved + rejected), whole percent, or null when none decided. */ approvalRate: number | null }
/** How many rejected requests cite one reason (a request may cite several). */
export interface ReasonRow { code: string; textAr: string; textFr: string; count: number }
/** Waiting requests in one age bucket. */
export interface WaitingRow { bucket: string; count: number }
/** A school with waiting requests, by age of its oldest one. */
export interface OldestRow { code: string; nameAr: string; nameFr: string; waiting: number; oldestSubmittedOn: string; oldestAgeDays: number }
/** Submissions of one Casablanca day. */
export interface DailyRow { date: string; count: number }
/** Seats of one school and level against the requests holding one. */
export interface SeatsUsedRow { code: string; nameAr: string; nameFr: string; level: string; seats: number; used: number; left: number }

/** Everything one dashboard page shows. */
export interface Dashboard {
  schoolYear: string;
  today: string;
  directorates: StatusRow[];
  schools: StatusRow[];
  totals: Record<DashboardStatus, number> & { total: number };
  decisions: DecisionRow[];
  decisionTotals: { approved: number; rejected: number; approvalRate: number | null };
  reasons: ReasonRow[];
  rejectedRequests: number;
  waiting: WaitingRow[];
  waitingTotal: number;
  oldest: OldestRow[];
  daily: DailyRow[];
  seats: SeatsUsedRow[];
}

/** Whether a role may open the dashboards (supervisors and administrators; directors may not). */
export function canSeeDashboards(user: Pick<StaffUser, 'role'>): boolean {
  return user.role === 'provincialSupervisor' || user.role === 'academySupervisor' || user.role === 'administrator';
}

/**
 * The SQL condition restricting schools (alias `alias`) to a user's scope, with its parameters:
 * the SQL twin of `scopeFilter` (a director: their school and its satellite units).
 */
export function schoolScopeSql(user: StaffUser, alias = 's'): { sql: string; params: string[] } {
  switch (user.role) {
    case 'director': {
      const code = user.school?.code ?? '__none__';
      return { sql: `(${alias}.code = ? or ${alias}.parent_school_code = ?)`, params: [code, code] };
    }
    case 'provincialSupervisor':
      return { sql: `${alias}.directorate_code = ?`, params: [user.directorate?.code ?? '__none__'] };
    case 'academySupervisor':
      return { sql: `${alias}.directorate_code in (select d0.code from provincial_directorate d0 where d0.academy_code = ?)`, params: [user.academy?.code ?? '__none__'] };
    case 'administrator':
      return { sql: 'true', params: [] };
    default:
      return { sql: 'false', params: [] };
  }
}

const placeholders = (values: readonly string[]) => values.map(() => '?').join(', ');
const emptyCounts = (): Record<DashboardStatus, number> => Object.fromEntries(DASHBOARD_STATUSES.map((s) => [s, 0])) as Record<DashboardStatus, number>;
const rate = (approved: number, rejected: number) => (approved + rejected ? Math.round((100 * approved) / (approved + rejected)) : null);
const isoDay = (v: unknown): string => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));
const addDays = (iso: string, n: number): string => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);

/** The school year shown: `wanted` when it exists, else the current one (null when none). */
export async function dashboardYear(em: EntityManager, wanted?: string): Promise<{ code: string; opensOn: string; closesOn: string } | null> {
  const rows = await em.getConnection().execute<Array<{ code: string; campaign_opens_on: unknown; campaign_closes_on: unknown }>>(
    `select code, campaign_opens_on::text as campaign_opens_on, campaign_closes_on::text as campaign_closes_on from school_year
      where ${wanted ? 'code = ?' : 'is_current'} order by code desc limit 1`,
    wanted ? [wanted] : [],
  );
  return rows[0] ? { code: rows[0].code, opensOn: isoDay(rows[0].campaign_opens_on), closesOn: isoDay(rows[0].campaign_closes_on) } : null;
}

/**
 * Computes the dashboard of a user's scope for a school year (default: the current one) as of
 * `now` (default: the present). Seven aggregate queries whatever the number of requests.
 */
export async function dashboard(em: EntityManager, user: StaffUser, opts: { schoolYear?: string; now?: Date } = {}): Promise<Dashboard> {
  const conn = em.getConnection();
  const today = todayInCasablanca(opts.now ?? new Date());
  const year = await dashboardYear(em, opts.schoolYear);
  const yearCode = year?.code ?? '__none__';
  const scope = schoolScopeSql(user, 's');
  // Administrators: no restriction at all (lets PostgreSQL aggregate on the indexes alone).
  const inScope = scope.sql === 'true' ? 'true' : `p.school_code in (select s.code from school s where ${scope.sql})`;
  const statuses = placeholders(DASHBOARD_STATUSES);
  const waitingIn = placeholders(WAITING_STATUSES);
  const localDay = `(p.submitted_at at time zone 'Africa/Casablanca')::date`;

  // 1. Counts by school and status (aggregated on pre_registration first, then joined to the map).
  const statusRows = await conn.execute<Array<Record<string, unknown>>>(
    `select c.school_code, c.status, c.n, s.name_ar, s.name_fr, s.directorate_code, d.name_ar as d_name_ar, d.name_fr as d_name_fr
       from (select p.school_code, p.status, count(*)::int as n from pre_registration p
              where p.school_year = ? and p.status in (${statuses}) and ${inScope}
              group by p.school_code, p.status) c
       join school s on s.code = c.school_code
       join provincial_directorate d on d.code = s.directorate_code`,
    [yearCode, ...DASHBOARD_STATUSES, ...scope.params],
  );
  const schools = new Map<string, StatusRow>();
  const directorates = new Map<string, StatusRow>();
  const totals = { ...emptyCounts(), total: 0 };
  for (const r of statusRows) {
    const status = String(r.status) as DashboardStatus;
    const n = Number(r.n);
    const sc = String(r.school_code);
    const dc = String(r.directorate_code);
    if (!schools.has(sc)) schools.set(sc, { code: sc, nameAr: String(r.name_ar), nameFr: String(r.name_fr), directorateCode: dc, counts: emptyCounts(), total: 0 });
    if (!directorates.has(dc)) directorates.set(dc, { code: dc, nameAr: String(r.d_name_ar), nameFr: String(r.d_name_fr), counts: emptyCounts(), total: 0 });
    for (const row of [schools.get(sc)!, directorates.get(dc)!]) { row.counts[status] += n; row.total += n; }
    totals[status] += n;
    totals.total += n;
  }
  const byTotal = (a: StatusRow, b: StatusRow) => b.total - a.total || a.code.localeCompare(b.code);
  const directorateRows = [...directorates.values()].sort((a, b) => a.code.localeCompare(b.code));
  const approvedOf = (c: Record<DashboardStatus, number>) => APPROVED_STATUSES.reduce((sum, s) => sum + c[s], 0);
  const decisions = directorateRows.map((d) => ({ code: d.code, nameAr: d.nameAr, nameFr: d.nameFr, approved: approvedOf(d.counts), rejected: d.counts.rejected, approvalRate: rate(approvedOf(d.counts), d.counts.rejected) }));

  // 2. Rejection reasons (a request may cite several).
  const reasonRows = await conn.execute<Array<Record<string, unknown>>>(
    `select x.code, x.n, coalesce(rr.text_ar, x.code) as text_ar, coalesce(rr.text_fr, x.code) as text_fr, coalesce(rr.sort_order, 9999) as sort_order
       from (select r.code, count(*)::int as n from pre_registration p cross join lateral unnest(p.rejection_reasons) as r(code)
              where p.school_year = ? and p.status = 'rejected' and ${inScope} group by r.code) x
       left join rejection_reason rr on rr.code = x.code
      order by sort_order, x.code`,
    [yearCode, ...scope.params],
  );

  // 3. Waiting requests by age bucket (Casablanca days since submission).
  const waitingRows = await conn.execute<Array<{ age: number; n: number }>>(
    `select (?::date - ${localDay})::int as age, count(*)::int as n from pre_registration p
      where p.school_year = ? and p.status in (${waitingIn}) and ${inScope} group by 1`,
    [today, yearCode, ...WAITING_STATUSES, ...scope.params],
  );
  const waiting = WAITING_BUCKETS.map((b) => ({
    bucket: b.key,
    count: waitingRows.filter((r) => Number(r.age) >= b.min && (b.max === null || Number(r.age) <= b.max)).reduce((s, r) => s + Number(r.n), 0)
      + (b.min === 0 ? waitingRows.filter((r) => Number(r.age) < 0).reduce((s, r) => s + Number(r.n), 0) : 0),
  }));

  // 4. Schools whose oldest waiting request is the oldest.
  const oldestRows = await conn.execute<Array<Record<string, unknown>>>(
    `select w.school_code, w.n, w.oldest::text as oldest, (?::date - w.oldest)::int as age, s.name_ar, s.name_fr
       from (select p.school_code, count(*)::int as n, min(${localDay}) as oldest from pre_registration p
              where p.school_year = ? and p.status in (${waitingIn}) and ${inScope} group by p.school_code) w
       join school s on s.code = w.school_code
      order by w.oldest asc, w.n desc, w.school_code limit ${OLDEST_LIMIT}`,
    [today, yearCode, ...WAITING_STATUSES, ...scope.params],
  );

  // 5. Submissions per day over the campaign (days without any included, as zero).
  const dayRows = await conn.execute<Array<{ day: string; n: number }>>(
    `select ${localDay}::text as day, count(*)::int as n from pre_registration p
      where p.school_year = ? and p.status in (${statuses}) and ${inScope} group by 1 order by 1`,
    [yearCode, ...DASHBOARD_STATUSES, ...scope.params],
  );
  const perDay = new Map(dayRows.map((r) => [isoDay(r.day), Number(r.n)]));
  const daily: DailyRow[] = [];
  if (year) {
    const dataDays = [...perDay.keys()].sort();
    const start = [year.opensOn, dataDays[0]].filter(Boolean).sort()[0];
    const endCandidate = year.closesOn < today ? year.closesOn : today;
    const end = [endCandidate, dataDays[dataDays.length - 1]].filter(Boolean).sort().reverse()[0];
    for (let d = start; d <= end; d = addDays(d, 1)) daily.push({ date: d, count: perDay.get(d) ?? 0 });
    if (daily.length > MAX_CHART_DAYS) daily.splice(0, daily.length - MAX_CHART_DAYS);
  }

  // 6. Seats used per school and level (capacity of the school year).
  const seatRows = await conn.execute<Array<Record<string, unknown>>>(
    `select s.code, s.name_ar, s.name_fr, c.level, c.seats, coalesce(u.n, 0)::int as used
       from school s
       join school_capacity c on c.school_code = s.code and c.school_year_code = ? and c.level in ('primary1', 'preschool')
       left join (select p.school_code, p.level, count(*)::int as n from pre_registration p
                   where p.school_year = ? and p.status in (${placeholders(APPROVED_STATUSES)}) and ${inScope}
                   group by p.school_code, p.level) u on u.school_code = s.code and u.level = c.level
      where ${scope.sql}
      order by s.code, c.level desc`,
    [yearCode, yearCode, ...APPROVED_STATUSES, ...scope.params, ...scope.params],
  );

  const approvedTotal = approvedOf(totals);
  return {
    schoolYear: year?.code ?? '',
    today,
    directorates: directorateRows,
    schools: [...schools.values()].sort(byTotal),
    totals,
    decisions,
    decisionTotals: { approved: approvedTotal, rejected: totals.rejected, approvalRate: rate(approvedTotal, totals.rejected) },
    reasons: reasonRows.map((r) => ({ code: String(r.code), textAr: String(r.text_ar), textFr: String(r.text_fr), count: Number(r.n) })),
    rejectedRequests: totals.rejected,
    waiting,
    waitingTotal: waiting.reduce((s, w) => s + w.count, 0),
    oldest: oldestRows.map((r) => ({ code: String(r.school_code), nameAr: String(r.name_ar), nameFr: String(r.name_fr), waiting: Number(r.n), oldestSubmittedOn: isoDay(r.oldest), oldestAgeDays: Number(r.age) })),
    daily,
    seats: seatRows.map((r) => ({ code: String(r.code), nameAr: String(r.name_ar), nameFr: String(r.name_fr), level: String(r.level), seats: Number(r.seats), used: Number(r.used), left: Number(r.seats) - Number(r.used) })),
  };
}

/** Header row and rows of one dashboard table, as CSV cells (header keys are stable, not translated). */
export function dashboardTable(d: Dashboard, table: DashboardTable): { header: string[]; rows: string[][] } {
  const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const statusCols = (r: StatusRow) => DASHBOARD_STATUSES.map((st) => s(r.counts[st]));
  switch (table) {
    case 'directorates':
      return { header: ['directorate_code', 'name_ar', 'name_fr', 'total', ...DASHBOARD_STATUSES], rows: d.directorates.map((r) => [r.code, r.nameAr, r.nameFr, s(r.total), ...statusCols(r)]) };
    case 'schools':
      return { header: ['school_code', 'name_ar', 'name_fr', 'directorate_code', 'total', ...DASHBOARD_STATUSES], rows: d.schools.map((r) => [r.code, r.nameAr, r.nameFr, s(r.directorateCode), s(r.total), ...statusCols(r)]) };
    case 'decisions':
      return { header: ['directorate_code', 'name_ar', 'name_fr', 'approved', 'rejected', 'approval_rate_percent'], rows: d.decisions.map((r) => [r.code, r.nameAr, r.nameFr, s(r.approved), s(r.rejected), s(r.approvalRate)]) };
    case 'reasons':
      return { header: ['reason_code', 'text_ar', 'text_fr', 'count'], rows: d.reasons.map((r) => [r.code, r.textAr, r.textFr, s(r.count)]) };
    case 'waiting':
      return { header: ['age_days', 'count'], rows: d.waiting.map((r) => [r.bucket, s(r.count)]) };
    case 'oldest':
      return { header: ['school_code', 'name_ar', 'name_fr', 'waiting', 'oldest_submitted_on', 'oldest_age_days'], rows: d.oldest.map((r) => [r.code, r.nameAr, r.nameFr, s(r.waiting), r.oldestSubmittedOn, s(r.oldestAgeDays)]) };
    case 'daily':
      return { header: ['date', 'submissions'], rows: d.daily.map((r) => [r.date, s(r.count)]) };
    case 'seats':
      return { header: ['school_code', 'name_ar', 'name_fr', 'level', 'seats', 'used', 'left'], rows: d.seats.map((r) => [r.code, r.nameAr, r.nameFr, r.level, s(r.seats), s(r.used), s(r.left)]) };
  }
}

/** One CSV field (RFC 4180 quoting; spreadsheet formulas neutralised as in the approved-list export). */
function csvField(v: string): string {
  const x = neutralizeFormula(v);
  return /[",\r\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x;
}

/** A dashboard table as a CSV file: UTF-8 BOM, header row, CRLF line ends. */
export function dashboardCsv(d: Dashboard, table: DashboardTable): Buffer {
  const { header, rows } = dashboardTable(d, table);
  const lines = [header.join(','), ...rows.map((r) => r.map(csvField).join(','))];
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

const escXml = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The daily submissions as an inline SVG bar chart (no script): `role="img"`, a `<title>` and a
 * `<desc>` referenced by `aria-labelledby`; the page adds the same figures as a data table.
 */
export function dailyChartSvg(days: DailyRow[], labels: { title: string; desc: string }, idPrefix = 'daily-chart'): string {
  const width = 720;
  const height = 220;
  const top = 16;
  const bottom = 28;
  const left = 36;
  const plotW = width - left - 8;
  const plotH = height - top - bottom;
  const max = Math.max(1, ...days.map((d) => d.count));
  const step = days.length ? plotW / days.length : plotW;
  const barW = Math.max(1, step * 0.8);
  const bars = days.map((d, i) => {
    const h = (d.count / max) * plotH;
    const x = left + i * step + (step - barW) / 2;
    return `<rect class="bar" x="${x.toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="#00704a"><title>${escXml(`${d.date}: ${d.count}`)}</title></rect>`;
  }).join('');
  const axis = `<line x1="${left}" y1="${top + plotH}" x2="${width - 8}" y2="${top + plotH}" stroke="#505a5f"/>`
    + `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#505a5f"/>`
    + `<text x="${left - 4}" y="${top + 4}" text-anchor="end" font-size="11" fill="#0b0c0c">${max}</text>`
    + `<text x="${left - 4}" y="${top + plotH}" text-anchor="end" font-size="11" fill="#0b0c0c">0</text>`;
  const ticks = days.length
    ? `<text x="${left}" y="${height - 8}" font-size="11" fill="#0b0c0c">${escXml(days[0].date)}</text>`
      + `<text x="${width - 8}" y="${height - 8}" text-anchor="end" font-size="11" fill="#0b0c0c">${escXml(days[days.length - 1].date)}</text>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${idPrefix}-title ${idPrefix}-desc" direction="ltr">`
    + `<title id="${idPrefix}-title">${escXml(labels.title)}</title><desc id="${idPrefix}-desc">${escXml(labels.desc)}</desc>${axis}${bars}${ticks}</svg>`;
}
