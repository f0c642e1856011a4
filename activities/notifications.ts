/**
 * Parent notifications, exactly once per (request, event, occurrence, channel).
 *
 * `notifyParent` renders the Arabic or French template of an event and sends it by email (SMTP
 * adapter) and by SMS (Twilio adapter) when the guardian gave an address or a mobile number.
 *
 * Protocol, per channel:
 * 1. `insert … on conflict do nothing` a `notification` row, status `pending`, under the
 *    idempotency key `<request id>:<event>:<occurrence>:<channel>` — BEFORE anything is sent;
 * 2. read the row back: `sent`, `failed` or `skipped` → nothing is sent again (a retried activity,
 *    a replayed workflow task or a second worker all stop here);
 * 3. send; on success the row becomes `sent` with the provider's message id (and, for SMS, the
 *    segment count) and a timeline event `notification:<event>[:<occurrence>]:<channel>` is added;
 * 4. a permanent refusal (invalid address or number, message refused for good) makes the row
 *    `failed` with the provider's error (codes only, never personal data), adds the timeline event,
 *    and the activity returns normally — the other channel is still tried;
 * 5. a transient failure (server down, timeout, HTTP 5xx/429) leaves the row `pending` and, once
 *    the other channel has been tried, is thrown: Temporal retries the activity with backoff.
 *
 * The one window left is a crash between the provider accepting a message and step 3's update: the
 * row is still `pending` and the retry sends again (at-least-once there; neither SMTP nor Twilio
 * takes an idempotency key). `attempts` counts the sends tried, so such a case is visible.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import { decisionDueOn } from '../domain/deadlines';
import { PreRegistration, RejectionReason, SchoolYear } from '../entities';
import { addEvent } from './database';
import { EmailRejectedError, type Mailer } from './email';
import { SmsRejectedError, type SmsSender } from './sms';
import { renderNotification, smsSegments, type NotificationEvent, type RenderedNotification } from './templates';
import type { Activities } from './types';

/** What happened on one channel: sent (now or before), not applicable, or failed for good. */
export type ChannelOutcome = 'sent' | 'skipped' | 'failed';

type Channel = 'email' | 'sms';
export type Em = ReturnType<MikroORM['em']['fork']>;

/** The idempotency key of one notification: `<request id>:<event>:<occurrence>:<channel>`. */
export function notificationKey(preRegistrationId: string, event: string, occurrence: number, channel: Channel): string {
  return `${preRegistrationId}:${event}:${occurrence}:${channel}`;
}

/**
 * The timeline event key of one notification: `notification:<event>:<channel>` for a first
 * occurrence (0), `notification:<event>:<occurrence>:<channel>` for repeats (e.g. 2nd correction).
 */
export function notificationEventKey(event: string, occurrence: number, channel: Channel): string {
  return occurrence === 0 ? `notification:${event}:${channel}` : `notification:${event}:${occurrence}:${channel}`;
}

/** Result of one provider send. */
export interface SendResult { providerMessageId: string; segments: number | null }

/** The subject of one notification row: a pre-registration, or a help request (its answers). */
export interface NotificationRow {
  key: string;
  preRegistrationId?: string | null;
  helpRequestId?: string | null;
  event: string;
  occurrence: number;
  channel: Channel;
  recipient: string;
}

/**
 * The exactly-once protocol of one notification on one channel (steps 1–5 above), for any subject:
 * the row under `row.key` is inserted `pending` before anything is sent; a row already `sent`,
 * `failed` or `skipped` is not sent again; a permanent refusal makes it `failed`; a transient
 * failure leaves it `pending` and is thrown (the activity is retried).
 * @returns the outcome, `justNow` when this call made the row `sent` or `failed` (the caller then
 *   records it, e.g. on the request's timeline), and the refusal's message.
 */
export async function deliverOnce(em: Em, row: NotificationRow, send: () => Promise<SendResult>): Promise<{ outcome: ChannelOutcome; justNow: boolean; error?: string }> {
  const conn = em.getConnection();
  const { key } = row;
  await conn.execute(
    `insert into notification (pre_registration_id, help_request_id, event, occurrence, channel, idempotency_key, recipient, status, attempts, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, 'pending', 0, now()) on conflict (idempotency_key) do nothing`,
    [row.preRegistrationId ?? null, row.helpRequestId ?? null, row.event, row.occurrence, row.channel, key, row.recipient],
  );
  const rows = await conn.execute<{ status: string }[]>(
    `update notification set attempts = attempts + 1, updated_at = now()
      where idempotency_key = ? and status = 'pending' returning status`,
    [key],
  );
  if (rows.length === 0) {
    const [found] = await conn.execute<{ status: ChannelOutcome }[]>('select status from notification where idempotency_key = ?', [key]);
    return { outcome: found?.status ?? 'skipped', justNow: false };
  }
  let result: SendResult;
  try {
    result = await send();
  } catch (err) {
    if (err instanceof EmailRejectedError || err instanceof SmsRejectedError) {
      const message = err.message.slice(0, 500);
      await conn.execute(
        `update notification set status = 'failed', error = ?, updated_at = now() where idempotency_key = ? and status = 'pending'`,
        [message, key],
      );
      return { outcome: 'failed', justNow: true, error: message };
    }
    await conn.execute('update notification set error = ?, updated_at = now() where idempotency_key = ?', [
      (err instanceof Error ? err.message : 'send failed').slice(0, 500), key,
    ]);
    throw err;
  }
  await conn.execute(
    `update notification set status = 'sent', provider_message_id = ?, segments = ?, error = null, sent_at = now(), updated_at = now()
      where idempotency_key = ?`,
    [result.providerMessageId.slice(0, 255), result.segments, key],
  );
  return { outcome: 'sent', justNow: true };
}

/** Builds `notifyParent` over the ORM and the two channel adapters. */
export function createNotificationActivities(deps: { orm: MikroORM; config: Config; mailer: Mailer; sms: SmsSender }): Pick<Activities, 'notifyParent'> {
  const { orm, config, mailer, sms } = deps;

  /** Runs the pending → sent/failed protocol for one channel; throws only transient failures. */
  async function deliver(
    em: Em, pr: PreRegistration, event: NotificationEvent, occurrence: number, channel: Channel, recipient: string,
    send: () => Promise<SendResult>,
  ): Promise<ChannelOutcome> {
    const eventKey = notificationEventKey(event, occurrence, channel);
    const r = await deliverOnce(em, { key: notificationKey(pr.id, event, occurrence, channel), preRegistrationId: pr.id, event, occurrence, channel, recipient }, send);
    if (r.justNow) await addEvent(em, pr, eventKey, 'notification', { details: { event, occurrence, channel, status: r.outcome, ...(r.error ? { error: r.error } : {}) } });
    return r.outcome;
  }

  async function render(em: Em, pr: PreRegistration, event: NotificationEvent): Promise<RenderedNotification> {
    const lang = pr.language === 'fr' ? 'fr' : 'ar';
    let reasons: string[] | undefined;
    if (event === 'rejected') {
      const rows = await em.find(RejectionReason, { code: { $in: pr.rejectionReasons } }, { orderBy: { sortOrder: 'asc' } });
      reasons = rows.map((r) => (lang === 'ar' ? r.textAr : r.textFr));
      if (pr.decisionNote) reasons.push(pr.decisionNote);
    }
    // The school year's deadlines: the decision due (submission + escalation days) and the day to bring the originals.
    const year = await em.findOne(SchoolYear, { code: pr.schoolYear });
    try {
      return renderNotification(event, lang, {
        reference: pr.reference,
        childFirstName: lang === 'ar' ? pr.childFirstNameAr : pr.childFirstNameLatin,
        schoolName: lang === 'ar' ? pr.school.nameAr : pr.school.nameFr,
        massarCode: pr.massarCode ?? undefined,
        reasons,
        correctionMessage: pr.correctionMessage ?? undefined,
        statusUrl: `${config.publicBaseUrl}/pre-registrations/${encodeURIComponent(pr.reference)}?lang=${lang}`,
        decisionDueOn: decisionDueOn(pr.submittedAt, year?.escalationDays ?? 14),
        schoolAddress: lang === 'ar' ? pr.school.addressAr : pr.school.addressFr,
        originalsDueBy: year?.originalsDueBy ?? null,
      });
    } catch (err) {
      // A missing datum (e.g. no correction message stored yet) may be written by a concurrent
      // request: keep retrying. The message names the datum, never its value.
      throw ApplicationFailure.retryable(err instanceof Error ? err.message : 'template failed', 'NotificationDataMissing');
    }
  }

  return {
    async notifyParent(reference: string, event: NotificationEvent, occurrence: number) {
      const em = orm.em.fork();
      const pr = await em.findOne(PreRegistration, { reference }, { populate: ['school'] });
      if (!pr) throw ApplicationFailure.nonRetryable(`pre-registration ${reference} not found`, 'PreRegistrationNotFound');
      const occ = Number.isInteger(occurrence) && occurrence >= 0 ? occurrence : 0;
      const wantEmail = Boolean(pr.contactEmail);
      const wantSms = Boolean(pr.contactPhone && pr.contactPhoneIsMobile);
      const result: { email: ChannelOutcome; sms: ChannelOutcome } = { email: 'skipped', sms: 'skipped' };
      if (!wantEmail && !wantSms) return result;
      const message = await render(em, pr, event);

      // The two channels are independent: sent in parallel, each through its own exactly-once protocol;
      // both are tried before a transient failure is thrown, so one never holds up the other.
      const transient: unknown[] = [];
      const channel = async (run: () => Promise<ChannelOutcome>, set: (o: ChannelOutcome) => void) => {
        try {
          set(await run());
        } catch (err) {
          transient.push(err);
        }
      };
      await Promise.all([
        wantEmail && channel(() => deliver(em, pr, event, occ, 'email', pr.contactEmail, async () => {
          const { messageId } = await mailer.send({
            to: pr.contactEmail, subject: message.subject, text: message.text, html: message.html,
            headers: { 'X-Tasjil-Reference': reference, 'X-Tasjil-Event': event, 'X-Tasjil-Occurrence': String(occ) },
          });
          return { providerMessageId: messageId, segments: null };
        }), (o) => { result.email = o; }),
        wantSms && channel(() => deliver(em, pr, event, occ, 'sms', pr.contactPhone, async () => {
          const { sid, numSegments } = await sms.send({ to: pr.contactPhone, body: message.sms });
          return { providerMessageId: sid, segments: Number.isFinite(numSegments) && numSegments > 0 ? numSegments : smsSegments(message.sms).segments };
        }), (o) => { result.sms = o; }),
      ]);
      if (transient.length > 0) throw transient[0];
      return result;
    },
  };
}
