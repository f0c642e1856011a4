/**
 * The audit log (law 09-08): who saw or changed what, when and from where. Append-only: this
 * module only inserts and reads; the database refuses UPDATE, DELETE and TRUNCATE on `audit_log`
 * (trigger, migration 20261129131000). Supervisors read the entries of their scope.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type StaffUser } from '../../entities';
import { schoolsInScope, inList } from './queue';

/** Actions written by the staff pages and the API (the worker also writes `decision.approve` / `decision.reject`). */
export type AuditAction =
  | 'preRegistration.view' | 'preRegistration.photo' | 'preRegistration.history'
  | 'decision.submitted' | 'decision.refused' | 'decision.bulkApprove'
  | 'correction.requested' | 'export.csv' | 'export.xlsx' | 'queue.search';

/** One entry to append. */
export interface AuditEntry {
  user: StaffUser;
  action: AuditAction | string;
  reference?: string | null;
  /** Client address (Express `req.ip`). */
  ip?: string | null;
  details?: Record<string, unknown>;
}

/** Appends one entry (a direct INSERT, independent of the caller's unit of work). */
export async function recordAudit(em: EntityManager, e: AuditEntry): Promise<void> {
  await em.insert(AuditLog, {
    at: new Date(), actorId: e.user.id, actorRole: e.user.role, action: e.action.slice(0, 48),
    reference: e.reference ?? null, ip: e.ip ? e.ip.slice(0, 45) : null, details: e.details ?? {},
  });
}

/**
 * Appends one entry whose actor is not a staff user: a parent (`actorId` `parent:<account id>`,
 * role `parent`) or an anonymous visitor (`public`), e.g. a help request asked from the site.
 */
export async function recordVisitorAudit(em: EntityManager, e: Omit<AuditEntry, 'user'> & { actorId: string; actorRole: 'parent' | 'public' }): Promise<void> {
  await em.insert(AuditLog, {
    at: new Date(), actorId: e.actorId.slice(0, 64), actorRole: e.actorRole, action: e.action.slice(0, 48),
    reference: e.reference ?? null, ip: e.ip ? e.ip.slice(0, 45) : null, details: e.details ?? {},
  });
}

/** An audit entry as listed to supervisors. */
export interface AuditRow {
  id: string;
  at: Date;
  actorId: string;
  actorName: string | null;
  actorRole: string;
  action: string;
  reference: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/**
 * Audit entries within a user's scope, newest first: entries about requests of the scope's
 * schools, and entries whose `details.schoolCodes` / `details.schoolCode` name one of them
 * (exports). Administrators see everything.
 */
export async function listAudit(
  em: EntityManager, user: StaffUser, opts: { page?: number; pageSize?: number; action?: string; reference?: string } = {},
): Promise<{ rows: AuditRow[]; total: number }> {
  const pageSize = Math.min(Math.max(opts.pageSize ?? 50, 1), 200);
  const page = Math.max(opts.page ?? 1, 1);
  const codes = await schoolsInScope(em, user);
  const where: string[] = [];
  const params: unknown[] = [];
  if (codes) {
    const list = inList(codes);
    // Supervisors also see the entries about their directorates (help requests routed to a directorate).
    const directorates = await directoratesInScope(em, user);
    const dirList = directorates.length ? inList(directorates) : null;
    where.push(`(a.reference in (select p.reference from pre_registration p where p.school_code in (${list.sql}))
      or a.details->>'schoolCode' in (${list.sql})
      or exists (select 1 from jsonb_array_elements_text(case when jsonb_typeof(a.details->'schoolCodes') = 'array' then a.details->'schoolCodes' else '[]'::jsonb end) c where c in (${list.sql}))${dirList ? `
      or a.details->>'directorateCode' in (${dirList.sql})` : ''})`);
    params.push(...list.params, ...list.params, ...list.params, ...(dirList?.params ?? []));
  }
  if (opts.action) { where.push('a.action = ?'); params.push(opts.action); }
  if (opts.reference) { where.push('a.reference = ?'); params.push(opts.reference); }
  const clause = where.length ? `where ${where.join(' and ')}` : '';
  const conn = em.getConnection();
  const [{ n }] = await conn.execute<{ n: string }[]>(`select count(*) as n from audit_log a ${clause}`, params);
  const rows = await conn.execute<Array<Record<string, unknown>>>(
    `select a.id, a.at, a.actor_id, a.actor_role, a.action, a.reference, a.ip, a.details, u.display_name
       from audit_log a left join staff_user u on u.id::text = a.actor_id
       ${clause} order by a.at desc, a.id desc limit ? offset ?`,
    [...params, pageSize, (page - 1) * pageSize],
  );
  return {
    total: Number(n),
    rows: rows.map((r) => ({
      id: String(r.id), at: new Date(r.at as string), actorId: String(r.actor_id), actorName: (r.display_name as string | null) ?? null,
      actorRole: String(r.actor_role), action: String(r.action), reference: (r.reference as string | null) ?? null,
      ip: (r.ip as string | null) ?? null, details: (r.details as Record<string, unknown>) ?? {},
    })),
  };
}

/** The provincial directorates of a supervisor's scope (none for directors; administrators are not filtered). */
async function directoratesInScope(em: EntityManager, user: StaffUser): Promise<string[]> {
  if (user.role === 'provincialSupervisor') return user.directorate?.code ? [user.directorate.code] : [];
  if (user.role === 'academySupervisor' && user.academy?.code) {
    const rows = await em.getConnection().execute<Array<{ code: string }>>('select code from provincial_directorate where academy_code = ? order by code', [user.academy.code]);
    return rows.map((r) => r.code);
  }
  return [];
}
