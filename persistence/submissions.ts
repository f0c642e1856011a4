/**
 * The submission's hot path in plain SQL (issue 10): what a new submission is checked against is
 * read in one statement, the child's active request in a second, and the request, its photo, its
 * first timeline event and its consent record (with the audit entry) are written by a third (one statement, so atomic without a
 * transaction). No MikroORM entity is built on this path: at a national campaign's last days
 * this is the statement the web processes run most, and the entity graph (identity map, unit of
 * work, change sets) was a quarter of the web's CPU per submission. The rows written are exactly
 * what the `PreRegistration`, `Photo` and `PreRegistrationEvent` entities would write.
 *
 * These statements are sent as named prepared statements with their values as parameters, on a
 * connection of MikroORM's own pool (knex's `pg` clients): `Connection.execute` would write every
 * value into the SQL text (`Platform.formatQuery`, the photo as a hex literal), so PostgreSQL parsed
 * and planned each submission's statements anew and the web process formatted and escaped them
 * (issue 10: a third of PostgreSQL's CPU per submission). A prepared statement is parsed once per
 * connection; its plan is PostgreSQL's choice (custom for the first executions, then generic when
 * no worse). Values that decide which partial index applies (the closed statuses) stay in the text.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AgeRule, Level, PreRegistrationSubmission } from '../domain/types';

type Conn = ReturnType<EntityManager['getConnection']>;

/** The `pg` client as knex hands it out (only what is used here). */
interface PgClient { query<R>(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }> }

/** A statement written with `?` placeholders, numbered once for `pg` (`$1`, `$2`…); `name` is its prepared statement's name. */
export interface Prepared { name: string; text: string }

/** Numbers the `?` placeholders of `sql` (none of these statements has a `?` operator or a `?` in a literal). */
export function prepared(name: string, sql: string): Prepared {
  let n = 0;
  return { name: `tasjil_${name}`, text: sql.replace(/\?/g, () => `$${++n}`) };
}

/**
 * Runs a prepared statement with `values` on a connection of MikroORM's pool, outside any
 * transaction (each statement is atomic on its own). Errors are the driver's (a unique violation
 * has `code` '23505').
 */
export async function runPrepared<R>(conn: Conn, statement: Prepared, values: unknown[]): Promise<R[]> {
  const knex = conn.getKnex().client as { acquireConnection(): Promise<PgClient>; releaseConnection(c: PgClient): Promise<void> };
  const client = await knex.acquireConnection();
  try {
    return (await client.query<R>({ name: statement.name, text: statement.text, values })).rows;
  } finally {
    await knex.releaseConnection(client);
  }
}

/** A stored request as the submission path needs it. */
export interface StoredRequestHead {
  id: string;
  reference: string;
  status: string;
  submissionHash: string | null;
  startPending: boolean;
}

/** What a submission is checked against, read at once. */
export interface SubmitContext {
  /** The request with this submission token, if any (idempotent retries). */
  existing: StoredRequestHead | null;
  /** The school year asked for, or the current one. */
  schoolYear: string;
  window: { opensOn: string; closesOn: string } | null;
  rule: AgeRule | null;
  zone: { code: string; communeCode: string } | null;
  schoolExists: boolean;
  /** The zone and school codes looked up (a parsed code that differs is looked up again). */
  zoneCodeAsked: string;
  schoolCodeAsked: string;
}

const HEAD = `json_build_object('id', p.id, 'reference', p.reference, 'status', p.status, 'submissionHash', p.submission_hash, 'startPending', p.workflow_start_requested_at is not null)`;

const CONTEXT = prepared('submit_context', `
with y as (select coalesce(?::text, (select code from school_year where is_current order by code limit 1), '') as code)
select y.code as school_year,
  (select ${HEAD} from pre_registration p where p.submission_token = ?) as existing,
  (select json_build_object('opensOn', w.opens_on::text, 'closesOn', w.closes_on::text)
     from campaign_window w where w.school_year_code = y.code and w.level = ?) as "window",
  (select json_build_object('eligibleBornOnOrBefore', r.eligible_born_on_or_before::text, 'eligibleBornOnOrAfter', r.eligible_born_on_or_after::text,
          'toleranceBornFrom', r.tolerance_born_from::text, 'toleranceBornTo', r.tolerance_born_to::text,
          'referenceDate', r.reference_date::text, 'source', r.source)
     from age_rule r where r.school_year_code = y.code and r.level = ?) as rule,
  (select json_build_object('code', z.code, 'communeCode', z.commune_code) from residence_zone z where z.code = ?) as zone,
  exists (select 1 from school s where s.code = ?) as school_exists
from y`);

/**
 * Reads, in one statement, the request already made with `submissionToken`, the school year
 * (`schoolYear` or the current one), its campaign window and age rule for `level`, the residence
 * zone and whether the school exists.
 */
export async function submitContext(
  conn: Conn, q: { submissionToken: string; schoolYear: string | null; level: Level; zoneCode: string; schoolCode: string },
): Promise<SubmitContext> {
  const [row] = await runPrepared<{
    school_year: string; existing: StoredRequestHead | null; window: SubmitContext['window'];
    rule: Omit<AgeRule, 'schoolYear' | 'level'> | null; zone: SubmitContext['zone']; school_exists: boolean;
  }>(conn, CONTEXT, [q.schoolYear, q.submissionToken || null, q.level, q.level, q.zoneCode || null, q.schoolCode || null]);
  return {
    existing: row.existing, schoolYear: row.school_year,
    // As campaignWindow(): a year that is not YYYY-YYYY has no window.
    window: /^\d{4}-\d{4}$/.test(row.school_year) ? row.window : null,
    rule: row.rule ? { schoolYear: row.school_year, level: q.level, ...row.rule } : null,
    zone: row.zone, schoolExists: row.school_exists, zoneCodeAsked: q.zoneCode, schoolCodeAsked: q.schoolCode,
  };
}

/** A residence zone and its commune, or null. */
export async function zoneByCode(conn: Conn, code: string): Promise<{ code: string; communeCode: string } | null> {
  const [row] = await conn.execute<Array<{ code: string; commune_code: string }>>('select code, commune_code from residence_zone where code = ?', [code]);
  return row ? { code: row.code, communeCode: row.commune_code } : null;
}

/** Whether a school of this code exists. */
export async function schoolExists(conn: Conn, code: string): Promise<boolean> {
  return (await conn.execute<Array<{ code: string }>>('select code from school where code = ?', [code])).length > 0;
}

/** The request of this submission token (after a lost race), or null. */
export async function requestByToken(conn: Conn, submissionToken: string): Promise<StoredRequestHead | null> {
  if (!submissionToken) return null;
  const [row] = await conn.execute<Array<{ head: StoredRequestHead }>>(`select ${HEAD} as head from pre_registration p where p.submission_token = ?`, [submissionToken]);
  return row?.head ?? null;
}

/** The statement of {@link activeRequestByChildKey} for one list of closed statuses (code constants), by that list. */
const byChildKey = new Map<string, Prepared>();

/** The active request (not withdrawn or rejected) of a child key, or null. */
export async function activeRequestByChildKey(conn: Conn, childKey: string | null, closed: readonly string[]): Promise<StoredRequestHead | null> {
  if (!childKey) return null;
  const key = closed.join(',');
  let statement = byChildKey.get(key);
  if (!statement) {
    // The statuses written in the text (not a parameter): the planner then proves the predicate of
    // the partial unique index on child_key (status not withdrawn or rejected), whatever the plan.
    if (closed.some((c) => !/^[a-zA-Z]+$/.test(c))) throw new Error(`not a status: ${key}`);
    statement = prepared(`active_by_child_key_${byChildKey.size}`,
      `select ${HEAD} as head from pre_registration p where p.child_key = ? and p.status <> all(array[${closed.map((c) => `'${c}'`).join(', ')}]::text[]) limit 1`);
    byChildKey.set(key, statement);
  }
  const [row] = await runPrepared<{ head: StoredRequestHead }>(conn, statement, [childKey]);
  return row?.head ?? null;
}

/** Whether a stored photo of this key exists. */
export async function photoExists(conn: Conn, key: string): Promise<boolean> {
  const rows = await conn.execute<Array<{ key: string }>>('select key from photo where key = ?', [key]);
  return rows.length > 0;
}

/** A normalised photo to store with the request. */
export interface NewPhoto { key: string; jpeg: Buffer; width: number; height: number }

const PHOTO_INSERT = `insert into photo (key, content_type, bytes, width, height, created_at) values (?, 'image/jpeg', ?, ?, ?, ?)`;

/** Stores a normalised photo alone (kept for the next try of a refused submission). */
export async function insertPhoto(conn: Conn, photo: NewPhoto, now: Date): Promise<void> {
  await conn.execute(PHOTO_INSERT, [photo.key, photo.jpeg, photo.width, photo.height, now], 'run');
}

/** The columns of a new request, as the service computed them. */
export interface NewRequestRow {
  id: string; reference: string; submissionToken: string; submissionHash: string | null; childKey: string | null;
  s: PreRegistrationSubmission; communeCode: string; photoKey: string;
  contactEmail: string; contactPhone: string; contactPhoneIsMobile: boolean;
  parentAccountId: string | null; schoolChoiceReason: string | null; searchText: string; duplicateKeys: string[];
  workflowId: string; now: Date; workflowStartRequested: boolean;
}

const REQUEST_COLUMNS = [
  'id', 'reference', 'submission_token', 'submission_hash', 'child_key', 'status', 'school_year', 'level', 'school_code', 'commune_code', 'residence_zone_code',
  'child_first_name_ar', 'child_last_name_ar', 'child_first_name_latin', 'child_last_name_latin',
  'birth_date', 'birth_date_hijri', 'birth_place', 'birth_certificate_number', 'birth_certificate_date', 'father_lineage', 'mother_lineage',
  'guardian_role', 'father', 'mother', 'tutor', 'siblings', 'contact_email', 'contact_phone', 'contact_phone_is_mobile', 'language', 'photo_key',
  'parent_account_id', 'school_choice_reason', 'search_text', 'duplicate_keys', 'rejection_reasons', 'workflow_id', 'submitted_at', 'updated_at',
  'workflow_start_requested_at',
];
const REQUEST_VALUES = [
  '?::uuid', '?', '?', '?', '?', `'submitted'`, '?', '?', '?', '?', '?',
  '?', '?', '?', '?',
  '?::date', '?', '?', '?', '?::date', '?', '?',
  '?', '?::jsonb', '?::jsonb', '?::jsonb', '?::jsonb', '?', '?', '?', '?', '?',
  '?::uuid', '?', '?', 'array(select jsonb_array_elements_text(?::jsonb))', `'{}'::text[]`, '?', '?', '?',
  '?',
];

/** The acceptance of the privacy notice written with the request (law 09-08): the consent row and its audit entry. */
export interface NewConsent {
  id: string;
  version: string;
  /** The audit entry's action and details (the web layer names them). */
  auditAction: string;
  auditDetails: Record<string, unknown>;
}

function insertRequestSql(withPhoto: boolean): string {
  return `with ${withPhoto ? `photo_row as (${PHOTO_INSERT}), ` : ''}request_row as (
  insert into pre_registration (${REQUEST_COLUMNS.join(', ')}) values (${REQUEST_VALUES.join(', ')}) returning id),
event_row as (
  insert into pre_registration_event (pre_registration_id, event_key, type, status, actor, details, at)
  select id, 'status:submitted', 'status', 'submitted', 'parent', '{}'::jsonb, ?::timestamptz from request_row),
consent_row as (
  insert into consent_record (id, pre_registration_id, parent_account_id, notice_version, accepted_at)
  select ?::uuid, id, ?::uuid, ?::text, ?::timestamptz from request_row returning id)
insert into audit_log (at, actor_id, actor_role, action, reference, ip, details)
  select ?::timestamptz, ?::text, 'parent', ?::text, ?::text, null, ?::jsonb from consent_row`;
}
const INSERT_WITH_PHOTO = prepared('insert_request_with_photo', insertRequestSql(true));
const INSERT_WITHOUT_PHOTO = prepared('insert_request', insertRequestSql(false));

/**
 * Writes a new request (status `submitted`), its timeline event `status:submitted`, the consent
 * it carries (with its audit entry) and, when given, its new photo — one statement, so a crash
 * leaves either all of them or none.
 * @throws the driver's unique violation (code 23505) when the submission token or the child key is taken.
 */
export async function insertRequest(conn: Conn, r: NewRequestRow, photo: NewPhoto | null, consent: NewConsent): Promise<void> {
  const s = r.s;
  const values = [
    r.id, r.reference, r.submissionToken, r.submissionHash, r.childKey, s.schoolYear, s.level, s.schoolCode, r.communeCode, s.residence.residenceZoneCode,
    s.child.firstNameAr, s.child.lastNameAr, s.child.firstNameLatin, s.child.lastNameLatin,
    s.civilStatus.birthDate, s.civilStatus.birthDateHijri, s.civilStatus.birthPlace, s.civilStatus.birthCertificateNumber, s.civilStatus.birthCertificateDate,
    s.civilStatus.fatherLineage, s.civilStatus.motherLineage,
    s.guardianRole, JSON.stringify(s.father), JSON.stringify(s.mother), s.tutor ? JSON.stringify(s.tutor) : null, JSON.stringify(s.siblings),
    r.contactEmail, r.contactPhone, r.contactPhoneIsMobile, s.language, r.photoKey,
    r.parentAccountId, r.schoolChoiceReason, r.searchText, JSON.stringify(r.duplicateKeys), r.workflowId, r.now, r.now,
    r.workflowStartRequested ? r.now : null,
    // the timeline event
    r.now,
    // the consent row and its audit entry
    consent.id, r.parentAccountId, consent.version, r.now,
    r.now, r.parentAccountId ? `parent:${r.parentAccountId}` : 'parent', consent.auditAction, r.reference, JSON.stringify(consent.auditDetails),
  ];
  await runPrepared(conn, photo ? INSERT_WITH_PHOTO : INSERT_WITHOUT_PHOTO, photo ? [photo.key, photo.jpeg, photo.width, photo.height, r.now, ...values] : values);
}

/** Whether an error is PostgreSQL's unique violation (as the driver or MikroORM reports it). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; name?: string; previous?: { code?: string } } | null;
  return Boolean(e && (e.code === '23505' || e.previous?.code === '23505' || e.name === 'UniqueConstraintViolationException'));
}
