/**
 * The one catalogue of user-facing strings (Arabic default, French second), served by i18next.
 * Files: web/i18n/{ar,fr}.json (pages) and web/i18n/<area>.{ar,fr}.json (validation, staff,
 * notifications…), merged into one namespace; a key defined twice is an error. Keys are flat, e.g. `parent.form.title`, `validation.required`.
 */
import i18next, { type i18n, type TFunction } from 'i18next';
import fs from 'node:fs';
import path from 'node:path';
import type { Language } from '../domain/types';

/** Merges `<lang>.json` and every `<area>.<lang>.json` of web/i18n/ (one file per area, one catalogue). */
function load(lang: Language): Record<string, string> {
  const dir = path.join(__dirname, 'i18n');
  const merged: Record<string, string> = {};
  const files = fs.readdirSync(dir).filter((f) => f === `${lang}.json` || f.endsWith(`.${lang}.json`)).sort();
  for (const file of files) {
    const entries = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, string>;
    for (const [k, v] of Object.entries(entries)) {
      if (k in merged) throw new Error(`i18n: key ${k} defined twice (${file})`);
      merged[k] = v;
    }
  }
  return merged;
}

let instance: i18n | null = null;

/** The initialised i18next instance (synchronous init from the JSON files; keys contain dots, so keySeparator is off). */
export function catalogue(): i18n {
  if (instance) return instance;
  const inst = i18next.createInstance();
  void inst.init({
    initImmediate: false,
    lng: 'ar',
    fallbackLng: 'ar',
    supportedLngs: ['ar', 'fr'],
    keySeparator: false,
    nsSeparator: false,
    interpolation: { escapeValue: false }, // Handlebars escapes on output
    resources: { ar: { translation: load('ar') }, fr: { translation: load('fr') } },
    returnNull: false,
    showSupportNotice: false,
  } as Parameters<i18n['init']>[0]);
  instance = inst;
  return inst;
}

/** True for no options at all, or one options object without own keys (`{{t "key"}}` passes `{}`). */
function withoutOptions(rest: unknown[]): boolean {
  if (rest.length === 0) return true;
  if (rest.length !== 1) return false;
  const o = rest[0];
  if (o === undefined) return true;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return false;
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return false;
  return true;
}

/** One translation function per language, built once (the catalogue never changes at run time). */
const translators = new Map<string, TFunction>();

/**
 * A translation function fixed to one language. A key asked without options (most of a page's
 * strings) is answered from a memo of i18next's own answer for that key and language — the same
 * string, without i18next's per-call work (a status page asks ~40 of them); anything with options
 * (interpolation, plurals, context, default values) and non-string keys go to i18next every time.
 */
export function translator(lang: Language): TFunction {
  const known = translators.get(lang);
  if (known) return known;
  const fixed = catalogue().getFixedT(lang);
  const memo = new Map<string, unknown>();
  const call = fixed as unknown as (...args: unknown[]) => unknown;
  const t = (key: unknown, ...rest: unknown[]): unknown => {
    if (typeof key !== 'string' || !withoutOptions(rest)) return call(key, ...rest);
    let v = memo.get(key);
    if (v === undefined) {
      v = call(key);
      // Only strings are kept (a missing key answers the key itself, also a string).
      if (typeof v === 'string' && memo.size < 20_000) memo.set(key, v);
    }
    return v;
  };
  Object.assign(t, { lng: (fixed as unknown as { lng?: string }).lng, ns: (fixed as unknown as { ns?: string }).ns });
  translators.set(lang, t as unknown as TFunction);
  return t as unknown as TFunction;
}

/** Whether a key exists in the catalogue for `lang` (used by tests to find missing strings). */
export function hasKey(lang: Language, key: string): boolean {
  return catalogue().exists(key, { lng: lang, fallbackLng: false } as never);
}
