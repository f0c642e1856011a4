/**
 * Campaign messages (issue 13, item 3): what an academy or a directorate sends to parents — the
 * opening of the pre-registration campaign, a reminder before its deadline ("3 days left"), a word
 * to parents whose draft is unfinished or who have an account and no submission. Pure: the kinds,
 * audiences and channels, the texts of each kind in Arabic and French (`campaignTexts/*.json`),
 * their rendering, the days left before a deadline (civil days in Africa/Casablanca), the SMS
 * segment count (sms-segments-calculator, the library Twilio's developer education team maintains)
 * and the signed opt-out token carried by every message (no login needed to opt out).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SegmentedMessage } from 'sms-segments-calculator';
import { diffDays, todayInCasablanca } from './dates';
import ar from './campaignTexts/ar.json';
import fr from './campaignTexts/fr.json';

export const CAMPAIGN_KINDS = ['opening', 'reminder', 'unfinished'] as const;
/** `opening`: the campaign opens; `reminder`: N days left before the deadline; `unfinished`: finish your pre-registration. */
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];

export const CAMPAIGN_AUDIENCES = ['allAccounts', 'unfinishedDrafts', 'noSubmission'] as const;
/**
 * `allAccounts`: every verified parents' account; `unfinishedDrafts`: accounts with a draft of the
 * school year not yet submitted; `noSubmission`: accounts with no request of the school year.
 */
export type CampaignAudience = (typeof CAMPAIGN_AUDIENCES)[number];

export const CAMPAIGN_CHANNELS = ['any', 'email', 'sms'] as const;
/** `any`: each parent on the identifier of their account (email or mobile); `email` / `sms`: only those. */
export type CampaignChannel = (typeof CAMPAIGN_CHANNELS)[number];

export type CampaignLanguage = 'ar' | 'fr';

/** What a campaign message is filled with (the same for every recipient but the opt-out link). */
export interface CampaignTextData {
  schoolYear: string;
  /** `DD/MM/YYYY` */
  opensOn: string;
  closesOn: string;
  /** Days left before the deadline (reminder). */
  daysLeft: number;
  /** Absolute URL of the public campaign page. */
  campaignUrl: string;
  /** Absolute URL of the parents' space. */
  spaceUrl: string;
  /** Absolute opt-out URL (signed token). */
  optOutUrl: string;
}

export interface RenderedCampaignMessage { subject: string; text: string; html: string; sms: string }

const TEXTS: Record<CampaignLanguage, Record<string, string>> = { ar, fr };
/** Left-to-right isolate and its pop, around dates, numbers and links inside Arabic text. */
const LRI = '\u2066';
const PDI = '\u2069';

/** The catalogue key of "N days" for a count: Arabic has zero, one, two, few, many and other forms. */
export function daysKey(lang: CampaignLanguage, n: number): string {
  return `days.${new Intl.PluralRules(lang).select(n)}`;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => {
    if (!(k in values)) throw new TypeError(`campaign text needs ${k}`);
    return values[k];
  });
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Renders a campaign message of `kind` in `lang`: email subject, text and HTML, and the SMS body. */
export function renderCampaignMessage(kind: CampaignKind, lang: CampaignLanguage, d: CampaignTextData): RenderedCampaignMessage {
  const texts = TEXTS[lang];
  const iso = (s: string) => (lang === 'ar' ? `${LRI}${s}${PDI}` : s);
  const days = fill(texts[daysKey(lang, d.daysLeft)], { n: String(d.daysLeft) });
  const values = {
    schoolYear: iso(d.schoolYear), opensOn: iso(d.opensOn), closesOn: iso(d.closesOn), days: d.daysLeft === 0 ? texts['days.lastDay'] : days,
    campaignUrl: iso(d.campaignUrl), spaceUrl: iso(d.spaceUrl), optOutUrl: iso(d.optOutUrl),
  };
  const subject = fill(texts[`${kind}.subject`], values);
  const body = fill(texts[`${kind}.body`], values);
  const footer = fill(texts['footer.optOut'], values);
  const text = `${body}\n\n${fill(texts['footer.links'], values)}\n\n${footer}\n`;
  const dir = lang === 'ar' ? 'rtl' : 'ltr';
  const link = (url: string) => `<a href="${escapeHtml(url)}"><bdi dir="ltr">${escapeHtml(url)}</bdi></a>`;
  const htmlValues = {
    schoolYear: `<bdi dir="ltr">${escapeHtml(d.schoolYear)}</bdi>`, opensOn: `<bdi dir="ltr">${escapeHtml(d.opensOn)}</bdi>`,
    closesOn: `<bdi dir="ltr">${escapeHtml(d.closesOn)}</bdi>`, days: escapeHtml(values.days),
    campaignUrl: link(d.campaignUrl), spaceUrl: link(d.spaceUrl), optOutUrl: link(d.optOutUrl),
  };
  const html = `<!doctype html><html lang="${lang}" dir="${dir}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`
    + `<body><p>${fill(escapeHtml(texts[`${kind}.body`]), htmlValues)}</p>`
    + `<p>${fill(escapeHtml(texts['footer.links']), htmlValues)}</p><p><small>${fill(escapeHtml(texts['footer.optOut']), htmlValues)}</small></p></body></html>`;
  const sms = fill(texts[`${kind}.sms`], values);
  return { subject: subject.replace(/\s+/g, ' ').trim(), text, html, sms };
}

/** Segments of an SMS body as carriers count them (GSM-7 or UCS-2, escapes and surrogate pairs never split). */
export function campaignSmsSegments(body: string): { encoding: string; segments: number } {
  const m = new SegmentedMessage(body, 'auto');
  return { encoding: m.encodingName, segments: m.segmentsCount };
}

/** `2027-06-30` → `30/06/2027` (as on Moroccan forms, in both languages). */
export function displayDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

/** Days from today (Casablanca civil date at `now`) to the end of `closesOn`; negative once closed. */
export function daysLeft(closesOn: string, now: Date): number {
  return diffDays(todayInCasablanca(now), closesOn);
}

// ---- opt-out token: base64url(account id's 16 bytes ‖ first 8 bytes of HMAC-SHA256) = 32 characters

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const mac = (secret: string, id: Buffer) => createHmac('sha256', secret).update('tasjil-campaign-opt-out:').update(id).digest().subarray(0, 8);

/** The opt-out token of a parents' account (always 32 URL-safe characters, so an SMS's length is known before sending). */
export function optOutToken(secret: string, accountId: string): string {
  if (!UUID.test(accountId)) throw new TypeError('account id is not a uuid');
  const id = Buffer.from(accountId.replace(/-/g, ''), 'hex');
  return Buffer.concat([id, mac(secret, id)]).toString('base64url');
}

/** The account id a token names, or null when it is malformed or its signature is wrong. */
export function verifyOptOutToken(secret: string, token: string): string | null {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{32}$/.test(token)) return null;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length !== 24) return null;
  const id = raw.subarray(0, 16);
  if (!timingSafeEqual(raw.subarray(16), mac(secret, id))) return null;
  const h = id.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The path of the opt-out page of a token. */
export function optOutPath(token: string): string {
  return `/campaign/stop/${token}`;
}
