/**
 * Parent notifications: one activity that renders the Arabic or French template of an event and
 * sends it by email (SMTP adapter) and by SMS (Twilio adapter) when the guardian gave an address or
 * a mobile number. Each (request, event, channel) is sent once: a `notification` row is written
 * after a successful send and checked before sending, so a retried activity does not resend.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import type { Config } from '../config';
import { Notification, PreRegistration, RejectionReason } from '../entities';
import { addEvent } from './database';
import type { Mailer } from './email';
import type { SmsSender } from './sms';
import { renderNotification, type NotificationEvent } from './templates';
import type { Activities } from './types';

/** Builds `notifyParent` over the ORM and the two channel adapters. */
export function createNotificationActivities(deps: { orm: MikroORM; config: Config; mailer: Mailer; sms: SmsSender }): Pick<Activities, 'notifyParent'> {
  const { orm, config, mailer, sms } = deps;
  return {
    async notifyParent(reference: string, event: NotificationEvent) {
      const em = orm.em.fork();
      const pr = await em.findOne(PreRegistration, { reference }, { populate: ['school'] });
      if (!pr) throw ApplicationFailure.nonRetryable(`pre-registration ${reference} not found`, 'PreRegistrationNotFound');
      const lang = pr.language === 'fr' ? 'fr' : 'ar';
      let reasons: string[] | undefined;
      if (event === 'rejected') {
        const rows = await em.find(RejectionReason, { code: { $in: pr.rejectionReasons } }, { orderBy: { sortOrder: 'asc' } });
        reasons = rows.map((r) => (lang === 'ar' ? r.textAr : r.textFr));
        if (pr.decisionNote) reasons.push(pr.decisionNote);
      }
      const message = renderNotification(event, lang, {
        reference,
        childFirstName: lang === 'ar' ? pr.childFirstNameAr : pr.childFirstNameLatin,
        schoolName: lang === 'ar' ? pr.school.nameAr : pr.school.nameFr,
        massarCode: pr.massarCode ?? undefined,
        reasons,
        statusUrl: `${config.publicBaseUrl}/pre-registrations/${encodeURIComponent(reference)}?lang=${lang}`,
      });
      const sent = await em.find(Notification, { preRegistration: pr, event });
      const done = new Set(sent.map((n) => n.channel));
      const result: { email: 'sent' | 'skipped'; sms: 'sent' | 'skipped' } = { email: 'skipped', sms: 'skipped' };

      if (pr.contactEmail) {
        if (!done.has('email')) {
          const { messageId } = await mailer.send({
            to: pr.contactEmail, subject: message.subject, text: message.text, html: message.html,
            headers: { 'X-Tasjil-Reference': reference, 'X-Tasjil-Event': event },
          });
          em.create(Notification, { preRegistration: pr, event, channel: 'email', status: 'sent', providerMessageId: messageId, sentAt: new Date() });
          await em.flush();
          await addEvent(em, pr, `notification:${event}:email`, 'notification', { details: { event, channel: 'email' } });
        }
        result.email = 'sent';
      }
      if (pr.contactPhone && pr.contactPhoneIsMobile) {
        if (!done.has('sms')) {
          const { sid } = await sms.send({ to: pr.contactPhone, body: message.sms });
          em.create(Notification, { preRegistration: pr, event, channel: 'sms', status: 'sent', providerMessageId: sid, sentAt: new Date() });
          await em.flush();
          await addEvent(em, pr, `notification:${event}:sms`, 'notification', { details: { event, channel: 'sms' } });
        }
        result.sms = 'sent';
      }
      return result;
    },
  };
}
