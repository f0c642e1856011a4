/**
 * The privacy notice and the parents' consent (law 09-08). The notice is data, versioned
 * (migrations/data/privacy-notices.json): the version in force is the latest whose `effectiveFrom`
 * is not after today (Casablanca). Every submission — one-page form, parents' space, JSON API —
 * names the version it accepts (`privacyNoticeVersion`: the ticked checkbox's value, or the API
 * field); the submission service refuses it otherwise and records the acceptance (version, time)
 * in `consent_record` in the request's own statement, with an audit entry.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { todayInCasablanca } from '../../domain/dates';
import type { FieldError } from '../../domain/submission';
import type { Language } from '../../domain/types';
import { ConsentRecord, SchoolYear } from '../../entities';
import { PARENT_SPACE_RETENTION, RETENTION_STATUSES } from '../../persistence/retention';

/** The field naming the accepted notice version (form checkbox value, API JSON field). */
export const CONSENT_FIELD = 'privacyNoticeVersion';
/** The audit action of an acceptance. */
export const CONSENT_AUDIT_ACTION = 'privacy.consent';

const bilingual = z.object({ ar: z.string().min(1), fr: z.string().min(1) });
const noticeSchema = z.object({
  version: z.string().regex(/^[0-9A-Za-z.-]{1,32}$/),
  effectiveFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  controller: bilingual,
  controllerAddress: bilingual,
  cndp: z.object({ kind: z.enum(['declaration', 'authorisation']), number: z.string().min(1).max(64), isDemo: z.boolean() }),
  purposes: z.object({ ar: z.array(z.string().min(1)).min(1), fr: z.array(z.string().min(1)).min(1) }),
  recipients: z.array(bilingual.extend({ code: z.string().min(1) })).min(1),
});
/** One version of the privacy notice, as stored. */
export type PrivacyNotice = z.infer<typeof noticeSchema>;

let cache: PrivacyNotice[] | null = null;

/** Every version, oldest first (validated once; versions unique). */
export function privacyNotices(): PrivacyNotice[] {
  if (cache) return cache;
  const file = path.join(__dirname, '..', '..', 'migrations', 'data', 'privacy-notices.json');
  const parsed = z.object({ notices: z.array(noticeSchema).min(1) }).parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  const list = [...parsed.notices].sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
  if (new Set(list.map((n) => n.version)).size !== list.length) throw new Error('privacy-notices.json: a version is listed twice');
  cache = list;
  return list;
}

/** The version in force on `now` (Casablanca calendar day); the oldest one before any is effective. */
export function currentNotice(now: Date = new Date()): PrivacyNotice {
  const today = todayInCasablanca(now);
  const list = privacyNotices();
  return [...list].reverse().find((n) => n.effectiveFrom <= today) ?? list[0];
}

/** A version by its id, or null. */
export function noticeByVersion(version: string): PrivacyNotice | null {
  return privacyNotices().find((n) => n.version === version) ?? null;
}

/**
 * Checks the consent a submission carries: `privacyNoticeVersion` must name the version in force.
 * @returns the accepted version, or the field error (`validation.privacyNotice.required` when
 *   absent or not a string, `validation.privacyNotice.outdated` naming the current version).
 */
export function consentOf(raw: unknown, now: Date): { ok: true; version: string } | { ok: false; error: FieldError } {
  const v = raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[CONSENT_FIELD] : undefined;
  const current = currentNotice(now).version;
  if (typeof v !== 'string' || !v.trim()) return { ok: false, error: { field: CONSENT_FIELD, code: 'validation.privacyNotice.required', params: { version: current } } };
  if (v.trim() !== current) return { ok: false, error: { field: CONSENT_FIELD, code: 'validation.privacyNotice.outdated', params: { version: current } } };
  return { ok: true, version: current };
}

/**
 * The audit entry of a submission's acceptance (written with the request, in the same statement:
 * persistence/submissions.ts `insertRequest`).
 */
export function consentAudit(schoolCode: string, version: string): { auditAction: string; auditDetails: Record<string, unknown> } {
  return { auditAction: CONSENT_AUDIT_ACTION, auditDetails: { noticeVersion: version, schoolCode } };
}

/** A request's consent record (version, time), or null (requests filed before consent was recorded). */
export async function consentFor(em: EntityManager, preRegistrationId: string): Promise<{ noticeVersion: string; acceptedAt: Date } | null> {
  const c = await em.findOne(ConsentRecord, { preRegistration: preRegistrationId });
  return c ? { noticeVersion: c.noticeVersion, acceptedAt: c.acceptedAt } : null;
}

/** The retention periods in force, read from the configuration the retention jobs use. */
export interface RetentionFacts {
  /** Days after its last change before a rejected or withdrawn request is anonymised, per school year. */
  closedRequests: Array<{ schoolYear: string; days: number; current: boolean }>;
  closedStatuses: readonly string[];
  draftDays: number;
  unverifiedAccountDays: number;
  codeHours: number;
  helpRequestDays: number;
}

export async function retentionFacts(em: EntityManager): Promise<RetentionFacts> {
  const years = await em.find(SchoolYear, {}, { orderBy: { code: 'asc' } });
  return {
    closedRequests: years.map((y) => ({ schoolYear: y.code, days: y.anonymizeAfterDays, current: y.isCurrent })),
    closedStatuses: RETENTION_STATUSES,
    draftDays: PARENT_SPACE_RETENTION.draftDays,
    unverifiedAccountDays: PARENT_SPACE_RETENTION.unverifiedAccountDays,
    codeHours: PARENT_SPACE_RETENTION.codeHours,
    helpRequestDays: PARENT_SPACE_RETENTION.helpRequestDays,
  };
}

/** The notice as a page shows it in one language. */
export async function noticeView(em: EntityManager, lang: Language, now: Date, version?: string) {
  const notice = version ? noticeByVersion(version) : currentNotice(now);
  if (!notice) return null;
  const current = currentNotice(now);
  return {
    version: notice.version, effectiveFrom: notice.effectiveFrom, isCurrent: notice.version === current.version, currentVersion: current.version,
    controller: notice.controller[lang], controllerAddress: notice.controllerAddress[lang],
    cndp: notice.cndp, purposes: notice.purposes[lang], recipients: notice.recipients.map((r) => ({ code: r.code, text: r[lang] })),
    retention: await retentionFacts(em),
    versions: privacyNotices().map((n) => ({ version: n.version, effectiveFrom: n.effectiveFrom })).reverse(),
  };
}
