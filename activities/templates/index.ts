/**
 * Parent notifications: Handlebars templates in Arabic and French, one set per event, each with
 * an email subject, a plain-text body, an HTML body and a short SMS.
 *
 * Files: `activities/templates/<language>/<event>.<part>.hbs` with part `subject`, `text`, `html`,
 * `sms`, and `<language>/layout.html.hbs`, the HTML frame (a partial named `<language>/layout`).
 * They are read and compiled once, when this module is first imported (a build that copies the
 * TypeScript elsewhere must copy the `.hbs` files beside it).
 *
 * Bidirectional text: reference, Massar code and URL are left-to-right runs inside Arabic text.
 * The helper `{{ltr x}}` wraps them in `<bdi dir="ltr">…</bdi>` in HTML and, in Arabic subject,
 * text and SMS, between LEFT-TO-RIGHT ISOLATE U+2066 and POP DIRECTIONAL ISOLATE U+2069 (in French
 * text and SMS it adds nothing, so French SMS stay GSM-7). `{{isolate x}}` wraps free text whose
 * direction is unknown (rejection reasons, a director's note) in `<bdi>` / U+2068…U+2069 (FIRST
 * STRONG ISOLATE).
 *
 * Escaping: HTML templates escape every value (Handlebars `{{ }}`); subject, text and SMS are not
 * HTML and are rendered without escaping. All templates compile in strict mode: a template that
 * names a missing datum throws.
 */
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

import { toGsm7, withinSegments } from './segments';

export { smsSegments, toGsm7, withinSegments, type SmsSegmentInfo } from './segments';

/** Most segments an SMS may take (billed parts): every template, filled with any data, stays within it. */
export const SMS_MAX_SEGMENTS = 2;

/** The events a parent is notified of. */
export const NOTIFICATION_EVENTS = ['received', 'correctionRequested', 'registered', 'rejected', 'withdrawn', 'reminder', 'unlockLocked'] as const;
/**
 * `received`: request received; `correctionRequested`: the director asks for a correction (with
 * their message); `registered`: approved and registered in Massar (school, Massar code, next
 * steps); `rejected`: rejected with reasons; `withdrawn`: the parent withdrew the request;
 * `reminder`: a correction asked for is still awaited; `unlockLocked`: wrong birth certificate numbers
 * locked the request's online management (sent once per lock, see web/services/unlock.ts).
 */
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** Languages templates exist in. */
export const NOTIFICATION_LANGUAGES = ['ar', 'fr'] as const;
/** `ar` (default of the service, right-to-left) or `fr`; the language the parent used. */
export type NotificationLanguage = (typeof NOTIFICATION_LANGUAGES)[number];

/**
 * What the templates are filled with, already in the notification's language: `childFirstName`
 * in Arabic script for `ar` and Latin for `fr`, `schoolName` likewise, `reasons` as catalogue texts.
 * `massarCode` is required for `registered`, `reasons` (non-empty) for `rejected`,
 * `correctionMessage` (the director's message, free text) for `correctionRequested`.
 * `statusUrl` must be an absolute http(s) URL.
 */
export interface NotificationData {
  reference: string;
  childFirstName: string;
  schoolName: string;
  massarCode?: string;
  reasons?: string[];
  /** The director's message asking for a correction. */
  correctionMessage?: string;
  statusUrl: string;
  /** `YYYY-MM-DD`: the day by which the school decides (the school year's deadline from the submission); required for `received` and `reminder`. */
  decisionDueOn?: string;
  /** The school's address in the notification's language (`registered`; may be empty). */
  schoolAddress?: string;
  /** `YYYY-MM-DD`: the last day to bring the originals to the school (`registered`; the school year's, when set). */
  originalsDueBy?: string | null;
}

/** One rendered notification: email subject (one line), plain text, full HTML document, SMS body. */
export interface RenderedNotification {
  subject: string;
  text: string;
  html: string;
  sms: string;
}

/** Left-to-right isolate … pop directional isolate. */
export const LRI = '\u2066';
/** First strong isolate. */
export const FSI = '\u2068';
/** Pop directional isolate. */
export const PDI = '\u2069';

const PARTS = ['subject', 'text', 'html', 'sms'] as const;
type Part = (typeof PARTS)[number];

function languageOf(options: Handlebars.HelperOptions): NotificationLanguage {
  const root = (options.data as { root?: { language?: unknown } } | undefined)?.root;
  return root?.language === 'fr' ? 'fr' : 'ar';
}

/** `YYYY-MM-DD` → `DD/MM/YYYY`, the way dates are written in Morocco in both languages. */
export function formatMessageDate(iso: unknown): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso));
  if (!m) throw new TypeError('Notification date must be YYYY-MM-DD');
  return `${m[3]}/${m[2]}/${m[1]}`;
}

function createHtmlEnv(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('date', formatMessageDate);
  hb.registerHelper('ltr', (value: unknown) => new hb.SafeString(`<bdi dir="ltr">${hb.escapeExpression(String(value))}</bdi>`));
  hb.registerHelper('isolate', (value: unknown) => new hb.SafeString(`<bdi>${hb.escapeExpression(String(value))}</bdi>`));
  return hb;
}

function createTextEnv(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('date', formatMessageDate);
  hb.registerHelper('ltr', (value: unknown, options: Handlebars.HelperOptions) =>
    languageOf(options) === 'ar' ? `${LRI}${String(value)}${PDI}` : String(value),
  );
  hb.registerHelper('isolate', (value: unknown, options: Handlebars.HelperOptions) =>
    languageOf(options) === 'ar' ? `${FSI}${String(value)}${PDI}` : String(value),
  );
  return hb;
}

type Compiled = Record<NotificationLanguage, Record<NotificationEvent, Record<Part, Handlebars.TemplateDelegate>>>;

function compileAll(dir: string): Compiled {
  const htmlEnv = createHtmlEnv();
  const textEnv = createTextEnv();
  const read = (...p: string[]) => fs.readFileSync(path.join(dir, ...p), 'utf8');
  const compiled = {} as Compiled;
  for (const language of NOTIFICATION_LANGUAGES) {
    htmlEnv.registerPartial(`${language}/layout`, read(language, 'layout.html.hbs'));
    compiled[language] = {} as Compiled[NotificationLanguage];
    for (const event of NOTIFICATION_EVENTS) {
      const parts = {} as Record<Part, Handlebars.TemplateDelegate>;
      for (const part of PARTS) {
        const source = read(language, `${event}.${part}.hbs`);
        parts[part] =
          part === 'html'
            ? htmlEnv.compile(source, { strict: true })
            : textEnv.compile(source, { strict: true, noEscape: true });
      }
      compiled[language][event] = parts;
    }
  }
  return compiled;
}

const templates: Compiled = compileAll(__dirname);

function requireText(value: unknown, name: string, event: NotificationEvent): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`Notification "${event}" needs a non-empty ${name}`);
  }
  return value.trim();
}

/** One line: no line breaks (header safety), single spaces. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Renders the notification of `event` in `language`.
 * @returns subject (one line), text (ends with one newline), html (a complete document; Arabic is
 *   `<html lang="ar" dir="rtl">`), sms (one line)
 * @throws TypeError when the event or language is unknown, or a datum the event needs is missing
 *   or empty (`massarCode` for `registered`, at least one reason for `rejected`,
 *   `correctionMessage` for `correctionRequested`), or `statusUrl`
 *   is not an absolute http(s) URL
 */
export function renderNotification(
  event: NotificationEvent,
  language: NotificationLanguage,
  data: NotificationData,
): RenderedNotification {
  if (!(NOTIFICATION_EVENTS as readonly string[]).includes(event)) throw new TypeError(`Unknown notification event "${String(event)}"`);
  if (!(NOTIFICATION_LANGUAGES as readonly string[]).includes(language)) throw new TypeError(`Unknown notification language "${String(language)}"`);
  const statusUrl = requireText(data.statusUrl, 'statusUrl', event);
  let url: URL;
  try {
    url = new URL(statusUrl);
  } catch {
    throw new TypeError(`Notification "${event}" needs statusUrl to be an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`Notification "${event}" needs statusUrl to be an http(s) URL`);
  }
  const context: Record<string, unknown> = {
    language,
    reference: requireText(data.reference, 'reference', event),
    childFirstName: requireText(data.childFirstName, 'childFirstName', event),
    schoolName: requireText(data.schoolName, 'schoolName', event),
    statusUrl,
    decisionDueOn: null,
    schoolAddress: typeof data.schoolAddress === 'string' ? oneLine(data.schoolAddress) : '',
    originalsDueBy: typeof data.originalsDueBy === 'string' && data.originalsDueBy ? requireDate(data.originalsDueBy, 'originalsDueBy', event) : null,
  };
  if (event === 'received' || event === 'reminder') context.decisionDueOn = requireDate(data.decisionDueOn, 'decisionDueOn', event);
  else if (typeof data.decisionDueOn === 'string' && data.decisionDueOn) context.decisionDueOn = requireDate(data.decisionDueOn, 'decisionDueOn', event);
  if (event === 'correctionRequested') context.correctionMessage = requireText(data.correctionMessage, 'correctionMessage', event);
  if (event === 'registered') context.massarCode = requireText(data.massarCode, 'massarCode', event);
  if (event === 'rejected') {
    if (!Array.isArray(data.reasons) || data.reasons.length === 0) {
      throw new TypeError('Notification "rejected" needs at least one reason');
    }
    context.reasons = data.reasons.map((r, i) => requireText(r, `reasons[${i}]`, event));
  }
  const t = templates[language][event];
  const subject = oneLine(t.subject(context));
  const text = t.text(context).replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim() + '\n';
  const html = t.html({ ...context, subject });
  const sms = fitSms((c) => oneLine(language === 'fr' ? toGsm7(t.sms(c)) : t.sms(c)), context, language);
  return { subject, text, html, sms };
}

function requireDate(value: unknown, name: string, event: NotificationEvent): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new TypeError(`Notification "${event}" needs ${name} as YYYY-MM-DD`);
  return value;
}

/** The free-length data an SMS may shorten, longest first when it must, never below `SMS_FIELD_MIN` characters. */
const SMS_SHORTENABLE = ['schoolName', 'childFirstName', 'schoolAddress'] as const;
const SMS_FIELD_MIN = 12;

/**
 * Renders the SMS within `SMS_MAX_SEGMENTS`: the templates fit with any realistic name and
 * school; an unusually long school or first name is cut (with an ellipsis, `…` in Arabic, `.`
 * in French to stay GSM-7), the longest first, until the body fits. The email and the status
 * page carry the names in full.
 */
function fitSms(render: (context: Record<string, unknown>) => string, context: Record<string, unknown>, language: NotificationLanguage): string {
  const ctx = { ...context };
  let sms = render(ctx);
  const ellipsis = language === 'ar' ? '…' : '.';
  while (!withinSegments(sms, SMS_MAX_SEGMENTS)) {
    const candidates = SMS_SHORTENABLE
      .map((k) => ({ k, chars: Array.from(String(ctx[k] ?? '')) }))
      .filter((c) => c.chars.length > SMS_FIELD_MIN)
      .sort((a, b) => b.chars.length - a.chars.length);
    if (candidates.length === 0) break;
    const { k, chars } = candidates[0];
    const base = chars[chars.length - 1] === ellipsis ? chars.slice(0, -2) : chars.slice(0, -1);
    ctx[k] = `${base.join('').trimEnd()}${ellipsis}`;
    sms = render(ctx);
  }
  return sms;
}
