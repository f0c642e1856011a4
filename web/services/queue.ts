/**
 * The directors' queue: the requests of a staff user's scope, searched, filtered, sorted, paged
 * and counted in PostgreSQL (indexes: migration 20261129131000), plus seats left per school and
 * level. Search uses the domain's folding (`normalizeForSearch`) on the query — the stored
 * `search_text` is already folded — and the same rule as `matchesSearch`: every query token must
 * be a prefix of some stored token (tokens split at spaces, hyphens and apostrophes).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { isIsoDate } from '../../domain/dates';
import { normalizeForSearch } from '../../domain/names';
import type { PreRegistrationStatus } from '../../domain/types';
import { PRE_REGISTRATION_STATUSES } from '../../domain/types';
import type { StaffUser } from '../../entities';

/** Check-result filters of the queue. */
export const CHECK_FILTERS = ['eligible', 'tolerance', 'underAge', 'outOfZone', 'possibleDuplicate', 'hijriInconsistent'] as const;
export type CheckFilter = (typeof CHECK_FILTERS)[number];
/** Saved views: `ready` = under review and every check passes; `attention` = under review and some check does not. */
export const SAVED_VIEWS = ['ready', 'attention'] as const;
export type SavedView = (typeof SAVED_VIEWS)[number];
/** Sort keys of the queue. */
export const SORT_KEYS = ['submittedAt', 'name', 'birthDate', 'reference', 'status'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
/** Statuses a queue may filter on (drafts never show). */
export const QUEUE_STATUSES = PRE_REGISTRATION_STATUSES.filter((s) => s !== 'draft');

/** SQL of "every automatic check passes" on alias `p`. */
export const ALL_CHECKS_PASS_SQL = `(p.age_check = 'eligible' and p.zone_check = 'inZone' and p.duplicate_check = 'none' and p.hijri_check = 'consistent')`;
const CHECK_SQL: Record<CheckFilter, string> = {
  eligible: `p.age_check = 'eligible'`,
  tolerance: `p.age_check = 'tolerance'`,
  underAge: `p.age_check = 'underAge'`,
  outOfZone: `p.zone_check = 'outOfZone'`,
  possibleDuplicate: `p.duplicate_check = 'possibleDuplicate'`,
  hijriInconsistent: `p.hijri_check = 'inconsistent'`,
};
const VIEW_SQL: Record<SavedView, string> = {
  ready: `(p.status = 'underReview' and ${ALL_CHECKS_PASS_SQL})`,
  attention: `(p.status = 'underReview' and p.age_check is not null and not ${ALL_CHECKS_PASS_SQL})`,
};
const SORT_SQL: Record<SortKey, string> = {
  submittedAt: 'p.submitted_at',
  name: 'p.child_last_name_latin %DIR%, p.child_first_name_latin',
  birthDate: 'p.birth_date',
  reference: 'p.reference',
  status: 'p.status',
};

/** `?, ?, ?` placeholders for a list (a never-matching `null` when empty). */
export function inList(values: readonly string[]): { sql: string; params: string[] } {
  return values.length ? { sql: values.map(() => '?').join(', '), params: [...values] } : { sql: 'null', params: [] };
}

/**
 * Codes of the schools in a user's scope: a director's school and its satellite units, a
 * provincial supervisor's directorate, an academy supervisor's academy; `null` = everything (administrator).
 */
export async function schoolsInScope(em: EntityManager, user: StaffUser): Promise<string[] | null> {
  const conn = em.getConnection();
  let rows: Array<{ code: string }>;
  switch (user.role) {
    case 'director': {
      const code = user.school?.code;
      if (!code) return [];
      rows = await conn.execute('select code from school where code = ? or parent_school_code = ? order by code', [code, code]);
      break;
    }
    case 'provincialSupervisor':
      if (!user.directorate?.code) return [];
      rows = await conn.execute('select code from school where directorate_code = ? order by code', [user.directorate.code]);
      break;
    case 'academySupervisor':
      if (!user.academy?.code) return [];
      rows = await conn.execute(
        'select s.code from school s join provincial_directorate d on d.code = s.directorate_code where d.academy_code = ? order by s.code', [user.academy.code],
      );
      break;
    case 'administrator':
      return null;
    default:
      return [];
  }
  return rows.map((r) => r.code);
}

/** Query tokens: the query folded like the stored text, split at spaces, hyphens and apostrophes. */
export function searchTokens(q: string): string[] {
  return normalizeForSearch(q).split(/[\s\-']+/u).filter((t) => t.length > 0).slice(0, 8);
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, '\\$&');
const regexEscape = (s: string) => s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');

/**
 * SQL conditions (alias `p`) matching every token as a prefix of a stored token. The `like`
 * lets the trigram index narrow the rows; the regular expression applies the exact rule.
 */
export function searchConditions(q: string): { sql: string[]; params: string[] } {
  const sql: string[] = [];
  const params: string[] = [];
  for (const tok of searchTokens(q)) {
    sql.push(`p.search_text like ? and p.search_text ~ ?`);
    params.push(`%${likeEscape(tok)}%`, `(^|[ '-])${regexEscape(tok)}`);
  }
  return { sql, params };
}

/** What the queue page asks for (all optional; unknown values are ignored). */
export interface QueueQuery {
  q?: string;
  status?: string;
  check?: string;
  view?: string;
  /** Submission date range, `YYYY-MM-DD`, inclusive, in Morocco's time zone. */
  from?: string;
  to?: string;
  sort?: string;
  dir?: string;
  page?: number;
  pageSize?: number;
}

/** One queue row (original spelling, for display). */
export interface QueueRow {
  reference: string;
  status: PreRegistrationStatus;
  schoolCode: string;
  schoolNameAr: string;
  schoolNameFr: string;
  level: string;
  schoolYear: string;
  childFirstNameAr: string;
  childLastNameAr: string;
  childFirstNameLatin: string;
  childLastNameLatin: string;
  birthDate: string;
  submittedAt: Date;
  ageCheck: string | null;
  zoneCheck: string | null;
  duplicateCheck: string | null;
  hijriCheck: string | null;
  allChecksPass: boolean;
}

/** A queue page: rows, total of the filtered set, counts per filter (within scope, search and dates). */
export interface QueuePage {
  rows: QueueRow[];
  total: number;
  page: number;
  pageSize: number;
  counts: { all: number; status: Record<string, number>; check: Record<CheckFilter, number>; view: Record<SavedView, number> };
  /** The query as understood (invalid values dropped). */
  query: Required<Pick<QueueQuery, 'q' | 'status' | 'check' | 'view' | 'from' | 'to' | 'sort' | 'dir'>>;
}

const pick = <T extends string>(v: string | undefined, list: readonly T[]): T | '' => (v && (list as readonly string[]).includes(v) ? (v as T) : '');

/** The three SQL statements of a queue page (exported for the benchmark's EXPLAIN). */
export interface QueueStatements {
  rows: { sql: string; params: unknown[] };
  /** References and statuses of the whole filtered set in queue order (up to ORDER_LIMIT), for "next request". */
  order: { sql: string; params: unknown[] };
  total: { sql: string; params: unknown[] } | null;
  counts: { sql: string; params: unknown[] };
  query: QueuePage['query'];
  page: number;
  pageSize: number;
}

/** Builds the statements of a queue page for the given scope (`null` = everything). */
export function queueStatements(codes: string[] | null, input: QueueQuery): QueueStatements {
  const pageSize = Math.min(Math.max(input.pageSize ?? 50, 1), 200);
  const page = Math.max(1, Math.floor(input.page ?? 1) || 1);
  const query = {
    q: (input.q ?? '').trim().slice(0, 200),
    status: pick(input.status, QUEUE_STATUSES),
    check: pick(input.check, CHECK_FILTERS),
    view: pick(input.view, SAVED_VIEWS),
    from: input.from && isIsoDate(input.from) ? input.from : '',
    to: input.to && isIsoDate(input.to) ? input.to : '',
    sort: pick(input.sort, SORT_KEYS) || 'submittedAt',
    dir: input.dir === 'asc' ? 'asc' : input.dir === 'desc' ? 'desc' : (pick(input.sort, SORT_KEYS) && input.sort !== 'submittedAt' ? 'asc' : 'desc'),
  };

  // Base: scope + search + dates (the counts are computed on it); then the chosen filters.
  const base: string[] = [`p.status <> 'draft'`];
  const baseParams: unknown[] = [];
  if (codes) {
    const l = inList(codes);
    base.push(`p.school_code in (${l.sql})`);
    baseParams.push(...l.params);
  }
  const s = searchConditions(query.q);
  base.push(...s.sql);
  baseParams.push(...s.params);
  if (query.from) { base.push(`p.submitted_at >= (?::date::timestamp at time zone 'Africa/Casablanca')`); baseParams.push(query.from); }
  if (query.to) { base.push(`p.submitted_at < ((?::date + 1)::timestamp at time zone 'Africa/Casablanca')`); baseParams.push(query.to); }

  const filters: string[] = [];
  const filterParams: unknown[] = [];
  if (query.status) { filters.push('p.status = ?'); filterParams.push(query.status); }
  if (query.check) filters.push(CHECK_SQL[query.check as CheckFilter]);
  if (query.view) filters.push(VIEW_SQL[query.view as SavedView]);

  const where = [...base, ...filters].join(' and ');
  const params = [...baseParams, ...filterParams];
  const dir = query.dir === 'asc' ? 'asc' : 'desc';
  const order = `${SORT_SQL[query.sort as SortKey].replace('%DIR%', dir)} ${dir}, p.id ${dir}`;
  const countCols = [
    'count(*) as "all"',
    ...QUEUE_STATUSES.map((st) => `count(*) filter (where p.status = '${st}') as "status:${st}"`),
    ...CHECK_FILTERS.map((c) => `count(*) filter (where ${CHECK_SQL[c]}) as "check:${c}"`),
    ...SAVED_VIEWS.map((v) => `count(*) filter (where ${VIEW_SQL[v]}) as "view:${v}"`),
  ];
  return {
    rows: {
      sql: `select p.reference, p.status, p.school_code, s.name_ar, s.name_fr, p.level, p.school_year,
            p.child_first_name_ar, p.child_last_name_ar, p.child_first_name_latin, p.child_last_name_latin,
            to_char(p.birth_date, 'YYYY-MM-DD') as birth_date, p.submitted_at,
            p.age_check, p.zone_check, p.duplicate_check, p.hijri_check, coalesce(${ALL_CHECKS_PASS_SQL}, false) as all_pass
       from pre_registration p join school s on s.code = p.school_code
      where ${where} order by ${order} limit ? offset ?`,
      params: [...params, pageSize, (page - 1) * pageSize],
    },
    order: { sql: `select p.reference, p.status from pre_registration p where ${where} order by ${order} limit ${ORDER_LIMIT}`, params },
    total: filters.length ? { sql: `select count(*) as n from pre_registration p where ${where}`, params } : null,
    counts: { sql: `select ${countCols.join(', ')} from pre_registration p where ${base.join(' and ')}`, params: baseParams },
    query, page, pageSize,
  };
}

/**
 * Runs the queue for a user: scope, search, filters, sort (default newest first), pagination and
 * counts. Three SQL statements (rows, total, counts), run concurrently, each limited to the user's scope.
 */
export async function queuePage(em: EntityManager, user: StaffUser, input: QueueQuery, scopeCodes?: string[] | null): Promise<QueuePage> {
  const codes = scopeCodes === undefined ? await schoolsInScope(em, user) : scopeCodes;
  const st = queueStatements(codes, input);
  const conn = em.getConnection();
  const [rows, totalRows, [c]] = await Promise.all([
    conn.execute<Array<Record<string, unknown>>>(st.rows.sql, st.rows.params),
    st.total ? conn.execute<Array<{ n: string }>>(st.total.sql, st.total.params) : null,
    conn.execute<Array<Record<string, string>>>(st.counts.sql, st.counts.params),
  ]);
  const counts: QueuePage['counts'] = {
    all: Number(c.all),
    status: Object.fromEntries(QUEUE_STATUSES.map((x) => [x, Number(c[`status:${x}`])])),
    check: Object.fromEntries(CHECK_FILTERS.map((x) => [x, Number(c[`check:${x}`])])) as Record<CheckFilter, number>,
    view: Object.fromEntries(SAVED_VIEWS.map((x) => [x, Number(c[`view:${x}`])])) as Record<SavedView, number>,
  };
  return {
    rows: rows.map((r) => ({
      reference: String(r.reference), status: r.status as PreRegistrationStatus, schoolCode: String(r.school_code),
      schoolNameAr: String(r.name_ar), schoolNameFr: String(r.name_fr), level: String(r.level), schoolYear: String(r.school_year),
      childFirstNameAr: String(r.child_first_name_ar), childLastNameAr: String(r.child_last_name_ar),
      childFirstNameLatin: String(r.child_first_name_latin), childLastNameLatin: String(r.child_last_name_latin),
      birthDate: String(r.birth_date), submittedAt: new Date(r.submitted_at as string),
      ageCheck: (r.age_check as string | null) ?? null, zoneCheck: (r.zone_check as string | null) ?? null,
      duplicateCheck: (r.duplicate_check as string | null) ?? null, hijriCheck: (r.hijri_check as string | null) ?? null,
      allChecksPass: Boolean(r.all_pass),
    })),
    total: totalRows ? Number(totalRows[0].n) : counts.all,
    page: st.page, pageSize: st.pageSize, counts, query: st.query,
  };
}

/** How far "next request" looks in a queue's order. */
export const ORDER_LIMIT = 2000;

/** The parameters of a queue (as understood by `queueStatements`) as a query string, without the page ('' for the default queue). */
export function queueQueryString(query: QueuePage['query']): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (!v || (k === 'sort' && v === 'submittedAt') || (k === 'dir' && v === (query.sort === 'submittedAt' ? 'desc' : 'asc'))) continue;
    p.set(k, String(v));
  }
  return p.toString();
}

/**
 * The queue's order as it stands (references and statuses of the filtered set, up to ORDER_LIMIT):
 * read before a decision so that "next request" keeps the place of the request just decided even
 * when the decision takes it out of the filter (a saved view of requests under review).
 */
export async function queueOrder(em: EntityManager, user: StaffUser, input: QueueQuery, scopeCodes?: string[] | null): Promise<Array<{ reference: string; status: string }>> {
  const codes = scopeCodes === undefined ? await schoolsInScope(em, user) : scopeCodes;
  const st = queueStatements(codes, input);
  const rows = await em.getConnection().execute<Array<{ reference: string; status: string }>>(st.order.sql, st.order.params);
  return rows.map((r) => ({ reference: String(r.reference), status: String(r.status) }));
}

/**
 * The request to decide after `current` in a queue order: the next one under review after it, else
 * the first one under review before it (the queue wraps round); null when none is left.
 */
export function nextUnderReview(order: Array<{ reference: string; status: string }>, current: string): string | null {
  const at = order.findIndex((r) => r.reference === current);
  const rest = at < 0 ? order : [...order.slice(at + 1), ...order.slice(0, at)];
  return rest.find((r) => r.status === 'underReview' && r.reference !== current)?.reference ?? null;
}

/** Statuses that hold a seat: approved (including a failed Massar export) and registered. */
export const SEAT_STATUSES = ['approved', 'exportFailed', 'registered'] as const;

/** Seats of one school, school year and level. */
export interface SeatsRow { schoolCode: string; schoolNameAr: string; schoolNameFr: string; schoolYear: string; level: string; seats: number; taken: number; left: number }

/** Seats left per school and level (capacity minus approved and registered requests) for the given schools. */
export async function seatsLeft(em: EntityManager, codes: string[], schoolYear?: string): Promise<SeatsRow[]> {
  if (!codes.length) return [];
  const l = inList(codes);
  const st = inList(SEAT_STATUSES);
  const rows = await em.getConnection().execute<Array<Record<string, unknown>>>(
    `select c.school_code, s.name_ar, s.name_fr, c.school_year_code, c.level, c.seats,
            (select count(*) from pre_registration p where p.school_code = c.school_code and p.school_year = c.school_year_code
                and p.level = c.level and p.status in (${st.sql})) as taken
       from school_capacity c join school s on s.code = c.school_code
      where c.school_code in (${l.sql}) and c.school_year_code = coalesce(?, (select code from school_year where is_current limit 1))
      order by c.school_code, c.level desc`,
    [...st.params, ...l.params, schoolYear ?? null],
  );
  return rows.map((r) => ({
    schoolCode: String(r.school_code), schoolNameAr: String(r.name_ar), schoolNameFr: String(r.name_fr), schoolYear: String(r.school_year_code),
    level: String(r.level), seats: Number(r.seats), taken: Number(r.taken), left: Number(r.seats) - Number(r.taken),
  }));
}

/** Seats of the school, year and level of one request, or null when no capacity is recorded. */
export async function seatsFor(em: EntityManager, schoolCode: string, schoolYear: string, level: string): Promise<SeatsRow | null> {
  return (await seatsLeft(em, [schoolCode], schoolYear)).find((r) => r.level === level) ?? null;
}
