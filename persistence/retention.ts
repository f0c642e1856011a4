/**
 * Retention (law 09-08: personal data kept no longer than its purpose needs). Rejected and
 * withdrawn requests whose last change (`updated_at`) is older than their school year's
 * `anonymize_after_days` lose their personal data; what statistics need stays (reference, codes of
 * school, commune, zone, level and year, status and its dates, checks' verdicts, decision and
 * rejection reasons, birth date); the parent's edit revisions (a copy of the submission) and their
 * photos are deleted, and so are the supporting documents (encrypted CIN, birth certificate,
 * proof of residence) and the director's requests for them. One SQL statement does the whole run inside one transaction, with
 * one `audit_log` row (actor `system`, action `retention.anonymize`, details `{ count }`).
 * Idempotent: rows already anonymised (`anonymized_at` set) are never touched again.
 */
import type { EntityManager } from '@mikro-orm/postgresql';

/** Statuses whose requests are anonymised after the retention period. */
export const RETENTION_STATUSES = ['rejected', 'withdrawn'] as const;
/** What replaces a child's name. */
export const ANONYMIZED_NAME = '—';
/** The audit action of a run. */
export const RETENTION_AUDIT_ACTION = 'retention.anonymize';

/** A guardian's details with every personal field blanked (shape kept for readers of the JSON). */
const BLANK_PERSON_SQL = `jsonb_build_object('firstNameAr', '', 'lastNameAr', '', 'firstNameLatin', '', 'lastNameLatin', '', 'cin', '', 'profession', '', 'address', '', 'phone', '', 'email', '')`;

/**
 * Anonymises every expired rejected or withdrawn request as of `now` and records the run in the
 * audit log; returns how many requests were anonymised by this run (0 when run again).
 */
export async function anonymizeExpired(em: EntityManager, now: Date = new Date()): Promise<{ anonymized: number }> {
  return em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const rows = await conn.execute<Array<{ n: number }>>(
      `with expired as (
         select p.id, p.photo_key from pre_registration p join school_year y on y.code = p.school_year
          where p.status in (?, ?) and p.anonymized_at is null
            and p.updated_at < ?::timestamptz - make_interval(days => y.anonymize_after_days)
          for update of p
       ), revisions as (
         delete from pre_registration_revision r where r.pre_registration_id in (select e.id from expired e) returning r.photo_key
       ), photos as (
         delete from photo where key in (
           select e.photo_key from expired e where e.photo_key is not null
           union select v.photo_key from revisions v where v.photo_key is not null)
       ), documents as (
         delete from supporting_document d where d.pre_registration_id in (select e.id from expired e)
       ), document_corrections as (
         delete from document_correction c where c.pre_registration_id in (select e.id from expired e)
       ), notifications as (
         update notification n set recipient = '' where n.pre_registration_id in (select e.id from expired e)
       ), done as (
         update pre_registration p set
           child_first_name_ar = ?, child_last_name_ar = ?, child_first_name_latin = ?, child_last_name_latin = ?,
           birth_place = '', birth_certificate_number = '', father_lineage = '', mother_lineage = '',
           father = ${BLANK_PERSON_SQL}, mother = ${BLANK_PERSON_SQL},
           tutor = case when p.tutor is null or p.tutor = 'null'::jsonb then p.tutor else ${BLANK_PERSON_SQL} end,
           siblings = '[]'::jsonb, contact_email = '', contact_phone = '', search_text = '', duplicate_keys = '{}', child_key = null, submission_hash = null,
           photo_key = null, decision_note = null, correction_message = null, school_choice_reason = null, anonymized_at = ?
          where p.id in (select e.id from expired e)
          returning p.id
       )
       select count(*)::int as n from done`,
      [...RETENTION_STATUSES, now, ANONYMIZED_NAME, ANONYMIZED_NAME, ANONYMIZED_NAME, ANONYMIZED_NAME, now],
      'all', tx.getTransactionContext(),
    );
    const anonymized = Number(rows[0]?.n ?? 0);
    await conn.execute(
      `insert into audit_log (at, actor_id, actor_role, action, reference, ip, details) values (?, 'system', 'system', ?, null, null, ?::jsonb)`,
      [now, RETENTION_AUDIT_ACTION, JSON.stringify({ count: anonymized })],
      'run', tx.getTransactionContext(),
    );
    return { anonymized };
  });
}

/** How long the parents' space keeps what was never finished (law 09-08: no longer than needed). */
export const PARENT_SPACE_RETENTION = {
  /** A draft untouched this long is deleted with its photo (days). */
  draftDays: 180,
  /** An account never verified is deleted after this long (days). */
  unverifiedAccountDays: 7,
  /** One-time codes are deleted once this old (hours); they are valid 10 minutes. */
  codeHours: 24,
  /** Supporting documents uploaded with a form that was never accepted are deleted once this old (hours). */
  unattachedDocumentHours: 24,
  /** A help request (its message, contact, answers and their notifications) is deleted this long after it was closed, or after its last answer or its creation when never closed (days). */
  helpRequestDays: 365,
} as const;
export const PARENT_SPACE_PURGE_AUDIT_ACTION = 'retention.purgeParentSpace';

/**
 * Deletes the parents' space data that has no further use as of `now`: drafts untouched for 180
 * days (and their photos, unless a request uses them), accounts never verified after 7 days,
 * one-time codes older than 24 hours, supporting documents of forms never accepted after 24 hours,
 * and help requests a year after they were closed (or after their last answer, or their creation,
 * when never closed), with their answers and notifications. One audit row per run with the counts.
 */
export async function purgeParentSpace(em: EntityManager, now: Date = new Date()): Promise<{ drafts: number; accounts: number; codes: number; documents: number; helpRequests: number }> {
  return em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    const p = PARENT_SPACE_RETENTION;
    const [d] = await conn.execute<Array<{ n: number }>>(
      `with gone as (
         delete from pre_registration_draft where updated_at < ?::timestamptz - make_interval(days => ?) returning photo_key
       ), photos as (
         delete from photo where key in (select g.photo_key from gone g where g.photo_key is not null)
           and not exists (select 1 from pre_registration r where r.photo_key = photo.key)
       )
       select count(*)::int as n from gone`, [now, p.draftDays], 'all', ctx);
    const [a] = await conn.execute<Array<{ n: number }>>(
      `with gone as (delete from parent_account where verified_at is null and created_at < ?::timestamptz - make_interval(days => ?) returning id)
       select count(*)::int as n from gone`, [now, p.unverifiedAccountDays], 'all', ctx);
    const [c] = await conn.execute<Array<{ n: number }>>(
      `with gone as (delete from one_time_code where created_at < ?::timestamptz - make_interval(hours => ?) returning id)
       select count(*)::int as n from gone`, [now, p.codeHours], 'all', ctx);
    const [u] = await conn.execute<Array<{ n: number }>>(
      `with gone as (delete from supporting_document where pre_registration_id is null and created_at < ?::timestamptz - make_interval(hours => ?) returning id)
       select count(*)::int as n from gone`, [now, p.unattachedDocumentHours], 'all', ctx);
    // help_answer and the answers' notification rows go with their request (on delete cascade).
    const [h] = await conn.execute<Array<{ n: number }>>(
      `with gone as (
         delete from help_request h
          where coalesce(h.closed_at, (select max(a.created_at) from help_answer a where a.help_request_id = h.id), h.created_at) < ?::timestamptz - make_interval(days => ?)
         returning h.id)
       select count(*)::int as n from gone`, [now, p.helpRequestDays], 'all', ctx);
    const counts = {
      drafts: Number(d?.n ?? 0), accounts: Number(a?.n ?? 0), codes: Number(c?.n ?? 0), documents: Number(u?.n ?? 0), helpRequests: Number(h?.n ?? 0),
    };
    await conn.execute(
      `insert into audit_log (at, actor_id, actor_role, action, reference, ip, details) values (?, 'system', 'system', ?, null, null, ?::jsonb)`,
      [now, PARENT_SPACE_PURGE_AUDIT_ACTION, JSON.stringify(counts)], 'run', ctx,
    );
    return counts;
  });
}
