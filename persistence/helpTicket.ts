/**
 * The ticket of a help request: the asker's capability to follow it at `/help/requests/<ticket>`.
 * It is an HMAC of the request's id under the server's secret (32 base64url characters, 192 bits),
 * so the answer's notification can link to it without the ticket being stored: the database holds
 * its SHA-256 only, and the ticket says nothing about the asker or the request.
 * Shared by the web's services and the notification activity (neither imports the other).
 */
import { createHash, createHmac } from 'node:crypto';

/** The ticket of help request `id`. */
export function helpTicket(secret: string, id: string): string {
  return createHmac('sha256', secret).update(`help-ticket:${id}`).digest('base64url').slice(0, 32);
}

/** SHA-256 (hex) of a ticket, as stored in `help_request.ticket_hash`. */
export function helpTicketHash(ticket: string): string {
  return createHash('sha256').update(ticket).digest('hex');
}

/** Whether `s` has a ticket's shape (checked before any lookup). */
export function isHelpTicket(s: string): boolean {
  return /^[A-Za-z0-9_-]{32}$/.test(s);
}

/** The public address of a help request's status page. */
export function helpTicketUrl(baseUrl: string, ticket: string, lang: 'ar' | 'fr'): string {
  return `${baseUrl}/help/requests/${ticket}?lang=${lang}`;
}
