/**
 * Development outbox (/dev/outbox): the emails captured by the local SMTP sandbox and the SMS
 * captured by the local Twilio-API sandbox. Mounted only when DEV_OUTBOX is on (never in production
 * by default).
 */
import { Router } from 'express';
import type { WebDeps } from '../app';
import { translator } from '../i18n';

interface OutboxRow { id: string; channel: string; sender: string | null; recipient: string; subject: string | null; body: string; created_at: Date }

export function devRouter(deps: WebDeps): Router {
  const r = Router();
  r.get('/outbox', async (req, res) => {
    const rows = await deps.orm.em.fork().getConnection().execute<OutboxRow[]>(
      'select id, channel, sender, recipient, subject, body, created_at from dev_outbox_message order by id desc limit 200',
    );
    res.render('dev/outbox', { title: translator(res.locals.lang)('dev.outbox.title'), rows });
  });
  return r;
}
