/**
 * The activities of a campaign message (workflow `campaignMessage`): the recipients recorded as
 * delivery rows page by page, the deliveries sent in throttled batches, the message closed.
 *
 * Exactly once per (campaign message, recipient), the protocol of `notifyParent`
 * (activities/notifications.ts) on the `campaign_delivery` table:
 * 1. `recordCampaignRecipients` inserts one `pending` row per recipient, by keyset on the account
 *    id, under the unique constraint (campaign message, account) — BEFORE anything is sent; a
 *    crash in the middle resumes after the last account recorded;
 * 2. `sendCampaignBatch` claims each pending row in its own transaction (`for update skip locked`:
 *    no second worker sends it meanwhile), sends it, and marks it `sent` (provider id, segments) in
 *    that transaction; a permanent refusal marks it `failed`; a parent who opted out since the
 *    rows were recorded is marked `optedOut` and gets nothing; a transient failure rolls back
 *    (the row stays `pending`, its attempt counted) and is thrown: Temporal retries the batch;
 * 3. a crash during a send drops the connection, so the row is `pending` again for the retry. As
 *    for `notifyParent`, the one window left is a crash after the provider accepted a message and
 *    before the commit (neither SMTP nor Twilio takes an idempotency key).
 * Payloads carry the campaign message id and counts only, never a recipient.
 */
import { Context } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/postgresql';
import { RateLimiterMemory, RateLimiterQueue } from 'rate-limiter-flexible';
import type { Config } from '../config';
import {
  campaignSmsSegments, displayDate, optOutPath, optOutToken, renderCampaignMessage, type CampaignAudience, type CampaignChannel,
  type CampaignKind, type CampaignLanguage,
} from '../domain/campaignMessages';
import { recordRecipientPage, type RecipientSpec } from '../persistence/campaignRecipients';
import { EmailRejectedError, type Mailer } from './email';
import { SmsRejectedError, type SmsSender } from './sms';

/** Rows recorded per page when listing the recipients. */
const RECIPIENT_PAGE = 500;

export interface CampaignActivities {
  /** Records one `pending` delivery row per recipient (idempotent, resumable); returns their number. */
  recordCampaignRecipients(campaignMessageId: string): Promise<{ recipients: number }>;
  /** Sends up to `batchSize` pending deliveries at the configured rate; returns what happened and how many are still pending. */
  sendCampaignBatch(campaignMessageId: string, batchSize: number): Promise<{ sent: number; failed: number; optedOut: number; remaining: number }>;
  /** Marks the campaign message `sent` (once no delivery is pending). */
  finishCampaignMessage(campaignMessageId: string): Promise<void>;
}

interface MessageRow {
  id: string; school_year_code: string; kind: CampaignKind; audience: CampaignAudience; channel: CampaignChannel;
  academy_code: string | null; directorate_code: string | null; days_left: number; recipients: number | null;
  opens_on: string; closes_on: string;
}

/** Waits for the right to send one more message of a campaign message (the sending rate). */
export type CampaignPace = (campaignMessageId: string) => Promise<void>;

/** A pace of `perSecond` messages per second for each campaign message (rate-limiter-flexible's queue), per worker. */
export function ratePace(perSecond: number): CampaignPace {
  const queues = new Map<string, RateLimiterQueue>();
  return async (id) => {
    let q = queues.get(id);
    if (!q) {
      q = new RateLimiterQueue(new RateLimiterMemory({ points: Math.max(1, Math.floor(perSecond)), duration: 1 }), { maxQueueSize: 10000 });
      if (queues.size > 100) queues.clear();
      queues.set(id, q);
    }
    await q.removeTokens(1);
  };
}

export function createCampaignActivities(deps: { orm: MikroORM; config: Config; mailer: Mailer; sms: SmsSender; pace?: CampaignPace }): CampaignActivities {
  const { orm, config, mailer, sms } = deps;
  const pace = deps.pace ?? ratePace(config.CAMPAIGN_SEND_RATE);

  async function message(id: string): Promise<MessageRow> {
    const [row] = await orm.em.fork().getConnection().execute<MessageRow[]>(
      `select m.id, m.school_year_code, m.kind, m.audience, m.channel, m.academy_code, m.directorate_code, m.days_left, m.recipients,
              to_char(y.campaign_opens_on, 'YYYY-MM-DD') as opens_on, to_char(y.campaign_closes_on, 'YYYY-MM-DD') as closes_on
         from campaign_message m join school_year y on y.code = m.school_year_code where m.id = ?`, [id],
    );
    if (!row) throw new Error('campaign message not found');
    return row;
  }

  const spec = (m: MessageRow): RecipientSpec => ({
    schoolYear: m.school_year_code, audience: m.audience, channel: m.channel, directorateCode: m.directorate_code, academyCode: m.academy_code,
  });

  return {
    async recordCampaignRecipients(id) {
      const m = await message(id);
      if (m.recipients !== null) return { recipients: m.recipients };
      for (;;) {
        const page = await recordRecipientPage(orm.em.fork(), id, spec(m), RECIPIENT_PAGE);
        Context.current().heartbeat();
        if (page.done) break;
      }
      const conn = orm.em.fork().getConnection();
      const [{ n }] = await conn.execute<Array<{ n: string }>>('select count(*) as n from campaign_delivery where campaign_message_id = ?', [id]);
      await conn.execute('update campaign_message set recipients = ? where id = ?', [Number(n), id]);
      return { recipients: Number(n) };
    },

    async sendCampaignBatch(id, batchSize) {
      const m = await message(id);
      const base = config.publicBaseUrl;
      const data = (lang: CampaignLanguage, accountId: string) => ({
        schoolYear: m.school_year_code, opensOn: displayDate(m.opens_on), closesOn: displayDate(m.closes_on), daysLeft: m.days_left,
        campaignUrl: `${base}/campaign/${m.school_year_code}?lang=${lang}`, spaceUrl: `${base}/space?lang=${lang}`,
        optOutUrl: `${base}${optOutPath(optOutToken(config.SESSION_SECRET, accountId))}`,
      });
      const conn = orm.em.fork().getConnection();
      const ids = await conn.execute<Array<{ id: string }>>(
        `select id from campaign_delivery where campaign_message_id = ? and status = 'pending' order by id limit ?`, [id, Math.max(1, Math.min(batchSize, 1000))],
      );
      const out = { sent: 0, failed: 0, optedOut: 0, remaining: 0 };
      let transient: unknown = null;
      for (const { id: deliveryId } of ids) {
        if (transient) break;
        try {
          await conn.transactional(async (trx) => {
            const q = <T extends object[] = object[]>(sql: string, params: unknown[]) => conn.execute<T>(sql, params, 'all', trx);
            const [row] = await q<Array<{ account_id: string; channel: 'email' | 'sms'; language: CampaignLanguage; email: string | null; phone: string | null; opted_out: boolean }>>(
              `select d.account_id, d.channel, d.language, a.email, a.phone,
                      exists (select 1 from campaign_opt_out o where o.account_id = d.account_id) as opted_out
                 from campaign_delivery d join parent_account a on a.id = d.account_id
                where d.id = ? and d.status = 'pending' for update of d skip locked`, [deliveryId],
            );
            if (!row) return; // sent meanwhile, or being sent by another attempt
            const to = row.channel === 'email' ? row.email : row.phone;
            if (row.opted_out || !to) {
              await q('update campaign_delivery set status = ? where id = ?', [row.opted_out ? 'optedOut' : 'failed', deliveryId]);
              if (row.opted_out) out.optedOut += 1; else out.failed += 1;
              return;
            }
            const rendered = renderCampaignMessage(m.kind, row.language, data(row.language, row.account_id));
            await pace(id);
            await q('update campaign_delivery set attempts = attempts + 1 where id = ?', [deliveryId]);
            try {
              if (row.channel === 'email') {
                const { messageId } = await mailer.send({
                  to, subject: rendered.subject, text: rendered.text, html: rendered.html,
                  headers: { 'X-Tasjil-Campaign': id, 'List-Unsubscribe': `<${data(row.language, row.account_id).optOutUrl}>` },
                });
                await q(`update campaign_delivery set status = 'sent', provider_message_id = ?, sent_at = now(), error = null where id = ?`, [messageId.slice(0, 255), deliveryId]);
              } else {
                const { sid, numSegments } = await sms.send({ to, body: rendered.sms });
                const segments = Number.isFinite(numSegments) && numSegments > 0 ? numSegments : campaignSmsSegments(rendered.sms).segments;
                await q(`update campaign_delivery set status = 'sent', provider_message_id = ?, segments = ?, sent_at = now(), error = null where id = ?`, [sid.slice(0, 255), segments, deliveryId]);
              }
              out.sent += 1;
            } catch (err) {
              if (err instanceof EmailRejectedError || err instanceof SmsRejectedError) {
                await q(`update campaign_delivery set status = 'failed', error = ? where id = ?`, [err.message.slice(0, 500), deliveryId]);
                out.failed += 1;
                return;
              }
              throw err;
            }
          });
        } catch (err) {
          transient = err;
        }
        Context.current().heartbeat();
      }
      if (transient) throw transient;
      const [{ n }] = await conn.execute<Array<{ n: string }>>(`select count(*) as n from campaign_delivery where campaign_message_id = ? and status = 'pending'`, [id]);
      out.remaining = Number(n);
      return out;
    },

    async finishCampaignMessage(id) {
      await orm.em.fork().getConnection().execute(
        `update campaign_message set status = 'sent', finished_at = coalesce(finished_at, now()) where id = ?
            and not exists (select 1 from campaign_delivery where campaign_message_id = ? and status = 'pending')`, [id, id],
      );
    },
  };
}
