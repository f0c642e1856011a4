/**
 * The parents' rights under law 09-08, for a signed-in parent: access (everything Tasjil holds on
 * the account and the children it submitted, as one JSON document and a readable page) and the
 * deletion of an account that has no submitted request. Every export, deletion and refused
 * deletion is written to the audit log (actor `parent:<account id>`), where staff read it: the
 * supervisors of the schools concerned (`details.schoolCodes`), and administrators.
 *
 * What the export holds (format `tasjil-my-data/1`), and only for this account:
 * - `account`: identifier(s), language, profile (the parents' details entered once), dates; never
 *   the password hash or the sign-in throttle counters (security data, not the parent's data);
 * - `drafts`: the unfinished forms with what was typed;
 * - `requests`: every request the account submitted — the submitted data, the school, the status
 *   and its timeline, the automatic checks' verdicts (age, zone, Hijri date), the decision (reasons;
 *   the director's note of a rejection), the Massar code, the correction asked, the consent record
 *   (notice version, time), the notifications sent to the parent (event, channel, recipient,
 *   status, dates — not their text) and the photo as a link (`photo.download`): the photo is a
 *   separate download (`/space/my-data/photos/<reference>.jpg`), not base64 in the JSON, to keep
 *   the document small and readable;
 * - `accountMessages`: the one-time codes sent to the account (purpose, channel, dates; never the code);
 * - `helpRequests`: the help requests asked while signed in (topic, message, reference, how to
 *   answer, status, dates) with the staff's answers (text and date; not the staff member).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  AuditLog, ConsentRecord, Notification, OneTimeCode, ParentAccount, Photo, PreRegistration, PreRegistrationDraft, PreRegistrationEvent, RejectionReason,
} from '../../entities';
import { identifierOf, signIn } from './accounts';
import type { SignInGuard } from './signInGuard';

/** The export's format id (changes when the document's shape does). */
export const MY_DATA_FORMAT = 'tasjil-my-data/1';
/** Audit actions of the rights. */
export const RIGHTS_AUDIT = { export: 'privacy.export', accountDeleted: 'privacy.accountDeleted', deletionRefused: 'privacy.deletionRefused' } as const;

type Json = Record<string, unknown>;

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** Everything held on the account and its children (see the module's comment), as one JSON-ready document. */
export async function myData(em: EntityManager, accountId: string, now: Date = new Date()): Promise<Json> {
  const account = await em.findOneOrFail(ParentAccount, { id: accountId });
  const drafts = await em.find(PreRegistrationDraft, { account: accountId, submittedAt: null }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  const requests = await em.find(PreRegistration, { parentAccountId: accountId }, { orderBy: { submittedAt: 'asc', id: 'asc' }, populate: ['school', 'commune', 'residenceZone'] });
  const ids = requests.map((p) => p.id);
  const [events, notifications, consents, codes, photos] = await Promise.all([
    ids.length ? em.find(PreRegistrationEvent, { preRegistration: { $in: ids } }, { orderBy: { at: 'asc', id: 'asc' } }) : [],
    ids.length ? em.find(Notification, { preRegistration: { $in: ids } }, { orderBy: { id: 'asc' } }) : [],
    ids.length ? em.find(ConsentRecord, { preRegistration: { $in: ids } }) : [],
    em.find(OneTimeCode, { account: accountId }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
    requests.some((p) => p.photoKey) ? em.find(Photo, { key: { $in: requests.flatMap((p) => (p.photoKey ? [p.photoKey] : [])) } }, { fields: ['key', 'contentType', 'width', 'height'] }) : [],
  ]);
  const reasonCodes = [...new Set(requests.flatMap((p) => p.rejectionReasons))];
  const reasons = reasonCodes.length ? await em.find(RejectionReason, { code: { $in: reasonCodes } }) : [];
  const idOf = (ref: unknown) => (typeof ref === 'object' && ref ? (ref as { id: string }).id : String(ref));
  return {
    format: MY_DATA_FORMAT,
    generatedAt: now.toISOString(),
    account: {
      id: account.id, email: account.email ?? null, phone: account.phone ?? null, language: account.language,
      createdAt: iso(account.createdAt), verifiedAt: iso(account.verifiedAt), lastSignInAt: iso(account.lastSignInAt), profile: account.profile,
    },
    drafts: drafts.map((d) => ({
      id: d.id, step: d.step, reference: d.reference ?? null, createdAt: iso(d.createdAt), updatedAt: iso(d.updatedAt), hasPhoto: Boolean(d.photoKey), data: d.data,
    })),
    requests: requests.map((p) => {
      const photo = photos.find((x) => x.key === p.photoKey);
      const consent = consents.find((c) => idOf(c.preRegistration) === p.id);
      const parentAddresses = new Set([p.contactEmail, p.contactPhone, account.email, account.phone].filter((x): x is string => Boolean(x)));
      return {
        reference: p.reference, schoolYear: p.schoolYear, level: p.level, status: p.status,
        submittedAt: iso(p.submittedAt), updatedAt: iso(p.updatedAt), anonymizedAt: iso(p.anonymizedAt),
        submission: {
          child: { firstNameAr: p.childFirstNameAr, lastNameAr: p.childLastNameAr, firstNameLatin: p.childFirstNameLatin, lastNameLatin: p.childLastNameLatin },
          civilStatus: {
            birthDate: p.birthDate, birthDateHijri: p.birthDateHijri, birthPlace: p.birthPlace, birthCertificateNumber: p.birthCertificateNumber,
            birthCertificateDate: p.birthCertificateDate, fatherLineage: p.fatherLineage, motherLineage: p.motherLineage,
          },
          siblings: p.siblings, guardianRole: p.guardianRole, father: p.father, mother: p.mother, tutor: p.tutor ?? null,
          residence: { communeCode: p.commune.code, residenceZoneCode: p.residenceZone.code },
          schoolCode: p.school.code, language: p.language, schoolChoiceReason: p.schoolChoiceReason ?? null,
        },
        contact: { email: p.contactEmail, phone: p.contactPhone },
        school: { code: p.school.code, nameAr: p.school.nameAr, nameFr: p.school.nameFr },
        automaticChecks: { age: p.ageCheck ?? null, zone: p.zoneCheck ?? null, hijri: p.hijriCheck ?? null },
        decision: p.decision ? {
          outcome: p.decision, decidedAt: iso(p.decidedAt),
          rejectionReasons: p.rejectionReasons.map((code) => {
            const r = reasons.find((x) => x.code === code);
            return { code, textAr: r?.textAr ?? null, textFr: r?.textFr ?? null };
          }),
          note: p.decision === 'reject' ? p.decisionNote ?? null : null,
        } : null,
        massarCode: p.massarCode ?? null,
        correctionMessage: p.correctionMessage ?? null,
        timeline: events.filter((e) => idOf(e.preRegistration) === p.id).map((e) => ({ at: iso(e.at), type: e.type, status: e.status ?? null, channel: (e.details as { channel?: string }).channel ?? null })),
        consent: consent ? { noticeVersion: consent.noticeVersion, acceptedAt: iso(consent.acceptedAt) } : null,
        notifications: notifications
          .filter((n) => idOf(n.preRegistration) === p.id && parentAddresses.has(n.recipient))
          .map((n) => ({ event: n.event, channel: n.channel, recipient: n.recipient, status: n.status, sentAt: iso(n.sentAt), updatedAt: iso(n.updatedAt) })),
        photo: photo ? { download: `/space/my-data/photos/${p.reference}.jpg`, contentType: photo.contentType, width: photo.width, height: photo.height } : null,
      };
    }),
    accountMessages: codes.map((c) => ({ purpose: c.purpose, channel: c.channel, createdAt: iso(c.createdAt), consumedAt: iso(c.consumedAt), expiresAt: iso(c.expiresAt) })),
    helpRequests: await helpRequestsOf(em, accountId),
  };
}

/** The help requests the account asked, oldest first, each with its answers. */
async function helpRequestsOf(em: EntityManager, accountId: string): Promise<Json[]> {
  const conn = em.getConnection();
  const rows = await conn.execute<Array<Record<string, unknown>>>(
    `select h.id, h.topic, h.message, h.reference, h.channel, h.contact, h.language, h.status, h.created_at, h.first_answered_at, h.closed_at,
            coalesce((select json_agg(json_build_object('body', a.body, 'at', a.created_at) order by a.seq) from help_answer a where a.help_request_id = h.id), '[]'::json) as answers
       from help_request h where h.parent_account_id = ? order by h.created_at, h.id`, [accountId]);
  return rows.map((h) => ({
    topic: h.topic, message: h.message, reference: h.reference ?? null, channel: h.channel, contact: h.contact, language: h.language, status: h.status,
    createdAt: iso(h.created_at as Date), firstAnsweredAt: iso(h.first_answered_at as Date | null), closedAt: iso(h.closed_at as Date | null),
    answers: (h.answers as Array<{ body: string; at: string }>).map((a) => ({ body: a.body, at: iso(new Date(a.at)) })),
  }));
}

/** The photo of one of the account's requests, or null (not theirs, none, anonymised). */
export async function myPhoto(em: EntityManager, accountId: string, reference: string): Promise<Buffer | null> {
  const pr = await em.findOne(PreRegistration, { reference, parentAccountId: accountId });
  if (!pr?.photoKey) return null;
  const photo = await em.findOne(Photo, { key: pr.photoKey }, { populate: ['bytes'] });
  return photo?.bytes ?? null;
}

/** Appends a parent's rights entry to the audit log (the schools concerned in `details.schoolCodes`, for their supervisors). */
export async function recordRightsAudit(em: EntityManager, accountId: string, action: string, ip: string | null, details: Json): Promise<void> {
  await em.insert(AuditLog, {
    at: new Date(), actorId: `parent:${accountId}`, actorRole: 'parent', action: action.slice(0, 48), reference: null, ip: ip ? ip.slice(0, 45) : null, details,
  });
}

/** Audits an access to the data (`format`: page, json or photo) with the references and schools concerned. */
export async function auditExport(em: EntityManager, accountId: string, format: 'page' | 'json' | 'photo', ip: string | null, data?: Json, reference?: string): Promise<void> {
  const requests = (data?.requests as Array<{ reference: string; school: { code: string } }> | undefined)
    ?? (await em.find(PreRegistration, { parentAccountId: accountId, ...(reference ? { reference } : {}) }, { fields: ['reference', 'school'] }))
      .map((p) => ({ reference: p.reference, school: { code: p.school.code } }));
  await recordRightsAudit(em, accountId, RIGHTS_AUDIT.export, ip, {
    format, references: requests.map((r) => r.reference), schoolCodes: [...new Set(requests.map((r) => r.school.code))],
  });
}

/** Outcome of an account deletion. */
export type DeleteAccountResult =
  | { ok: true; drafts: number }
  | { ok: false; reason: 'hasRequests'; references: string[] };

/** The references of the account's submitted requests (an account with any of them cannot be deleted). */
export async function submittedReferences(em: EntityManager, accountId: string): Promise<string[]> {
  return (await em.find(PreRegistration, { parentAccountId: accountId }, { fields: ['reference'], orderBy: { submittedAt: 'asc' } })).map((p) => p.reference);
}

/**
 * Deletes the account after re-authentication by its password (the sign-in check, throttled
 * like a sign-in): its drafts and their photos, its one-time codes, the account. Refused when the
 * account submitted any request — the requests are the school's file, kept under the retention
 * rules (the parent withdraws a request, or asks the school) — with the references in the answer.
 * Both outcomes are audited.
 * @throws AccountError (`account.signIn.failed`, wrong password) or SignInRefused (throttled), before anything is deleted.
 */
export async function deleteAccount(
  em: EntityManager, accountId: string, password: string, throttle: { guard: SignInGuard; ip: string },
): Promise<DeleteAccountResult> {
  const account = await em.findOneOrFail(ParentAccount, { id: accountId });
  const refused = async (references: string[]): Promise<DeleteAccountResult> => {
    const schools = await em.find(PreRegistration, { reference: { $in: references } }, { fields: ['school'] });
    await recordRightsAudit(em.fork(), accountId, RIGHTS_AUDIT.deletionRefused, throttle.ip, {
      reason: 'hasRequests', references, schoolCodes: [...new Set(schools.map((p) => p.school.code))],
    });
    return { ok: false, reason: 'hasRequests', references };
  };
  const before = await submittedReferences(em, accountId);
  if (before.length) return refused(before);
  await signIn(em, identifierOf(account), password, throttle);
  const outcome = await em.transactional(async (tx): Promise<{ refs: string[] } | { drafts: number }> => {
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    await conn.execute('select id from parent_account where id = ? for update', [accountId], 'all', ctx);
    const refs = await conn.execute<Array<{ reference: string }>>('select reference from pre_registration where parent_account_id = ? order by submitted_at', [accountId], 'all', ctx);
    if (refs.length) return { refs: refs.map((r) => r.reference) };
    const [d] = await conn.execute<Array<{ n: number }>>(
      `with gone as (delete from pre_registration_draft where account_id = ? returning photo_key),
            photos as (delete from photo where key in (select g.photo_key from gone g where g.photo_key is not null)
                         and not exists (select 1 from pre_registration r where r.photo_key = photo.key))
       select count(*)::int as n from gone`, [accountId], 'all', ctx);
    await conn.execute('delete from parent_account where id = ?', [accountId], 'run', ctx);
    const drafts = Number(d?.n ?? 0);
    await conn.execute(
      `insert into audit_log (at, actor_id, actor_role, action, reference, ip, details) values (now(), ?, 'parent', ?, null, ?, ?::jsonb)`,
      [`parent:${accountId}`, RIGHTS_AUDIT.accountDeleted, throttle.ip ? throttle.ip.slice(0, 45) : null, JSON.stringify({ drafts })], 'run', ctx,
    );
    return { drafts };
  });
  if ('refs' in outcome) return refused(outcome.refs);
  return { ok: true, drafts: outcome.drafts };
}
