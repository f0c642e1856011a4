/**
 * Help requests (issue 13 item 2; issue 14's rectification after the decision): one service for
 * every door.
 *
 * - `createHelpRequest`: a question asked from any page, signed in or not (topic, message, the
 *   request's reference if any, the channel of the answer and the contact). Routed to the school of
 *   the request when the reference names one, else to the provincial directorate of the chosen
 *   commune. The asker gets a ticket (persistence/helpTicket.ts: 192-bit HMAC, only its SHA-256
 *   stored) to follow it at /help/requests/<ticket>, a page showing the topic, status, dates and
 *   the answers, never the message, the contact or the reference. Topic `rectification` is for a
 *   signed-in parent on their own decided request. Audited as `help.request`.
 * - staff in scope (director: their school and its satellite units; provincial supervisor: the
 *   directorate; academy supervisor: the academy; administrator: all) list, read (audited
 *   `help.view`), answer (`help.answer`, the answer sent by the workflow `helpAnswer` through the
 *   exactly-once notifications) and close (`help.close`) them;
 * - `helpStats`: counts and time to first answer per school and directorate (supervisors' dashboard).
 * - `HelpThrottle`: requests per client address and per contact per hour (RateLimiterPostgres on
 *   `help_throttle`, keys HMACs).
 * Nothing here logs; audit entries carry codes and lengths, the answer's text (staff-written) only
 * for rectifications.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { isEmail, normalizePhone } from '../../domain/contact';
import { DECIDED_STATUSES, HELP_LIMITS, HELP_TOPICS, type HelpTopic } from '../../domain/help';
import { isReference, normalizeReference } from '../../domain/reference';
import type { Language } from '../../domain/types';
import { Commune, HelpAnswer, HelpRequest, PreRegistration, type HelpStatus, type StaffUser } from '../../entities';
import { helpTicket, helpTicketHash, isHelpTicket } from '../../persistence/helpTicket';
import type { TasjilTemporal } from '../../temporal/client';
import { recordAudit, recordVisitorAudit } from './audit';
import { inList, schoolsInScope } from './queue';

export { HELP_LIMITS, HELP_TOPICS };

/** What the form sends, as typed (kept to refill the form). */
export interface HelpForm { topic: string; message: string; reference: string; communeCode: string; channel: string; contact: string }

const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');

/** The form's fields from a body (each cut at twice its limit, so a refilled form stays bounded). */
export function helpFormOf(body: Record<string, unknown> | undefined): HelpForm {
  const b = body ?? {};
  return {
    topic: str(b.topic, 24), message: str(b.message, HELP_LIMITS.message * 2), reference: str(b.reference, 40),
    communeCode: str(b.communeCode, 16), channel: str(b.channel, 5), contact: str(b.contact, HELP_LIMITS.contact + 10),
  };
}

/** Who asks: a signed-in parent (their account id), the references unlocked in the session, the address. */
export interface Asker { parentAccountId?: string; unlocked?: string[]; ip?: string; language: Language }

export type CreateResult =
  | { ok: true; id: string; ticket: string }
  | { ok: false; errors: Record<string, string> };

/** Checks the form; the errors are catalogue keys by field. */
function validate(form: HelpForm): { errors: Record<string, string>; message: string; reference: string; contact: string; channel: 'email' | 'sms' } {
  const errors: Record<string, string> = {};
  if (!(HELP_TOPICS as readonly string[]).includes(form.topic)) errors.topic = 'help.ask.error.topic';
  const message = form.message.replace(/\r\n?/g, '\n').trim();
  if (!message) errors.message = 'help.ask.error.messageRequired';
  else if ([...message].length > HELP_LIMITS.message) errors.message = 'help.ask.error.messageTooLong';
  const reference = normalizeReference(form.reference);
  if (reference && (reference.length > HELP_LIMITS.reference || !isReference(reference))) errors.reference = 'help.ask.error.reference';
  const channel = form.channel === 'sms' ? 'sms' : 'email';
  if (form.channel !== 'email' && form.channel !== 'sms') errors.channel = 'help.ask.error.channel';
  let contact = form.contact.trim();
  if (!contact) errors.contact = 'help.ask.error.contactRequired';
  else if (channel === 'email') {
    contact = contact.toLowerCase();
    if (contact.length > HELP_LIMITS.contact || !isEmail(contact)) errors.contact = 'help.ask.error.email';
  } else {
    const phone = normalizePhone(contact);
    if (!phone.ok) errors.contact = 'help.ask.error.phone';
    else if (!phone.mobile) errors.contact = 'help.ask.error.notMobile';
    else contact = phone.e164;
  }
  return { errors, message, reference, contact, channel };
}

/**
 * Records a help request and routes it. The throttle is the caller's (the door checks it after
 * the form is valid, see `HelpThrottle`).
 */
export async function createHelpRequest(em: EntityManager, form: HelpForm, asker: Asker, secret: string, now = new Date()): Promise<CreateResult> {
  const v = validate(form);
  const errors = { ...v.errors };
  const pr = v.reference && !errors.reference
    ? await em.findOne(PreRegistration, { reference: v.reference }, { populate: ['school'] })
    : null;
  const owner = Boolean(pr && asker.parentAccountId && pr.parentAccountId === asker.parentAccountId);
  if (form.topic === 'rectification' && !(owner && pr && (DECIDED_STATUSES as readonly string[]).includes(pr.status))) {
    errors.topic = 'help.ask.error.rectification';
  }
  let schoolCode: string | null = null;
  let directorateCode: string | null = null;
  let communeCode: string | null = null;
  if (pr) {
    schoolCode = pr.school.code;
    const [row] = await em.getConnection().execute<{ directorate_code: string }[]>('select directorate_code from school where code = ?', [schoolCode]);
    directorateCode = row?.directorate_code ?? null;
  } else if (form.communeCode) {
    const commune = /^[0-9A-Za-z.]{1,16}$/.test(form.communeCode) ? await em.findOne(Commune, { code: form.communeCode }, { populate: ['directorate'] }) : null;
    if (commune?.directorate) { communeCode = commune.code; directorateCode = commune.directorate.code; }
    else errors.communeCode = 'help.ask.error.commune';
  }
  if (!directorateCode && !errors.communeCode) errors.communeCode = 'help.ask.error.communeRequired';
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const id = randomUUID();
  const ticket = helpTicket(secret, id);
  const verified = Boolean(pr && (owner || asker.unlocked?.includes(pr.reference)));
  await em.insert(HelpRequest, {
    id, ticketHash: helpTicketHash(ticket), topic: form.topic, message: v.message, reference: pr?.reference ?? (v.reference || null),
    referenceVerified: verified, preRegistrationId: pr?.id ?? null, schoolCode, directorateCode: directorateCode!, communeCode,
    channel: v.channel, contact: v.contact, language: asker.language, parentAccountId: asker.parentAccountId ?? null,
    status: 'open', createdAt: now,
  });
  await recordVisitorAudit(em, {
    actorId: asker.parentAccountId ? `parent:${asker.parentAccountId}` : 'public', actorRole: asker.parentAccountId ? 'parent' : 'public',
    action: 'help.request', reference: pr?.reference ?? null, ip: asker.ip,
    details: { helpRequestId: id, topic: form.topic, channel: v.channel, schoolCode, directorateCode, referenceVerified: verified, messageLength: [...v.message].length },
  });
  return { ok: true, id, ticket };
}

/** A help request as its ticket shows it: no message, no contact, no reference. */
export interface PublicHelpView {
  topic: string; status: HelpStatus; createdAt: Date; firstAnsweredAt: Date | null; closedAt: Date | null;
  answers: Array<{ body: string; createdAt: Date }>;
}

/** The request a ticket names, or null (a malformed ticket is not looked up). */
export async function helpByTicket(em: EntityManager, ticket: string): Promise<PublicHelpView | null> {
  if (!isHelpTicket(ticket)) return null;
  const hr = await em.findOne(HelpRequest, { ticketHash: helpTicketHash(ticket) });
  if (!hr) return null;
  const answers = await em.find(HelpAnswer, { helpRequestId: hr.id }, { orderBy: { seq: 'asc' } });
  return {
    topic: hr.topic, status: hr.status, createdAt: hr.createdAt, firstAnsweredAt: hr.firstAnsweredAt ?? null, closedAt: hr.closedAt ?? null,
    answers: answers.map((a) => ({ body: a.body, createdAt: a.createdAt })),
  };
}

/** The help requests a signed-in parent asked (newest first), with their tickets. */
export async function helpRequestsOfParent(em: EntityManager, parentAccountId: string, secret: string): Promise<Array<{ ticket: string; topic: string; status: HelpStatus; createdAt: Date; reference: string | null }>> {
  const rows = await em.find(HelpRequest, { parentAccountId }, { orderBy: { createdAt: 'desc' }, limit: 50 });
  return rows.map((r) => ({ ticket: helpTicket(secret, r.id), topic: r.topic, status: r.status, createdAt: r.createdAt, reference: r.reference ?? null }));
}

// ---- staff ------------------------------------------------------------------------------------

/** The SQL condition (alias `h`) of the help requests in a user's scope. */
async function scopeOf(em: EntityManager, user: StaffUser): Promise<{ sql: string; params: unknown[] }> {
  switch (user.role) {
    case 'director': {
      const codes = await schoolsInScope(em, user);
      if (!codes || codes.length === 0) return { sql: 'false', params: [] };
      const list = inList(codes);
      return { sql: `h.school_code in (${list.sql})`, params: list.params };
    }
    case 'provincialSupervisor':
      return user.directorate?.code ? { sql: 'h.directorate_code = ?', params: [user.directorate.code] } : { sql: 'false', params: [] };
    case 'academySupervisor':
      return user.academy?.code
        ? { sql: 'h.directorate_code in (select code from provincial_directorate where academy_code = ?)', params: [user.academy.code] }
        : { sql: 'false', params: [] };
    case 'administrator':
      return { sql: 'true', params: [] };
    default:
      return { sql: 'false', params: [] };
  }
}

export const HELP_QUEUE_FILTERS = ['open', 'answered', 'closed', 'all'] as const;
export type HelpQueueFilter = (typeof HELP_QUEUE_FILTERS)[number];
const QUEUE_PAGE = 50;

export interface HelpQueueRow {
  id: string; topic: string; status: HelpStatus; createdAt: Date; firstAnsweredAt: Date | null; reference: string | null;
  referenceVerified: boolean; schoolCode: string | null; schoolNameAr: string | null; schoolNameFr: string | null;
  directorateNameAr: string; directorateNameFr: string; answers: number;
}

/** One page of the help requests of the user's scope (oldest open first), with the counts per status. */
export async function helpQueue(em: EntityManager, user: StaffUser, opts: { filter?: HelpQueueFilter; page?: number } = {}): Promise<{ rows: HelpQueueRow[]; total: number; counts: Record<HelpStatus, number> }> {
  const scope = await scopeOf(em, user);
  const filter = opts.filter ?? 'open';
  const page = Math.max(1, opts.page ?? 1);
  const conn = em.getConnection();
  const counts = { open: 0, answered: 0, closed: 0 } as Record<HelpStatus, number>;
  for (const r of await conn.execute<Array<{ status: HelpStatus; n: string }>>(`select h.status, count(*) as n from help_request h where ${scope.sql} group by h.status`, scope.params)) {
    counts[r.status] = Number(r.n);
  }
  const where = filter === 'all' ? scope.sql : `${scope.sql} and h.status = ?`;
  const params = filter === 'all' ? scope.params : [...scope.params, filter];
  const rows = await conn.execute<Array<Record<string, unknown>>>(
    `select h.id, h.topic, h.status, h.created_at, h.first_answered_at, h.reference, h.reference_verified, h.school_code,
            s.name_ar as school_ar, s.name_fr as school_fr, d.name_ar as dir_ar, d.name_fr as dir_fr,
            (select count(*) from help_answer a where a.help_request_id = h.id) as answers
       from help_request h left join school s on s.code = h.school_code join provincial_directorate d on d.code = h.directorate_code
      where ${where} order by h.created_at ${filter === 'open' ? 'asc' : 'desc'}, h.id limit ? offset ?`,
    [...params, QUEUE_PAGE, (page - 1) * QUEUE_PAGE],
  );
  return {
    counts,
    total: filter === 'all' ? counts.open + counts.answered + counts.closed : counts[filter],
    rows: rows.map((r) => ({
      id: String(r.id), topic: String(r.topic), status: r.status as HelpStatus, createdAt: new Date(r.created_at as string),
      firstAnsweredAt: r.first_answered_at ? new Date(r.first_answered_at as string) : null, reference: (r.reference as string | null) ?? null,
      referenceVerified: Boolean(r.reference_verified), schoolCode: (r.school_code as string | null) ?? null,
      schoolNameAr: (r.school_ar as string | null) ?? null, schoolNameFr: (r.school_fr as string | null) ?? null,
      directorateNameAr: String(r.dir_ar), directorateNameFr: String(r.dir_fr), answers: Number(r.answers),
    })),
  };
}

/** Masks a contact for staff eyes: `p…t@example.ma`, `+2126…78`. */
export function maskContact(contact: string): string {
  const at = contact.indexOf('@');
  if (at > 0) return `${contact[0]}…${contact[at - 1]}${contact.slice(at)}`;
  return contact.length > 6 ? `${contact.slice(0, 5)}…${contact.slice(-2)}` : '…';
}

/** A help request as staff in scope read it (audited `help.view`), or null when out of scope or unknown. */
export async function helpRequestForStaff(em: EntityManager, user: StaffUser, id: string, ip?: string) {
  if (!/^[0-9a-f-]{36}$/.test(id)) return null;
  const scope = await scopeOf(em, user);
  const [inScope] = await em.getConnection().execute<unknown[]>(`select 1 from help_request h where h.id = ? and ${scope.sql}`, [id, ...scope.params]);
  if (!inScope) return null;
  const hr = await em.findOneOrFail(HelpRequest, { id });
  const answers = await em.getConnection().execute<Array<Record<string, unknown>>>(
    `select a.seq, a.body, a.created_at, u.display_name,
            (select n.status from notification n where n.help_request_id = a.help_request_id and n.occurrence = a.seq order by n.id desc limit 1) as delivery
       from help_answer a left join staff_user u on u.id = a.staff_user_id where a.help_request_id = ? order by a.seq`, [id]);
  const prInScope = hr.reference ? Boolean((await schoolsInScope(em, user))?.includes(hr.schoolCode ?? '') ?? true) : false;
  await recordAudit(em, { user, action: 'help.view', reference: hr.reference ?? null, ip, details: { helpRequestId: id, schoolCode: hr.schoolCode ?? null } });
  return {
    id: hr.id, topic: hr.topic, status: hr.status, message: hr.message, reference: hr.reference ?? null, referenceVerified: hr.referenceVerified,
    reviewLink: prInScope && hr.preRegistrationId ? `/staff/requests/${encodeURIComponent(hr.reference!)}` : null,
    channel: hr.channel, contact: maskContact(hr.contact), language: hr.language, createdAt: hr.createdAt,
    firstAnsweredAt: hr.firstAnsweredAt ?? null, closedAt: hr.closedAt ?? null, schoolCode: hr.schoolCode ?? null, directorateCode: hr.directorateCode,
    answers: answers.map((a) => ({ seq: Number(a.seq), body: String(a.body), createdAt: new Date(a.created_at as string), by: (a.display_name as string | null) ?? '', delivery: (a.delivery as string | null) ?? 'pending' })),
  };
}

export type StaffHelpResult = { ok: true; seq?: number } | { ok: false; error: 'notFound' | 'closed' | 'answerRequired' | 'answerTooLong' | 'unavailable' };

/**
 * Answers a help request in the user's scope: the answer is stored (number `seq`), the request
 * becomes `answered` (first answer time kept), and the workflow `helpAnswer` sends it to the asker
 * exactly once. One transaction: when Temporal cannot start the workflow nothing is stored
 * (`unavailable`, the typed answer is kept by the page).
 */
export async function answerHelpRequest(
  em: EntityManager, deps: { temporal: TasjilTemporal; taskQueue: string }, user: StaffUser, id: string, rawBody: string, ip?: string, now = new Date(),
): Promise<StaffHelpResult> {
  const body = rawBody.replace(/\r\n?/g, '\n').trim();
  if (!body) return { ok: false, error: 'answerRequired' };
  if ([...body].length > HELP_LIMITS.answer) return { ok: false, error: 'answerTooLong' };
  if (!/^[0-9a-f-]{36}$/.test(id)) return { ok: false, error: 'notFound' };
  const scope = await scopeOf(em, user);
  try {
    return await em.transactional(async (tx) => {
      const conn = tx.getConnection();
      const [row] = await conn.execute<Array<{ status: HelpStatus; topic: string; reference: string | null; school_code: string | null; directorate_code: string }>>(
        `select h.status, h.topic, h.reference, h.school_code, h.directorate_code from help_request h where h.id = ? and ${scope.sql} for update`, [id, ...scope.params]);
      if (!row) return { ok: false, error: 'notFound' } as const;
      if (row.status === 'closed') return { ok: false, error: 'closed' } as const;
      const [{ n }] = await conn.execute<Array<{ n: string }>>('select count(*) as n from help_answer where help_request_id = ?', [id]);
      const seq = Number(n) + 1;
      await tx.insert(HelpAnswer, { id: randomUUID(), helpRequestId: id, seq, body, staffUserId: user.id, createdAt: now });
      await conn.execute(`update help_request set status = 'answered', first_answered_at = coalesce(first_answered_at, ?) where id = ?`, [now, id]);
      await recordAudit(tx, {
        user, action: 'help.answer', reference: row.reference, ip,
        details: { helpRequestId: id, topic: row.topic, seq, schoolCode: row.school_code, directorateCode: row.directorate_code, answerLength: [...body].length, ...(row.topic === 'rectification' ? { answer: body } : {}) },
      });
      try {
        await deps.temporal.client.workflow.start('helpAnswer', {
          taskQueue: deps.taskQueue, workflowId: `help-answer-${id}-${seq}`, args: [id, seq], workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw new TemporalUnavailable();
      }
      return { ok: true, seq } as const;
    });
  } catch (err) {
    if (err instanceof TemporalUnavailable) return { ok: false, error: 'unavailable' };
    throw err;
  }
}

class TemporalUnavailable extends Error {}

/** Closes a help request in the user's scope (audited `help.close`). */
export async function closeHelpRequest(em: EntityManager, user: StaffUser, id: string, ip?: string, now = new Date()): Promise<StaffHelpResult> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return { ok: false, error: 'notFound' };
  const scope = await scopeOf(em, user);
  const rows = await em.getConnection().execute<Array<{ reference: string | null; topic: string; school_code: string | null; directorate_code: string }>>(
    `update help_request h set status = 'closed', closed_at = ? where h.id = ? and h.status <> 'closed' and ${scope.sql}
     returning h.reference, h.topic, h.school_code, h.directorate_code`, [now, id, ...scope.params]);
  if (rows.length === 0) {
    const [exists] = await em.getConnection().execute<unknown[]>(`select 1 from help_request h where h.id = ? and ${scope.sql}`, [id, ...scope.params]);
    return { ok: false, error: exists ? 'closed' : 'notFound' };
  }
  const r = rows[0];
  await recordAudit(em, { user, action: 'help.close', reference: r.reference, ip, details: { helpRequestId: id, topic: r.topic, schoolCode: r.school_code, directorateCode: r.directorate_code } });
  return { ok: true };
}

/** Counts and time to first answer (hours, one decimal) of one school or directorate. */
export interface HelpStatRow {
  code: string; nameAr: string; nameFr: string; total: number; open: number; answered: number; closed: number;
  medianHours: number | null; averageHours: number | null;
}

/** Help requests per directorate and per school of the user's scope (requests routed to a directorate only count in its row). */
export async function helpStats(em: EntityManager, user: StaffUser): Promise<{ directorates: HelpStatRow[]; schools: HelpStatRow[] }> {
  const scope = await scopeOf(em, user);
  const conn = em.getConnection();
  const agg = `count(*) as total, count(*) filter (where h.status = 'open') as open, count(*) filter (where h.status = 'answered') as answered,
    count(*) filter (where h.status = 'closed') as closed,
    percentile_cont(0.5) within group (order by extract(epoch from h.first_answered_at - h.created_at)) filter (where h.first_answered_at is not null) as median_s,
    avg(extract(epoch from h.first_answered_at - h.created_at)) filter (where h.first_answered_at is not null) as avg_s`;
  const map = (r: Record<string, unknown>): HelpStatRow => ({
    code: String(r.code), nameAr: String(r.name_ar), nameFr: String(r.name_fr), total: Number(r.total), open: Number(r.open),
    answered: Number(r.answered), closed: Number(r.closed),
    medianHours: r.median_s === null ? null : Math.round(Number(r.median_s) / 360) / 10,
    averageHours: r.avg_s === null ? null : Math.round(Number(r.avg_s) / 360) / 10,
  });
  const directorates = await conn.execute<Array<Record<string, unknown>>>(
    `select d.code, d.name_ar, d.name_fr, ${agg} from help_request h join provincial_directorate d on d.code = h.directorate_code
      where ${scope.sql} group by d.code, d.name_ar, d.name_fr order by d.code`, scope.params);
  const schools = await conn.execute<Array<Record<string, unknown>>>(
    `select s.code, s.name_ar, s.name_fr, ${agg} from help_request h join school s on s.code = h.school_code
      where ${scope.sql} group by s.code, s.name_ar, s.name_fr order by s.code limit 500`, scope.params);
  return { directorates: directorates.map(map), schools: schools.map(map) };
}

/** `helpStats` ready for the dashboard's partial (names in `lang`, hours as text, null when none answered). */
export async function helpStatsView(em: EntityManager, user: StaffUser, lang: Language) {
  const s = await helpStats(em, user);
  const row = (x: HelpStatRow) => ({
    ...x, name: lang === 'ar' ? x.nameAr : x.nameFr,
    median: x.medianHours === null ? null : String(x.medianHours), average: x.averageHours === null ? null : String(x.averageHours),
  });
  return { directorates: s.directorates.map(row), schools: s.schools.map(row) };
}

/** Communes (and arrondissements) with at least one school, grouped by provincial directorate, for the form's list. */
export async function communeChoices(em: EntityManager, lang: Language): Promise<Array<{ name: string; communes: Array<{ code: string; name: string }> }>> {
  const rows = await em.getConnection().execute<Array<Record<string, string>>>(
    `select c.code, c.name_ar, c.name_fr, d.code as d_code, d.name_ar as d_ar, d.name_fr as d_fr
       from commune c join provincial_directorate d on d.code = c.directorate_code
      where exists (select 1 from school s where s.commune_code = c.code)
      order by d.code, c.code`);
  const groups = new Map<string, { name: string; communes: Array<{ code: string; name: string }> }>();
  for (const r of rows) {
    const g = groups.get(r.d_code) ?? { name: lang === 'ar' ? r.d_ar : r.d_fr, communes: [] };
    g.communes.push({ code: r.code, name: lang === 'ar' ? r.name_ar : r.name_fr });
    groups.set(r.d_code, g);
  }
  const collator = new Intl.Collator(lang);
  return [...groups.values()].map((g) => ({ ...g, communes: g.communes.sort((a, b) => collator.compare(a.name, b.name)) })).sort((a, b) => collator.compare(a.name, b.name));
}

/** Whether a request may be the object of a rectification from the parents' space (decided). */
export function canAskRectification(pr: Pick<PreRegistration, 'status'>): boolean {
  return (DECIDED_STATUSES as readonly string[]).includes(pr.status);
}

/** Whether a topic is known (for labels). */
export function isHelpTopic(s: string): s is HelpTopic {
  return (HELP_TOPICS as readonly string[]).includes(s);
}

// ---- throttle ---------------------------------------------------------------------------------

export type ThrottleOutcome = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * Help requests accepted per hour per client address and per contact (`HELP_REQUESTS_PER_HOUR`),
 * counted in PostgreSQL (rate-limiter-flexible, table `help_throttle`, shared by every process).
 * Keys are HMACs of the address and of the contact.
 */
export class HelpThrottle {
  private readonly perClient: RateLimiterPostgres;
  private readonly perContact: RateLimiterPostgres;

  constructor(pool: Pool, private readonly secret: string, points: number) {
    const common = { storeClient: pool, storeType: 'pool', tableName: 'help_throttle', tableCreated: true, duration: 3600, points };
    this.perClient = new RateLimiterPostgres({ ...common, keyPrefix: 'help-client' });
    this.perContact = new RateLimiterPostgres({ ...common, keyPrefix: 'help-contact' });
  }

  private key(kind: string, v: string): string {
    return createHmac('sha256', this.secret).update(`${kind}:${v}`).digest('hex');
  }

  /** Counts one request of `ip` to `contact` (normalised loosely); refused past the limit of either. */
  async consume(ip: string, contact: string): Promise<ThrottleOutcome> {
    const [a, b] = await Promise.all([
      take(this.perClient, this.key('client', ip)),
      take(this.perContact, this.key('contact', contact.trim().toLowerCase().replace(/[\s.-]/g, ''))),
    ]);
    const refused = [a, b].filter((r) => r.refused);
    if (refused.length === 0) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(...refused.map((r) => Math.max(1, Math.ceil(r.res.msBeforeNext / 1000)))) };
  }
}

async function take(limiter: RateLimiterPostgres, key: string): Promise<{ refused: boolean; res: RateLimiterRes }> {
  try {
    return { refused: false, res: await limiter.consume(key, 1) };
  } catch (err) {
    if (err instanceof RateLimiterRes) return { refused: true, res: err };
    throw err;
  }
}
