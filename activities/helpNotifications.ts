/**
 * The answer to a help request, sent to the asker by email or SMS (the channel they chose), through
 * the same exactly-once protocol as the parents' notifications (`deliverOnce`, table
 * `notification`, key `help:<help request id>:<answer number>:<channel>`): a retried activity or a
 * second worker never sends an answer twice. Started by the workflow `helpAnswer` (id naming the
 * help request and the answer's number only). The texts are in templates/help/answer.<lang>.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApplicationFailure, Context } from '@temporalio/activity';
import Handlebars from 'handlebars';
import type { Config } from '../config';
import { GREEN_NUMBER } from '../domain/help';
import { HelpAnswer, HelpRequest, ProvincialDirectorate, School } from '../entities';
import { helpTicket, helpTicketUrl } from '../persistence/helpTicket';
import type { Mailer } from './email';
import { deliverOnce, type ChannelOutcome } from './notifications';
import type { SmsSender } from './sms';
import { LRI, PDI, smsSegments, withinSegments } from './templates';
import type { Activities } from './types';

type Lang = 'ar' | 'fr';
type Texts = Record<'subject' | 'greeting' | 'intro' | 'follow' | 'greenNumber' | 'signature' | 'smsFull' | 'smsLink', string>;

const TEXTS: Record<Lang, Record<keyof Texts, Handlebars.TemplateDelegate>> = (() => {
  const out = {} as Record<Lang, Record<keyof Texts, Handlebars.TemplateDelegate>>;
  for (const lang of ['ar', 'fr'] as const) {
    const raw = JSON.parse(fs.readFileSync(path.join(__dirname, 'templates', 'help', `answer.${lang}.json`), 'utf8')) as Texts;
    out[lang] = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Handlebars.compile(v, { noEscape: true, strict: true })])) as Record<keyof Texts, Handlebars.TemplateDelegate>;
  }
  return out;
})();

/** `2027-01-05` style date of `d` in Casablanca. */
function day(d: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Africa/Casablanca', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** The rendered answer: email subject, text and HTML, and the SMS (the answer, or a link when it would exceed two segments). */
export function renderHelpAnswer(lang: Lang, data: { from: string; createdAt: Date; answer: string; url: string }): { subject: string; text: string; html: string; sms: string } {
  const t = TEXTS[lang];
  // Left-to-right runs (date, link, number) isolated inside Arabic text.
  const ltr = (s: string) => (lang === 'ar' ? `${LRI}${s}${PDI}` : s);
  const esc = Handlebars.escapeExpression;
  const date = day(data.createdAt);
  const intro = t.intro({ from: data.from, date: ltr(date) });
  const green = t.greenNumber({ number: ltr(GREEN_NUMBER.display) });
  const text = [t.greeting({}), '', intro, '', data.answer, '', `${t.follow({})} ${ltr(data.url)}`, '', green, '', '--', t.signature({})].join('\n');
  const dir = lang === 'ar' ? 'rtl' : 'ltr';
  const html = `<!DOCTYPE html><html lang="${lang}" dir="${dir}"><head><meta charset="utf-8"><title>${esc(t.subject({}))}</title></head><body>`
    + `<p>${esc(t.greeting({}))}</p>`
    + `<p>${esc(t.intro({ from: data.from, date: '\u0000' })).replace('\u0000', `<bdi dir="ltr">${esc(date)}</bdi>`)}</p>`
    + `<blockquote dir="auto" style="white-space:pre-wrap">${esc(data.answer)}</blockquote>`
    + `<p>${esc(t.follow({}))} <a href="${esc(data.url)}"><bdi dir="ltr">${esc(data.url)}</bdi></a></p>`
    + `<p>${esc(t.greenNumber({ number: '\u0000' })).replace('\u0000', `<a href="tel:${GREEN_NUMBER.tel}"><bdi dir="ltr">${esc(GREEN_NUMBER.display)}</bdi></a>`)}</p>`
    + `<p style="color:#555">${esc(t.signature({})).replace(/\n/g, '<br>')}</p></body></html>`;
  const full = t.smsFull({ answer: data.answer.replace(/\s+/g, ' ').trim() });
  const sms = withinSegments(full, 2) ? full : t.smsLink({ url: ltr(data.url) });
  return { subject: t.subject({}), text, html, sms };
}

/** Attempts of `notifyHelpAnswer` that wait for the answer's transaction to commit before it is treated as rolled back. */
export const HELP_ANSWER_VISIBLE_ATTEMPTS = 8;

/** Builds `notifyHelpAnswer`. */
export function createHelpNotificationActivities(deps: { orm: MikroORM; config: Config; mailer: Mailer; sms: SmsSender }): Pick<Activities, 'notifyHelpAnswer'> {
  const { orm, config, mailer, sms } = deps;
  return {
    async notifyHelpAnswer(helpRequestId: string, seq: number): Promise<{ channel: 'email' | 'sms'; outcome: ChannelOutcome }> {
      const em = orm.em.fork();
      const hr = await em.findOne(HelpRequest, { id: helpRequestId });
      const answer = hr ? await em.findOne(HelpAnswer, { helpRequestId, seq }) : null;
      if (!hr || !answer) {
        // The web starts this workflow inside the transaction that stores the answer: until that
        // transaction commits (milliseconds; longer under load) the answer is not visible yet, so
        // the first attempts retry. Still absent after them, the answer was rolled back: give up.
        const message = `help answer ${seq} of ${helpRequestId} not found`;
        if (Context.current().info.attempt < HELP_ANSWER_VISIBLE_ATTEMPTS) throw ApplicationFailure.retryable(message, 'HelpAnswerNotYetVisible');
        throw ApplicationFailure.nonRetryable(message, 'HelpAnswerNotFound');
      }
      const lang: Lang = hr.language === 'fr' ? 'fr' : 'ar';
      const school = hr.schoolCode ? await em.findOne(School, { code: hr.schoolCode }) : null;
      const directorate = school ? null : await em.findOne(ProvincialDirectorate, { code: hr.directorateCode });
      const named = school ?? directorate;
      const from = named ? (lang === 'ar' ? named.nameAr : named.nameFr) : 'Tasjil';
      const url = helpTicketUrl(config.publicBaseUrl, helpTicket(config.SESSION_SECRET, hr.id), lang);
      const message = renderHelpAnswer(lang, { from, createdAt: hr.createdAt, answer: answer.body, url });
      const row = { key: `help:${hr.id}:${seq}:${hr.channel}`, helpRequestId: hr.id, event: 'helpAnswer', occurrence: seq, channel: hr.channel, recipient: hr.contact };
      const r = hr.channel === 'email'
        ? await deliverOnce(em, row, async () => {
          const { messageId } = await mailer.send({ to: hr.contact, subject: message.subject, text: message.text, html: message.html, headers: { 'X-Tasjil-Event': 'helpAnswer' } });
          return { providerMessageId: messageId, segments: null };
        })
        : await deliverOnce(em, row, async () => {
          const { sid, numSegments } = await sms.send({ to: hr.contact, body: message.sms });
          return { providerMessageId: sid, segments: Number.isFinite(numSegments) && numSegments > 0 ? numSegments : smsSegments(message.sms).segments };
        });
      return { channel: hr.channel, outcome: r.outcome };
    },
  };
}
