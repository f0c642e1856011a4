/**
 * Handlebars helpers: translation, left-to-right isolation inside Arabic text, and accessible form
 * fields that keep the user's answers and show the message for their field.
 */
import Handlebars from 'handlebars';
import { translator } from '../i18n';
import type { Language } from '../../domain/types';
import { textHelpers } from './textHelpers';

const { escapeExpression: esc, SafeString } = Handlebars;

interface Root { lang?: Language; form?: Record<string, unknown>; errors?: Record<string, string> }
type HelperOptions = Handlebars.HelperOptions;

/** Built once: an Intl.DateTimeFormat with a time zone costs ~0.1 ms to construct, more than formatting with it. */
const CASABLANCA_DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Africa/Casablanca', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** `dateTime`'s texts by UTC minute (bounded: cleared at 10 000 entries). */
const DATE_TIMES = new Map<number, string>();

/** Named `pattern`s of number and date fields (what a numeric keyboard types). */
const PATTERNS: Record<string, string> = { isoDate: '\\d{4}-\\d{2}-\\d{2}', hijriDate: '\\d{4}-\\d{1,2}-\\d{1,2}', digits: '\\d*' };

function root(options: HelperOptions): Root {
  return (options.data?.root ?? {}) as Root;
}

/** `a.b.0.c` → value inside a nested object (or undefined). */
export function getPath(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** `child.firstNameAr` → `child[firstNameAr]` (qs bracket notation). */
export function fieldName(dotted: string): string {
  const [first, ...rest] = dotted.split('.');
  return first + rest.map((p) => `[${p}]`).join('');
}

/** `child.firstNameAr` → `child-firstNameAr` (a valid, stable element id). */
export function fieldId(dotted: string): string {
  return dotted.replace(/\./g, '-');
}

function t(options: HelperOptions, key: string, params?: Record<string, unknown>): string {
  return translator(root(options).lang ?? 'ar')(key, params ?? {}) as string;
}

function attrs(map: Record<string, string | undefined | false>): string {
  return Object.entries(map)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => (v === '' ? ` ${k}` : ` ${k}="${esc(v as string)}"`))
    .join('');
}

function errorFor(options: HelperOptions, dotted: string): string | undefined {
  return root(options).errors?.[dotted];
}

/**
 * The label's text, with "(optional)" after it when the field is marked `optional=true` (GOV.UK
 * pattern), or the catalogue text `optional` names (e.g. `form.ifGuardian`).
 */
function labelText(options: HelperOptions, label: string, optional: unknown): string {
  if (!optional) return esc(label);
  return `${esc(label)} <span class="optional">${esc(t(options, typeof optional === 'string' ? optional : 'form.optional'))}</span>`;
}

function labelAndError(options: HelperOptions, dotted: string, label: string, hint?: string, optional?: unknown): { head: string; describedBy: string | undefined; invalid: boolean } {
  const id = fieldId(dotted);
  const error = errorFor(options, dotted);
  const parts = [`<label for="${id}">${labelText(options, label, optional)}</label>`];
  const ids: string[] = [];
  if (hint) { parts.push(`<span class="hint" id="${id}-hint">${esc(hint)}</span>`); ids.push(`${id}-hint`); }
  if (error) { parts.push(`<span class="error-message" id="${id}-error">${esc(error)}</span>`); ids.push(`${id}-error`); }
  return { head: parts.join(''), describedBy: ids.length ? ids.join(' ') : undefined, invalid: Boolean(error) };
}

export const helpers: Record<string, Handlebars.HelperDelegate> = {
  /** {{t "key" name=value}} — catalogue string in the page's language. */
  t(this: unknown, key: string, options: HelperOptions) {
    return t(options, key, options.hash);
  },
  /** {{ltr value}} — isolates a left-to-right run (reference, phone, date, code) inside Arabic text. */
  ltr(value: unknown) {
    return new SafeString(`<bdi dir="ltr">${esc(String(value ?? ''))}</bdi>`);
  },
  /** {{colon}} — the colon after a label: French typography puts a no-break space before it, Arabic none. */
  colon(options: HelperOptions) {
    return root(options).lang === 'fr' ? '\u00a0:' : ':';
  },
  eq: (a: unknown, b: unknown) => String(a) === String(b),
  concat: (...args: unknown[]) => args.slice(0, -1).map((a) => String(a ?? '')).join(''),
  inc: (n: unknown) => Number(n) + 1,
  guardianRoles: () => [
    { value: 'father', label: 'guardianRole.father' }, { value: 'mother', label: 'guardianRole.mother' }, { value: 'tutor', label: 'guardianRole.tutor' },
  ],
  or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
  and: (...args: unknown[]) => args.slice(0, -1).every(Boolean),
  not: (a: unknown) => !a,
  includes: (list: unknown, v: unknown) => Array.isArray(list) && list.includes(v),
  json: (v: unknown) => JSON.stringify(v, null, 2),
  /** Formats a Date or ISO string as `YYYY-MM-DD HH:mm` in Africa/Casablanca. */
  dateTime(v: unknown) {
    if (!v) return '';
    const d = v instanceof Date ? v : new Date(String(v));
    // Since 1970 the text depends on the UTC minute only (the zone's offsets are whole minutes):
    // formatted once per minute.
    const minute = d.getTime() >= 0 ? Math.floor(d.getTime() / 60_000) : Number.NaN;
    const known = DATE_TIMES.get(minute);
    if (known !== undefined) return known;
    const p = Object.fromEntries(CASABLANCA_DATE_TIME.formatToParts(d).map((x) => [x.type, x.value]));
    const text = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
    if (Number.isNaN(minute)) return text;
    if (DATE_TIMES.size >= 10_000) DATE_TIMES.clear();
    DATE_TIMES.set(minute, text);
    return text;
  },
  /**
   * {{field "child.firstNameAr" label="field.firstNameAr" type="text" dir="rtl" hint="…" required=true}}
   * `required=true` gives `required` and `aria-required`; `optional=true` writes "(optional)" after
   * the label. A date field brings up the numeric keyboard (`inputmode`, `pattern` YYYY-MM-DD).
   */
  field(dotted: string, options: HelperOptions) {
    const h = options.hash as Record<string, string | boolean | undefined>;
    const value = getPath(root(options).form, dotted);
    const { head, describedBy, invalid } = labelAndError(options, dotted, t(options, String(h.label)), h.hint ? t(options, String(h.hint)) : undefined, h.optional);
    const isDate = h.type === 'date';
    const pattern = h.pattern ? PATTERNS[String(h.pattern)] ?? String(h.pattern) : isDate ? PATTERNS.isoDate : undefined;
    const input = `<input${attrs({
      type: String(h.type ?? 'text'), id: fieldId(dotted), name: fieldName(dotted),
      value: value === undefined || value === null ? '' : String(value),
      dir: h.dir ? String(h.dir) : undefined, autocomplete: h.autocomplete ? String(h.autocomplete) : undefined,
      inputmode: h.inputmode ? String(h.inputmode) : isDate ? 'numeric' : undefined, placeholder: h.placeholder ? String(h.placeholder) : undefined,
      required: h.required ? '' : false, 'aria-required': h.required ? 'true' : undefined, 'aria-invalid': invalid ? 'true' : undefined, 'aria-describedby': describedBy,
      maxlength: h.maxlength ? String(h.maxlength) : undefined, pattern,
    })}>`;
    return new SafeString(`<div class="field${invalid ? ' field-error' : ''}">${head}${input}</div>`);
  },
  /** {{select "level" label="…" options=list valueKey="code" labelKey="name" empty="choose"}} */
  select(dotted: string, options: HelperOptions) {
    const h = options.hash as Record<string, unknown>;
    const current = h.value !== undefined ? h.value : getPath(root(options).form, dotted);
    const { head, describedBy, invalid } = labelAndError(options, dotted, t(options, String(h.label)), h.hint ? t(options, String(h.hint)) : undefined, h.optional);
    const list = (h.options as Array<Record<string, unknown>>) ?? [];
    const vk = String(h.valueKey ?? 'value');
    const lk = String(h.labelKey ?? 'label');
    const opts = [h.empty ? `<option value="">${esc(t(options, String(h.empty)))}</option>` : '']
      .concat(list.map((o) => {
        const v = String(o[vk]);
        const label = h.translate ? t(options, String(o[lk])) : String(o[lk]);
        return `<option value="${esc(v)}"${String(current ?? '') === v ? ' selected' : ''}>${esc(label)}</option>`;
      }));
    const sel = `<select${attrs({
      id: fieldId(dotted), name: h.name ? String(h.name) : fieldName(dotted), required: h.required ? '' : false, 'aria-required': h.required ? 'true' : undefined,
      'aria-invalid': invalid ? 'true' : undefined, 'aria-describedby': describedBy, 'data-autosubmit': h.autosubmit ? '' : false,
    })}>${opts.join('')}</select>`;
    return new SafeString(`<div class="field${invalid ? ' field-error' : ''}">${head}${sel}</div>`);
  },
  /**
   * {{radios "guardianRole" legend="…" options=list hint="…" required=true}} — a fieldset of radio
   * buttons; `required=true` puts `required` on the buttons and `aria-required` on the group
   * (role radiogroup); an option may carry `hint` (a catalogue key) and `id` (an element id).
   */
  radios(dotted: string, options: HelperOptions) {
    const h = options.hash as Record<string, unknown>;
    const current = String(getPath(root(options).form, dotted) ?? h.default ?? '');
    const error = errorFor(options, dotted);
    const id = fieldId(dotted);
    const list = (h.options as Array<{ value: string; label: string; hint?: string; text?: string }>) ?? [];
    const described = [h.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
    const items = list.map((o, i) => `<div class="radio"><input type="radio" id="${id}-${i}" name="${fieldName(dotted)}" value="${esc(o.value)}"${current === o.value ? ' checked' : ''}${h.required ? ' required' : ''}${described ? ` aria-describedby="${described}"` : ''}><label for="${id}-${i}">${esc(o.text ?? t(options, o.label))}${o.hint ? ` <span class="hint">${esc(t(options, o.hint))}</span>` : ''}</label></div>`);
    const group = h.required ? ' role="radiogroup" aria-required="true"' : '';
    const hint = h.hint ? `<span class="hint" id="${id}-hint">${esc(t(options, String(h.hint)))}</span>` : '';
    return new SafeString(`<fieldset class="field${error ? ' field-error' : ''}" id="${id}"${group}><legend>${esc(t(options, String(h.legend)))}</legend>${hint}${error ? `<span class="error-message" id="${id}-error">${esc(error)}</span>` : ''}${items.join('')}</fieldset>`);
  },
};

// Exact texts: tl, countOf, ageOf, dateOnly (web/views/textHelpers.ts).
Object.assign(helpers, textHelpers);
