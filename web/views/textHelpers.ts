/**
 * Exact texts in two scripts: catalogue strings whose parameters (dates, codes, references,
 * numbers) are isolated left-to-right inside Arabic sentences, free text in the other script
 * isolated with `dir="auto"`, and counted nouns through i18next's plural rules (Arabic: zero,
 * one, two, few, many, other — "شهران", "3 أشهر", "11 شهرا"; French: one, many, other).
 *
 * Plural entries live in web/i18n/plural.{ar,fr}.json as `count.<unit>_<form>`, with `{{n}}`
 * for the number shown (i18next picks the form from `count`).
 */
import Handlebars from 'handlebars';
import { toGsm7 } from '../../activities/templates/segments';
import { translator } from '../i18n';
import type { Language } from '../../domain/types';

const { escapeExpression: esc, SafeString } = Handlebars;

/** Units with plural forms in the catalogue. */
export const COUNT_UNITS = ['years', 'months', 'days', 'hours', 'minutes', 'seconds', 'segments', 'requests', 'seats', 'otherRequests'] as const;
export type CountUnit = (typeof COUNT_UNITS)[number];

/** How a parameter is put in the sentence: `ltr` isolated left-to-right (default), `auto` (free text, direction of its own), `html` (already safe HTML). */
export type ParamMode = 'ltr' | 'auto' | 'html';

const MARK_OPEN = '\uE000';
const MARK_CLOSE = '\uE001';

/**
 * The catalogue string `key` in `lang` as HTML: the text escaped, every parameter in
 * `<bdi dir="ltr">` (or `<bdi dir="auto">` / as is, by `modes`); a `SafeString` parameter is
 * HTML already. `count`, when given, selects the plural form and is not shown by itself.
 */
export function translateHtml(lang: Language, key: string, params: Record<string, unknown> = {}, modes: Record<string, ParamMode> = {}): string {
  const values: string[] = [];
  const markers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (name === 'count') { markers.count = value; continue; }
    const mode: ParamMode = value instanceof SafeString ? 'html' : (modes[name] ?? 'ltr');
    const text = value instanceof SafeString ? value.toHTML() : esc(String(value ?? ''));
    values.push(mode === 'html' ? text : `<bdi dir="${mode}">${text}</bdi>`);
    markers[name] = `${MARK_OPEN}${values.length - 1}${MARK_CLOSE}`;
  }
  const text = translator(lang)(key, markers) as string;
  return esc(text).replace(new RegExp(`${MARK_OPEN}(\\d+)${MARK_CLOSE}`, 'g'), (_m, i: string) => values[Number(i)]);
}

/** `n` `unit` in words, plain text, with the language's plural form: ar 2 months → "شهران", 6 years → "6 سنوات". */
export function countText(lang: Language, unit: CountUnit, n: number): string {
  return translator(lang)(`count.${unit}`, { count: n, n: String(n) }) as string;
}

/** Like `countText`, as HTML with the number isolated left-to-right. */
export function countHtml(lang: Language, unit: CountUnit, n: number): string {
  return translateHtml(lang, `count.${unit}`, { count: n, n: String(n) });
}

/** An age as HTML: "6 سنوات وشهران" / "6 ans et 2 mois"; months 0 → years only. */
export function ageHtml(lang: Language, years: number, months: number): string {
  if (!months) return countHtml(lang, 'years', years);
  return translateHtml(lang, 'count.yearsAndMonths', { years: new SafeString(countHtml(lang, 'years', years)), months: new SafeString(countHtml(lang, 'months', months)) });
}

/**
 * An SMS body from the catalogue: French spelled in GSM-7 (the catalogue's no-break spaces and
 * typographic apostrophes would make it UCS-2, a third of the room), Arabic as is.
 */
export function catalogueSms(lang: Language, key: string, params: Record<string, unknown> = {}): string {
  const text = translator(lang)(key, params) as string;
  return lang === 'fr' ? toGsm7(text) : text;
}

function langOf(options: Handlebars.HelperOptions): Language {
  return ((options.data?.root as { lang?: Language } | undefined)?.lang) ?? 'ar';
}

export const textHelpers: Record<string, Handlebars.HelperDelegate> = {
  /** {{tl "key" date=d code=c}} — a catalogue string with every parameter isolated left-to-right (`auto_<name>=…` for free text). */
  tl(key: string, options: Handlebars.HelperOptions) {
    const params: Record<string, unknown> = {};
    const modes: Record<string, ParamMode> = {};
    for (const [name, value] of Object.entries(options.hash as Record<string, unknown>)) {
      if (name.startsWith('auto_')) { params[name.slice(5)] = value; modes[name.slice(5)] = 'auto'; } else params[name] = value;
    }
    return new SafeString(translateHtml(langOf(options), key, params, modes));
  },
  /** (countOf "months" n) — n months with the plural form, the number isolated (not `count`: views use `{{count}}` as data). */
  countOf(unit: CountUnit, n: unknown, options: Handlebars.HelperOptions) {
    return new SafeString(countHtml(langOf(options), unit, Number(n)));
  },
  /** (ageOf years months) — an age in years and months with the plural forms. */
  ageOf(years: unknown, months: unknown, options: Handlebars.HelperOptions) {
    return new SafeString(ageHtml(langOf(options), Number(years), Number(months)));
  },
  /** {{dateOnly "2027-01-15"}} → 15/01/2027 (a calendar date, as in the messages). */
  dateOnly(v: unknown) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(v ?? ''));
    return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
  },
};
