/**
 * Trouble first, for supervisors: the schools (and directorates) of a user's scope that are late
 * against the school year's deadlines, computed by one aggregate over `pre_registration` joined to
 * every school of the scope (so that a school without any request shows too).
 *
 * For each school, the requests waiting for the director (`underReview`) are aged in Casablanca
 * days since submission; against the school year's `decision_reminder_days` (N) and
 * `escalation_days` (M):
 * - `overdue`: at least one request waiting more than M days (the directorate has been alerted);
 * - `late`: at least one waiting more than N days (the director has been reminded);
 * - `noRequests`: not a single request this school year although the campaign has been open for
 *   more than N days (a school that parents cannot find, or a map error).
 * Schools with none of these are not listed. Directorates carry the worst severity of their
 * schools and the number of schools in each. Sorted worst first.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { todayInCasablanca } from '../../domain/dates';
import type { StaffUser } from '../../entities';
import { dashboardYear, schoolScopeSql, DASHBOARD_STATUSES } from './dashboard';

export const SEVERITIES = ['overdue', 'late', 'noRequests'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface LateSchool {
  code: string;
  nameAr: string;
  nameFr: string;
  directorateCode: string;
  /** Requests of the school year (drafts excluded). */
  total: number;
  /** Waiting for the director's decision. */
  waiting: number;
  /** Waiting more than N days (including the overdue ones). */
  late: number;
  /** Waiting more than M days. */
  overdue: number;
  /** Days the oldest waiting request has waited (null when none waits). */
  oldestDays: number | null;
  severity: Severity;
}

export interface LateDirectorate {
  code: string;
  nameAr: string;
  nameFr: string;
  severity: Severity;
  /** Number of schools per severity. */
  schools: Record<Severity, number>;
  /** Requests waiting more than N / M days. */
  late: number;
  overdue: number;
}

export interface LateReport {
  schoolYear: string;
  today: string;
  /** N and M of the school year (0 when there is no school year). */
  reminderDays: number;
  escalationDays: number;
  schools: LateSchool[];
  directorates: LateDirectorate[];
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** The late schools and directorates of `user`'s scope for a school year (default: the current one). */
export async function lateSchools(em: EntityManager, user: StaffUser, opts: { schoolYear?: string; now?: Date } = {}): Promise<LateReport> {
  const today = todayInCasablanca(opts.now ?? new Date());
  const year = await dashboardYear(em, opts.schoolYear);
  if (!year) return { schoolYear: '', today, reminderDays: 0, escalationDays: 0, schools: [], directorates: [] };
  const conn = em.getConnection();
  const [deadlines] = await conn.execute<Array<{ n: number; m: number }>>(
    'select decision_reminder_days as n, escalation_days as m from school_year where code = ?', [year.code]);
  const n = Number(deadlines.n);
  const m = Number(deadlines.m);
  const scope = schoolScopeSql(user, 's');
  const age = `(?::date - (p.submitted_at at time zone 'Africa/Casablanca')::date)`;
  const statuses = DASHBOARD_STATUSES.map(() => '?').join(', ');
  const rows = await conn.execute<Array<Record<string, unknown>>>(
    `select s.code, s.name_ar, s.name_fr, s.directorate_code, d.name_ar as d_name_ar, d.name_fr as d_name_fr,
            coalesce(a.total, 0)::int as total, coalesce(a.waiting, 0)::int as waiting,
            coalesce(a.late, 0)::int as late, coalesce(a.overdue, 0)::int as overdue, a.oldest
       from school s
       join provincial_directorate d on d.code = s.directorate_code
       left join (select p.school_code, count(*) as total,
                         count(*) filter (where p.status = 'underReview') as waiting,
                         count(*) filter (where p.status = 'underReview' and ${age} > ?) as late,
                         count(*) filter (where p.status = 'underReview' and ${age} > ?) as overdue,
                         max(${age}) filter (where p.status = 'underReview') as oldest
                    from pre_registration p
                   where p.school_year = ? and p.status in (${statuses})
                   group by p.school_code) a on a.school_code = s.code
      where ${scope.sql} and s.kind <> 'groupSchool'`,
    [today, n, today, m, today, year.code, ...DASHBOARD_STATUSES, ...scope.params],
  );
  // A school without requests counts once the campaign has been open for more than N days.
  const campaignDays = Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${year.opensOn}T00:00:00Z`)) / 86400000);
  const schools: LateSchool[] = [];
  const directorates = new Map<string, LateDirectorate>();
  for (const r of rows) {
    const s = {
      code: String(r.code), nameAr: String(r.name_ar), nameFr: String(r.name_fr), directorateCode: String(r.directorate_code),
      total: Number(r.total), waiting: Number(r.waiting), late: Number(r.late), overdue: Number(r.overdue),
      oldestDays: r.oldest === null || r.oldest === undefined ? null : Number(r.oldest),
    };
    const severity: Severity | null = s.overdue > 0 ? 'overdue' : s.late > 0 ? 'late' : s.total === 0 && campaignDays > n ? 'noRequests' : null;
    if (!severity) continue;
    schools.push({ ...s, severity });
    let d = directorates.get(s.directorateCode);
    if (!d) {
      d = { code: s.directorateCode, nameAr: String(r.d_name_ar), nameFr: String(r.d_name_fr), severity, schools: { overdue: 0, late: 0, noRequests: 0 }, late: 0, overdue: 0 };
      directorates.set(s.directorateCode, d);
    }
    d.schools[severity] += 1;
    d.late += s.late;
    d.overdue += s.overdue;
    if (rank(severity) < rank(d.severity)) d.severity = severity;
  }
  schools.sort((a, b) => rank(a.severity) - rank(b.severity) || b.overdue - a.overdue || b.late - a.late
    || (b.oldestDays ?? -1) - (a.oldestDays ?? -1) || a.code.localeCompare(b.code));
  return {
    schoolYear: year.code, today, reminderDays: n, escalationDays: m, schools,
    directorates: [...directorates.values()].sort((a, b) => rank(a.severity) - rank(b.severity) || b.overdue - a.overdue || b.late - a.late || a.code.localeCompare(b.code)),
  };
}
