/**
 * The notifications of one request as staff see them (director review page, supervisor): each
 * event × occurrence × channel with its delivery status, the recipient, the permanent error if
 * any, the SMS segment count and when it was sent.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Notification } from '../../entities';

/** One notification row for display. `status`: `pending` (being sent or retried), `sent`, `skipped`, `failed`. */
export interface NotificationView {
  event: string;
  occurrence: number;
  channel: 'email' | 'sms';
  status: 'pending' | 'sent' | 'skipped' | 'failed';
  recipient: string;
  error: string | null;
  segments: number | null;
  sentAt: Date | null;
}

/** The notifications of a pre-registration (by its id), oldest first. */
export async function notificationsFor(em: EntityManager, preRegistrationId: string): Promise<NotificationView[]> {
  const rows = await em.find(Notification, { preRegistration: preRegistrationId }, { orderBy: { id: 'asc' } });
  return rows.map((n) => ({
    event: n.event,
    occurrence: n.occurrence,
    channel: n.channel,
    status: n.status,
    recipient: n.recipient,
    error: n.error ?? null,
    segments: n.segments ?? null,
    sentAt: n.sentAt ?? null,
  }));
}
