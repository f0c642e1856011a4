/**
 * Who a campaign message reaches, in one SQL shared by the staff pages (recipients counted before
 * sending) and the sending activity (delivery rows recorded page by page): verified parents'
 * accounts of the audience, within the sender's scope, not opted out, reachable on the channel.
 *
 * A parent's directorate is the one of their residence: for `unfinishedDrafts`, the residence of
 * an unfinished draft (else the account's saved residence); otherwise the account's saved residence,
 * else that of its latest draft. An account with no residence at all is reached only by a
 * campaign of everything (administrators).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CampaignAudience, CampaignChannel } from '../domain/campaignMessages';

/** What selects the recipients (a campaign message's row, or the form being composed). */
export interface RecipientSpec {
  schoolYear: string;
  audience: CampaignAudience;
  channel: CampaignChannel;
  /** One directorate; else one academy; neither: everything. */
  directorateCode?: string | null;
  academyCode?: string | null;
}

/** Recipients per language and channel. */
export interface RecipientCounts { total: number; ar: { email: number; sms: number }; fr: { email: number; sms: number } }

const DRAFT_DIRECTORATE = `nullif(d.data->'residence'->>'directorate', '')`;
const PROFILE_DIRECTORATE = `nullif(a.profile->'residence'->>'directorate', '')`;

/** `where` clause (on `parent_account a`) and its parameters. */
function recipientsWhere(spec: RecipientSpec): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const scope = (dir: string): string => {
    if (spec.directorateCode) { params.push(spec.directorateCode); return `${dir} = ?`; }
    if (spec.academyCode) { params.push(spec.academyCode); return `${dir} in (select pd.code from provincial_directorate pd where pd.academy_code = ?)`; }
    return 'true';
  };
  const unfinished = `d.account_id = a.id and d.submitted_at is null and d.reference is null and d.data->>'schoolYear' = ?`;
  let audience: string;
  if (spec.audience === 'unfinishedDrafts') {
    params.push(spec.schoolYear);
    audience = `exists (select 1 from pre_registration_draft d where ${unfinished} and ${scope(`coalesce(${DRAFT_DIRECTORATE}, ${PROFILE_DIRECTORATE})`)})`;
  } else {
    const home = `coalesce(${PROFILE_DIRECTORATE}, (select ${DRAFT_DIRECTORATE} from pre_registration_draft d
      where d.account_id = a.id and ${DRAFT_DIRECTORATE} is not null order by d.updated_at desc limit 1))`;
    audience = scope(home);
    if (spec.audience === 'noSubmission') {
      audience += ' and not exists (select 1 from pre_registration p where p.parent_account_id = a.id and p.school_year = ?)';
      params.push(spec.schoolYear);
    }
  }
  const channel = spec.channel === 'email' ? 'and a.email is not null' : spec.channel === 'sms' ? 'and a.phone is not null' : '';
  return {
    sql: `a.verified_at is not null ${channel}
      and not exists (select 1 from campaign_opt_out o where o.account_id = a.id)
      and ${audience}`,
    params,
  };
}

/** The channel a recipient is reached on: email when the account has an address (and the message allows it), else SMS. */
const CHANNEL_SQL = (channel: CampaignChannel) =>
  channel === 'sms' ? `'sms'` : channel === 'email' ? `'email'` : `case when a.email is not null then 'email' else 'sms' end`;

/** Counts the recipients of `spec` per language and channel (exact: the same SQL as the sending). */
export async function countRecipients(em: EntityManager, spec: RecipientSpec): Promise<RecipientCounts> {
  const w = recipientsWhere(spec);
  const rows = await em.getConnection().execute<Array<{ language: string; channel: string; n: string }>>(
    `select case when a.language = 'fr' then 'fr' else 'ar' end as language, ${CHANNEL_SQL(spec.channel)} as channel, count(*) as n
       from parent_account a where ${w.sql} group by 1, 2`,
    w.params,
  );
  const out: RecipientCounts = { total: 0, ar: { email: 0, sms: 0 }, fr: { email: 0, sms: 0 } };
  for (const r of rows) {
    const n = Number(r.n);
    out[r.language as 'ar' | 'fr'][r.channel as 'email' | 'sms'] += n;
    out.total += n;
  }
  return out;
}

/**
 * Records the delivery rows of the next page of recipients of campaign message `id`, by keyset on
 * the account id: the accounts after the greatest one already recorded for this message (so a
 * crash in the middle resumes where it stopped, and `on conflict do nothing` makes a page recorded
 * twice harmless). Returns how many rows the page added and whether it was the last.
 */
export async function recordRecipientPage(em: EntityManager, id: string, spec: RecipientSpec, pageSize: number): Promise<{ added: number; done: boolean }> {
  const conn = em.getConnection();
  const [{ after }] = await conn.execute<Array<{ after: string | null }>>(
    'select max(account_id::text) as after from campaign_delivery where campaign_message_id = ?', [id],
  );
  const w = recipientsWhere(spec);
  const page = await conn.execute<Array<{ id: string }>>(
    `insert into campaign_delivery (campaign_message_id, account_id, channel, language, status)
     select ?, a.id, ${CHANNEL_SQL(spec.channel)}, case when a.language = 'fr' then 'fr' else 'ar' end, 'pending'
       from parent_account a
      where ${w.sql} ${after ? 'and a.id::text > ?' : ''}
      order by a.id::text limit ?
     on conflict on constraint campaign_delivery_once do nothing
     returning id`,
    [id, ...w.params, ...(after ? [after] : []), pageSize],
  );
  return { added: page.length, done: page.length < pageSize };
}
