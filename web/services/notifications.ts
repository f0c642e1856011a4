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
  const found = await em.find(Notification, { preRegistration: preRegistrationId }, { orderBy: { id: 'asc' } });
  // Messages in the order they were first sent, email before SMS within one (the channels go out in parallel).
  const first = new Map<string, number>();
  found.forEach((n, i) => { if (!first.has(`${n.event}:${n.occurrence}`)) first.set(`${n.event}:${n.occurrence}`, i); });
  const rows = [...found].sort((a, b) => first.get(`${a.event}:${a.occurrence}`)! - first.get(`${b.event}:${b.occurrence}`)! || a.channel.localeCompare(b.channel));
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
