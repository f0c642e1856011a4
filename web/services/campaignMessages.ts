/**
 * Campaign messages of academies and directorates (issue 13, item 3), one service for every door:
 * compose (kind, audience, channel, the directorate targeted within the sender's scope), the
 * recipients counted and the SMS segments and cost estimated before sending (stored with the
 * draft), the confirmation that starts the `campaignMessage` workflow, the progress read from the
 * delivery rows, the opt-out through the signed link of a message, and the public campaign page's
 * dates. Scope: a provincial supervisor reaches the parents of their directorate only, an academy
 * supervisor those of their academy (or one of its directorates), an administrator everyone.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import {
  CAMPAIGN_AUDIENCES, CAMPAIGN_CHANNELS, CAMPAIGN_KINDS, campaignSmsSegments, daysLeft, displayDate, optOutPath, optOutToken,
  renderCampaignMessage, verifyOptOutToken, type CampaignAudience, type CampaignChannel, type CampaignKind, type CampaignLanguage,
} from '../../domain/campaignMessages';
import { todayInCasablanca } from '../../domain/dates';
import type { FieldError } from '../../domain/submission';
import { countRecipients, type RecipientCounts, type RecipientSpec } from '../../persistence/campaignRecipients';
import { startCampaignMessage } from '../../temporal/campaign';
import type { StaffUser } from '../../entities';
import { recordAudit } from './audit';

/** What the campaign services need from the configuration. */
export interface CampaignConfig {
  publicBaseUrl: string;
  SESSION_SECRET: string;
  CAMPAIGN_SMS_SEGMENT_COST_CENTIMES: number;
  CAMPAIGN_BATCH_SIZE: number;
  CAMPAIGN_HEARTBEAT_SECONDS: number;
  TEMPORAL_TASK_QUEUE: string;
}

/** Whether the user may send campaign messages (supervisors of an academy or a directorate, administrators). */
export function canSendCampaigns(user: StaffUser): boolean {
  return user.role === 'provincialSupervisor' || user.role === 'academySupervisor' || user.role === 'administrator';
}

/** A refusal for a target outside the sender's scope (403). */
export class CampaignScopeError extends Error {
  constructor() { super('campaign target outside scope'); this.name = 'CampaignScopeError'; }
}

/** What the compose form posts, as typed. */
export interface ComposeInput { schoolYear?: unknown; kind?: unknown; audience?: unknown; channel?: unknown; directorate?: unknown }

/** A school year a message may be about: its dates. */
export interface CampaignYear { code: string; opensOn: string; closesOn: string; isCurrent: boolean }

/** The compose form's choices for `user`: the school years whose campaign is not over, the directorates they may target. */
export async function composeChoices(em: EntityManager, user: StaffUser, now: Date): Promise<{
  years: CampaignYear[]; directorates: Array<{ code: string; nameAr: string; nameFr: string }>; fixedDirectorate: string | null;
}> {
  const conn = em.getConnection();
  const years = await conn.execute<Array<{ code: string; opens_on: string; closes_on: string; is_current: boolean }>>(
    `select code, to_char(campaign_opens_on, 'YYYY-MM-DD') as opens_on, to_char(campaign_closes_on, 'YYYY-MM-DD') as closes_on, is_current
       from school_year where campaign_closes_on >= ? order by code`, [todayInCasablanca(now)],
  );
  let directorates: Array<{ code: string; name_ar: string; name_fr: string }> = [];
  if (user.role === 'provincialSupervisor') {
    directorates = await conn.execute(`select code, name_ar, name_fr from provincial_directorate where code = ?`, [user.directorate?.code ?? '']);
  } else if (user.role === 'academySupervisor') {
    directorates = await conn.execute(`select code, name_ar, name_fr from provincial_directorate where academy_code = ? order by code`, [user.academy?.code ?? '']);
  } else if (user.role === 'administrator') {
    directorates = await conn.execute(`select code, name_ar, name_fr from provincial_directorate order by code`);
  }
  return {
    years: years.map((y) => ({ code: y.code, opensOn: y.opens_on, closesOn: y.closes_on, isCurrent: y.is_current })),
    directorates: directorates.map((d) => ({ code: d.code, nameAr: d.name_ar, nameFr: d.name_fr })),
    fixedDirectorate: user.role === 'provincialSupervisor' ? user.directorate?.code ?? null : null,
  };
}

/** The scope (directorate, academy) a message of `user` reaches when targeting `directorate` ('' = the whole scope). */
async function targetScope(em: EntityManager, user: StaffUser, directorate: string): Promise<{ directorateCode: string | null; academyCode: string | null }> {
  if (user.role === 'provincialSupervisor') {
    const own = user.directorate?.code;
    if (!own || (directorate && directorate !== own)) throw new CampaignScopeError();
    const [row] = await em.getConnection().execute<Array<{ academy_code: string }>>('select academy_code from provincial_directorate where code = ?', [own]);
    return { directorateCode: own, academyCode: row?.academy_code ?? null };
  }
  if (!directorate) {
    if (user.role === 'academySupervisor') {
      if (!user.academy?.code) throw new CampaignScopeError();
      return { directorateCode: null, academyCode: user.academy.code };
    }
    if (user.role === 'administrator') return { directorateCode: null, academyCode: null };
    throw new CampaignScopeError();
  }
  const [row] = await em.getConnection().execute<Array<{ academy_code: string }>>('select academy_code from provincial_directorate where code = ?', [directorate]);
  if (!row) throw new CampaignScopeError();
  if (user.role === 'academySupervisor' && row.academy_code !== user.academy?.code) throw new CampaignScopeError();
  if (user.role !== 'academySupervisor' && user.role !== 'administrator') throw new CampaignScopeError();
  return { directorateCode: directorate, academyCode: row.academy_code };
}

/** The estimate of a message: recipients per language and channel, SMS segments of each language, total segments and cost. */
export interface CampaignEstimate {
  counts: RecipientCounts;
  segments: { ar: number; fr: number };
  encoding: { ar: string; fr: string };
  totalSms: number;
  totalEmails: number;
  totalSegments: number;
  costCentimes: number;
}

/** The texts of a message of `kind` for `year` in `lang`, as a recipient receives them (a sample opt-out link of the real length). */
export function sampleMessage(config: CampaignConfig, kind: CampaignKind, year: CampaignYear, days: number, lang: CampaignLanguage) {
  const base = config.publicBaseUrl;
  return renderCampaignMessage(kind, lang, {
    schoolYear: year.code, opensOn: displayDate(year.opensOn), closesOn: displayDate(year.closesOn), daysLeft: days,
    campaignUrl: `${base}/campaign/${year.code}?lang=${lang}`, spaceUrl: `${base}/space?lang=${lang}`,
    optOutUrl: `${base}${optOutPath(optOutToken(config.SESSION_SECRET, '00000000-0000-4000-8000-000000000000'))}`,
  });
}

/** Recipients counted with the sending's own SQL; segments of each language's SMS (every recipient's has the same length); cost from the configuration. */
export async function estimateCampaign(em: EntityManager, config: CampaignConfig, spec: RecipientSpec, kind: CampaignKind, year: CampaignYear, days: number): Promise<CampaignEstimate> {
  const counts = await countRecipients(em, spec);
  const ar = campaignSmsSegments(sampleMessage(config, kind, year, days, 'ar').sms);
  const fr = campaignSmsSegments(sampleMessage(config, kind, year, days, 'fr').sms);
  const totalSms = counts.ar.sms + counts.fr.sms;
  const totalSegments = counts.ar.sms * ar.segments + counts.fr.sms * fr.segments;
  return {
    counts, segments: { ar: ar.segments, fr: fr.segments }, encoding: { ar: ar.encoding, fr: fr.encoding },
    totalSms, totalEmails: counts.ar.email + counts.fr.email, totalSegments,
    costCentimes: totalSegments * config.CAMPAIGN_SMS_SEGMENT_COST_CENTIMES,
  };
}

/**
 * Composes a message (status `draft`): checks the choices, the target against the sender's scope
 * (CampaignScopeError), the deadline for a reminder; counts and estimates; records it and the audit
 * entry `campaign.compose`. Returns its id, or the field errors (nothing stored).
 */
export async function composeCampaignMessage(
  em: EntityManager, config: CampaignConfig, user: StaffUser, input: ComposeInput, now: Date, ip?: string,
): Promise<{ id: string } | { errors: FieldError[] }> {
  if (!canSendCampaigns(user)) throw new CampaignScopeError();
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const errors: FieldError[] = [];
  const kind = str(input.kind) as CampaignKind;
  const audience = str(input.audience) as CampaignAudience;
  const channel = str(input.channel) as CampaignChannel;
  if (!CAMPAIGN_KINDS.includes(kind)) errors.push({ field: 'kind', code: 'campaign.error.choose' });
  if (!CAMPAIGN_AUDIENCES.includes(audience)) errors.push({ field: 'audience', code: 'campaign.error.choose' });
  if (!CAMPAIGN_CHANNELS.includes(channel)) errors.push({ field: 'channel', code: 'campaign.error.choose' });
  const { years } = await composeChoices(em, user, now);
  const year = years.find((y) => y.code === str(input.schoolYear));
  if (!year) errors.push({ field: 'schoolYear', code: 'campaign.error.choose' });
  const days = year ? daysLeft(year.closesOn, now) : 0;
  if (year && kind !== 'opening' && todayInCasablanca(now) < year.opensOn) errors.push({ field: 'kind', code: 'campaign.error.notOpen' });
  if (errors.length) return { errors };
  const directorate = str(input.directorate).slice(0, 16);
  const scope = await targetScope(em, user, directorate);
  const spec: RecipientSpec = { schoolYear: year!.code, audience, channel, ...scope };
  const est = await estimateCampaign(em, config, spec, kind, year!, days);
  const id = randomUUID();
  await em.getConnection().execute(
    `insert into campaign_message (id, school_year_code, kind, audience, channel, academy_code, directorate_code, created_by, status, days_left,
       estimated_recipients, estimated_sms, estimated_emails, estimated_segments, estimated_cost_centimes, created_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?)`,
    [id, year!.code, kind, audience, channel, scope.academyCode, scope.directorateCode, user.id, days,
      est.counts.total, est.totalSms, est.totalEmails, est.totalSegments, est.costCentimes, now],
  );
  await recordAudit(em, {
    user, action: 'campaign.compose', ip,
    details: { campaignMessageId: id, kind, audience, channel, schoolYear: year!.code, directorateCode: scope.directorateCode, academyCode: scope.academyCode, recipients: est.counts.total },
  });
  return { id };
}

/** A campaign message as its pages show it, with the progress of its deliveries. */
export interface CampaignMessageView {
  id: string; schoolYear: string; kind: CampaignKind; audience: CampaignAudience; channel: CampaignChannel;
  directorateCode: string | null; academyCode: string | null; status: 'draft' | 'sending' | 'sent'; daysLeft: number;
  estimatedRecipients: number; estimatedSms: number; estimatedEmails: number; estimatedSegments: number; estimatedCostCentimes: number;
  recipients: number | null; createdAt: Date; confirmedAt: Date | null; finishedAt: Date | null; createdBy: string;
  progress: { pending: number; sent: number; failed: number; optedOut: number; segments: number };
  opensOn: string; closesOn: string;
}

/** The scope condition on `campaign_message m` for a user (null: refused). */
function messageScope(user: StaffUser): { sql: string; params: unknown[] } | null {
  if (user.role === 'administrator') return { sql: 'true', params: [] };
  if (user.role === 'provincialSupervisor') return { sql: 'm.directorate_code = ?', params: [user.directorate?.code ?? ''] };
  if (user.role === 'academySupervisor') return { sql: 'm.academy_code = ?', params: [user.academy?.code ?? ''] };
  return null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The campaign messages in the user's scope (newest first, at most `limit`), or one of them by id (`id`). */
export async function listCampaignMessages(em: EntityManager, user: StaffUser, opts: { id?: string; limit?: number } = {}): Promise<CampaignMessageView[]> {
  const scope = messageScope(user);
  if (!scope) return [];
  if (opts.id !== undefined && !UUID.test(opts.id)) return [];
  const rows = await em.getConnection().execute<Array<Record<string, unknown>>>(
    `select m.*, u.display_name, to_char(y.campaign_opens_on, 'YYYY-MM-DD') as opens_on, to_char(y.campaign_closes_on, 'YYYY-MM-DD') as closes_on,
            (select count(*) filter (where d.status = 'pending') from campaign_delivery d where d.campaign_message_id = m.id) as p_pending,
            (select count(*) filter (where d.status = 'sent') from campaign_delivery d where d.campaign_message_id = m.id) as p_sent,
            (select count(*) filter (where d.status = 'failed') from campaign_delivery d where d.campaign_message_id = m.id) as p_failed,
            (select count(*) filter (where d.status = 'optedOut') from campaign_delivery d where d.campaign_message_id = m.id) as p_opted_out,
            (select coalesce(sum(d.segments), 0) from campaign_delivery d where d.campaign_message_id = m.id and d.status = 'sent') as p_segments
       from campaign_message m join staff_user u on u.id = m.created_by join school_year y on y.code = m.school_year_code
      where ${scope.sql} ${opts.id ? 'and m.id = ?' : ''}
      order by m.created_at desc, m.id limit ?`,
    [...scope.params, ...(opts.id ? [opts.id] : []), Math.min(opts.limit ?? 50, 200)],
  );
  const n = (v: unknown) => Number(v ?? 0);
  return rows.map((r) => ({
    id: String(r.id), schoolYear: String(r.school_year_code), kind: r.kind as CampaignKind, audience: r.audience as CampaignAudience,
    channel: r.channel as CampaignChannel, directorateCode: (r.directorate_code as string | null) ?? null, academyCode: (r.academy_code as string | null) ?? null,
    status: r.status as CampaignMessageView['status'], daysLeft: n(r.days_left),
    estimatedRecipients: n(r.estimated_recipients), estimatedSms: n(r.estimated_sms), estimatedEmails: n(r.estimated_emails),
    estimatedSegments: n(r.estimated_segments), estimatedCostCentimes: n(r.estimated_cost_centimes),
    recipients: r.recipients === null ? null : n(r.recipients), createdAt: new Date(String(r.created_at)),
    confirmedAt: r.confirmed_at ? new Date(String(r.confirmed_at)) : null, finishedAt: r.finished_at ? new Date(String(r.finished_at)) : null,
    createdBy: String(r.display_name),
    progress: { pending: n(r.p_pending), sent: n(r.p_sent), failed: n(r.p_failed), optedOut: n(r.p_opted_out), segments: n(r.p_segments) },
    opensOn: String(r.opens_on), closesOn: String(r.closes_on),
  }));
}

/** One campaign message in the user's scope, or null (→ 404). */
export async function campaignMessageInScope(em: EntityManager, user: StaffUser, id: string): Promise<CampaignMessageView | null> {
  return (await listCampaignMessages(em, user, { id }))[0] ?? null;
}

/**
 * Confirms a draft in the user's scope and starts its workflow (`campaign-message-<id>`); the days
 * left are those of the day of sending. Returns false when there is no such draft (already sent,
 * out of scope). Audited as `campaign.send`.
 */
export async function confirmCampaignMessage(
  em: EntityManager, temporal: Client, config: CampaignConfig, user: StaffUser, id: string, now: Date, ip?: string,
): Promise<boolean> {
  const m = await campaignMessageInScope(em, user, id);
  if (!m || m.status !== 'draft' || !canSendCampaigns(user)) return false;
  const updated = await em.getConnection().execute<Array<{ id: string }>>(
    `update campaign_message set status = 'sending', confirmed_at = ?, days_left = ? where id = ? and status = 'draft' returning id`,
    [now, daysLeft(m.closesOn, now), id],
  );
  if (updated.length === 0) return false;
  await recordAudit(em, { user, action: 'campaign.send', ip, details: { campaignMessageId: id, kind: m.kind, audience: m.audience, recipients: m.estimatedRecipients } });
  await startCampaignMessage(temporal, config.TEMPORAL_TASK_QUEUE, {
    campaignMessageId: id, batchSize: config.CAMPAIGN_BATCH_SIZE, timeouts: { heartbeat: `${config.CAMPAIGN_HEARTBEAT_SECONDS} seconds` },
  });
  return true;
}

/** Opts the account named by a signed token out of campaign messages; false for a token that is not ours. Idempotent. */
export async function optOutOfCampaigns(em: EntityManager, secret: string, token: string, now: Date): Promise<boolean> {
  const accountId = verifyOptOutToken(secret, token);
  if (!accountId) return false;
  const rows = await em.getConnection().execute<Array<{ id: string }>>('select id from parent_account where id = ?', [accountId]);
  if (rows.length === 0) return false;
  await em.getConnection().execute(
    'insert into campaign_opt_out (account_id, opted_out_at) values (?, ?) on conflict (account_id) do nothing', [accountId, now],
  );
  return true;
}

/** Whether a token is valid (the opt-out page asks for confirmation only then). */
export function validOptOutToken(secret: string, token: string): boolean {
  return verifyOptOutToken(secret, token) !== null;
}

/** The public page of a school year's campaign: its window, the windows of levels that have their own, the age rules' dates, the days left. */
export async function publicCampaign(em: EntityManager, schoolYear: string, now: Date): Promise<null | {
  year: CampaignYear; status: 'upcoming' | 'open' | 'closed'; daysLeft: number;
  levels: Array<{ level: string; opensOn: string; closesOn: string; eligibleBornOnOrBefore: string | null; toleranceBornFrom: string | null; toleranceBornTo: string | null }>;
}> {
  if (!/^\d{4}-\d{4}$/.test(schoolYear)) return null;
  const conn = em.getConnection();
  const [y] = await conn.execute<Array<{ code: string; opens_on: string; closes_on: string; is_current: boolean }>>(
    `select code, to_char(campaign_opens_on, 'YYYY-MM-DD') as opens_on, to_char(campaign_closes_on, 'YYYY-MM-DD') as closes_on, is_current from school_year where code = ?`, [schoolYear],
  );
  if (!y) return null;
  const levels = await conn.execute<Array<Record<string, string | null>>>(
    `select w.level, to_char(w.opens_on, 'YYYY-MM-DD') as opens_on, to_char(w.closes_on, 'YYYY-MM-DD') as closes_on,
            to_char(r.eligible_born_on_or_before, 'YYYY-MM-DD') as eligible, to_char(r.tolerance_born_from, 'YYYY-MM-DD') as tol_from,
            to_char(r.tolerance_born_to, 'YYYY-MM-DD') as tol_to
       from campaign_window w left join age_rule r on r.school_year_code = w.school_year_code and r.level = w.level
      where w.school_year_code = ? order by case w.level when 'preschool' then 0 else 1 end`, [schoolYear],
  );
  const today = todayInCasablanca(now);
  const year = { code: y.code, opensOn: y.opens_on, closesOn: y.closes_on, isCurrent: y.is_current };
  return {
    year, status: today < year.opensOn ? 'upcoming' : today > year.closesOn ? 'closed' : 'open', daysLeft: daysLeft(year.closesOn, now),
    levels: levels.map((l) => ({
      level: String(l.level), opensOn: String(l.opens_on), closesOn: String(l.closes_on),
      eligibleBornOnOrBefore: l.eligible ?? null, toleranceBornFrom: l.tol_from ?? null, toleranceBornTo: l.tol_to ?? null,
    })),
  };
}
