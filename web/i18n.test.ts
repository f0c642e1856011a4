/**
 * The catalogue is complete: every key the pages use exists in Arabic and in French.
 *
 * Keys are found two ways:
 * - statically, by scanning the views (`{{t "key"}}`, `(t "key")`, `label="key"`, `hint="key"`,
 *   `legend="key"`, `empty="key"`) and web TypeScript (`t('key')`, `translator(…)('key')`,
 *   `tAr/tFr('key')`, and key-shaped `label: '…'` / `code: '…'` literals);
 * - dynamically, for the families built with `concat` or template strings
 *   (`status.<status>`, `check.age.<result>`, `history.kind.<kind>`…), enumerated from the
 *   shared constants of domain/types.ts and from the unions in the code that builds them.
 *
 * Pure unit test: reads files only, needs no service (run with TASJIL_UNIT_ONLY=1).
 */
import fs from 'node:fs';
import path from 'node:path';
import { catalogue, hasKey, translator } from './i18n';
import { GUARDIAN_ROLES, LANGUAGES, LEVELS, PRE_REGISTRATION_STATUSES } from '../domain/types';

const WEB = __dirname;
const ROOT = path.join(WEB, '..');

function walk(dir: string, suffix: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'public' && entry.name !== 'i18n') walk(p, suffix, out);
    } else if (entry.name.endsWith(suffix)) out.push(p);
  }
  return out;
}

const read = (p: string) => fs.readFileSync(p, 'utf8');
const rel = (p: string) => path.relative(ROOT, p);

/** A catalogue key: dotted identifier, at least two parts (`app.name`, `check.age.explain`). */
const KEY = String.raw`([A-Za-z][\w-]*(?:\.[\w-]+)+)`;

/** Static keys, each with the files that use it. */
function staticKeys(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const add = (key: string, file: string) => {
    if (!found.has(key)) found.set(key, new Set());
    found.get(key)!.add(rel(file));
  };
  const viewPatterns = [
    new RegExp(String.raw`\{\{~?\s*tl?\s+(["'])${KEY}\1`, 'g'),
    new RegExp(String.raw`\(\s*tl?\s+(["'])${KEY}\1`, 'g'),
    new RegExp(String.raw`(?<![\w-])(?:label|hint|legend|empty)=(["'])${KEY}\1`, 'g'),
  ];
  for (const file of walk(path.join(WEB, 'views'), '.hbs')) {
    const src = read(file);
    for (const re of viewPatterns) for (const m of src.matchAll(re)) add(m[2], file);
  }
  const tsPatterns = [
    new RegExp(String.raw`\bt(?:Ar|Fr)?\(\s*(['"\x60])${KEY}\1`, 'g'),
    new RegExp(String.raw`\btranslator\([^()]*\)\(\s*(['"\x60])${KEY}\1`, 'g'),
    new RegExp(String.raw`\b(?:label|code):\s*(['"])${KEY}\1`, 'g'),
  ];
  for (const file of walk(WEB, '.ts')) {
    if (file.endsWith('.test.ts')) continue;
    const src = read(file);
    for (const re of tsPatterns) for (const m of src.matchAll(re)) add(m[2], file);
  }
  return found;
}

/** The string members of a union type or constructor parameter, read from source: `'a' | 'b'`. */
function unionMembers(file: string, anchor: RegExp): string[] {
  const src = read(path.join(ROOT, file));
  const m = anchor.exec(src);
  if (!m) throw new Error(`${file}: ${anchor} not found — update web/i18n.test.ts`);
  return [...m[1].matchAll(/'([\w.]+)'/g)].map((x) => x[1]);
}

/** `kind = '…'` assignments of web/services/history.ts. */
function historyKinds(): string[] {
  return [...read(path.join(WEB, 'services/history.ts')).matchAll(/\bkind = '(\w+)'/g)].map((m) => m[1]);
}

/** Event types and notification channels written to the request timeline by the activities. */
function timelineEventTypes(): { types: string[]; channels: string[] } {
  const types = new Set<string>();
  const channels = new Set<string>();
  for (const file of walk(path.join(ROOT, 'activities'), '.ts')) {
    if (file.endsWith('.test.ts')) continue;
    const src = read(file);
    for (const m of src.matchAll(/addEvent\(\s*\w+\s*,\s*\w+\s*,\s*(?:'[^']*'|`[^`]*`)\s*,\s*'(\w+)'/g)) types.add(m[1]);
    for (const m of src.matchAll(/\bchannel:\s*'(\w+)'/g)) channels.add(m[1]);
  }
  return { types: [...types], channels: [...channels] };
}

const expectSuperset = (actual: string[], expected: string[]) => expect(actual).toEqual(expect.arrayContaining(expected));

/** Every key built at run time, by family. */
function dynamicFamilies(): Record<string, string[]> {
  const statuses = [...PRE_REGISTRATION_STATUSES];
  const checkResults = {
    age: unionMembers('domain/types.ts', /export type AgeCheckResult =([^;]+);/),
    zone: unionMembers('domain/types.ts', /export type ZoneCheckResult =([^;]+);/),
    duplicate: unionMembers('domain/types.ts', /export type DuplicateCheckResult =([^;]+);/),
    hijriConsistency: unionMembers('domain/types.ts', /export type HijriCheckResult =([^;]+);/),
  };
  expectSuperset(checkResults.age, ['eligible', 'tolerance', 'underAge', 'overAge']);
  expectSuperset(checkResults.zone, ['inZone', 'outOfZone']);
  expectSuperset(checkResults.duplicate, ['none', 'possibleDuplicate']);
  expectSuperset(checkResults.hijriConsistency, ['consistent', 'inconsistent']);

  const kinds = historyKinds();
  expectSuperset(kinds, [
    'started', 'activityScheduled', 'activityStarted', 'activityCompleted', 'activityFailed', 'activityTimedOut',
    'updateAccepted', 'updateCompleted', 'timerStarted', 'timerFired', 'searchAttributes', 'completed', 'failed',
    'workflowTask', 'other',
  ]);

  const timeline = timelineEventTypes();
  const otherEventTypes = [...new Set([...timeline.types.filter((x) => x !== 'status' && x !== 'notification'), 'decision', 'checksCompleted'])];
  const channels = [...new Set([...timeline.channels, 'email', 'sms'])];

  const refused = unionMembers('web/services/preRegistrations.ts', /export type RefusalCode =([^;]+);/);
  expectSuperset(refused, ['alreadyDecided', 'invalidDecision', 'workflowEnded']);
  const decisionErrors = unionMembers('domain/rejectionReasons.ts', /export type DecisionError =([^;]+);/);
  const photoErrors = unionMembers('web/services/photos.ts', /export type PhotoError =([^;]+);/);
  expectSuperset(photoErrors, ['photo.required', 'photo.tooLarge', 'photo.unsupported', 'photo.unreadable']);

  const appSrc = read(path.join(WEB, 'app.ts'));
  const errorPages = [...new Set(['notFound', 'forbidden', 'tooLarge', 'badRequest', 'server',
    ...[...appSrc.matchAll(/'error\.(\w+)'/g)].map((m) => m[1])])];

  return {
    'status.<status>': statuses.map((s) => `status.${s}`),
    'timeline.status.<status>': statuses.map((s) => `timeline.status.${s}`),
    'parent.status.next.<status>': statuses.map((s) => `parent.status.next.${s}`),
    'timeline.notification.<channel>': channels.map((c) => `timeline.notification.${c}`),
    'timeline.<eventType>': otherEventTypes.map((x) => `timeline.${x}`),
    'level.<level>': LEVELS.map((l) => `level.${l}`),
    'guardianRole.<role>': GUARDIAN_ROLES.map((r) => `guardianRole.${r}`),
    'parent.form.<role>': GUARDIAN_ROLES.map((r) => `parent.form.${r}`),
    'check.<check>.<result>': Object.entries(checkResults).flatMap(([check, results]) => [
      `check.${check}.title`, ...results.map((r) => `check.${check}.${r}`),
    ]).concat(['check.age.explain', 'check.hijriConsistency.explain']),
    'history.kind.<kind>': [...new Set(kinds)].map((k) => `history.kind.${k}`),
    'decision.refused.<code>': refused.map((c) => `decision.refused.${c}`),
    'decision.<error> (validation.*.json)': decisionErrors.map((c) => `decision.${c}`),
    'validation.<photoError>': photoErrors.map((c) => `validation.${c}`),
    'error.<page>.title|body': errorPages.flatMap((x) => [`error.${x}.title`, `error.${x}.body`]).concat(['error.titlePrefix', 'error.summaryTitle']),
    'parent.status.notFound|badReference': ['parent.status.notFound.title', 'parent.status.notFound.body', 'parent.status.badReference'],
    'choose.<list>': ['choose.academy', 'choose.directorate', 'choose.commune', 'choose.zone', 'choose.anyStatus'],
    'app.<chrome>': ['app.name', 'app.ministry', 'app.demo', 'app.demoNotice', 'app.footer', 'app.skipToContent', 'app.backHome'],
    'dev.outbox.<text>': ['dev.outbox.title', 'dev.outbox.intro', 'dev.outbox.link', 'dev.outbox.to', 'dev.outbox.empty'],
  };
}

function loadJson(name: string): Record<string, unknown> {
  return JSON.parse(read(path.join(WEB, 'i18n', name))) as Record<string, unknown>;
}

/**
 * Whether `key` has a string of its own in `lang`. `hasKey` alone is not enough: i18next's
 * `exists` follows `fallbackLng` ('ar'), so a key missing in French but present in Arabic would
 * pass; the resource lookup does not fall back.
 */
const present = (lang: (typeof LANGUAGES)[number], key: string) =>
  hasKey(lang, key) && typeof catalogue().getResource(lang, 'translation', key) === 'string';

const missingIn = (keys: Iterable<string>) => {
  const list = [...keys];
  return LANGUAGES.flatMap((lang) => list.filter((k) => !present(lang, k)).map((k) => `${lang}: ${k}`));
};

describe('i18n catalogue (web/i18n/*.json)', () => {
  test('the scan finds the keys of the views and routes', () => {
    const keys = staticKeys();
    // A sanity floor: if the patterns break, the scan would silently find nothing.
    expect(keys.size).toBeGreaterThan(100);
    for (const k of ['app.name', 'parent.form.title', 'field.reference', 'hint.photo', 'guardianRole.father', 'staff.login.failed']) {
      expect(keys.has(k)).toBe(true);
    }
  });

  test('every static key used by a view or a route exists in Arabic and in French', () => {
    const keys = staticKeys();
    const missing = missingIn(keys.keys()).map((m) => `${m}  (${[...keys.get(m.slice(4))!].join(', ')})`);
    expect(missing).toEqual([]);
  });

  test.each(Object.entries(dynamicFamilies()))('every key of the dynamic family %s exists in Arabic and in French', (_family, keys) => {
    expect(keys.length).toBeGreaterThan(0);
    expect(missingIn(keys)).toEqual([]);
  });

  test('ar.json and fr.json have exactly the same keys', () => {
    const ar = Object.keys(loadJson('ar.json'));
    const fr = Object.keys(loadJson('fr.json'));
    expect(ar.filter((k) => !fr.includes(k)).map((k) => `only in ar.json: ${k}`)).toEqual([]);
    expect(fr.filter((k) => !ar.includes(k)).map((k) => `only in fr.json: ${k}`)).toEqual([]);
  });

  test('values are non-empty plain text with the same {{params}} in both languages', () => {
    const ar = loadJson('ar.json');
    const fr = loadJson('fr.json');
    const params = (v: unknown) => [...String(v).matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();
    const problems: string[] = [];
    for (const [lang, cat] of [['ar', ar], ['fr', fr]] as const) {
      for (const [k, v] of Object.entries(cat)) {
        if (typeof v !== 'string' || v.trim() === '') problems.push(`${lang}: ${k} is empty or not a string`);
        else if (/<\/?[a-z][^>]*>/i.test(v)) problems.push(`${lang}: ${k} contains HTML`);
      }
    }
    for (const k of Object.keys(ar)) {
      if (k in fr && params(ar[k]).join() !== params(fr[k]).join()) problems.push(`${k}: params ar [${params(ar[k])}] ≠ fr [${params(fr[k])}]`);
    }
    expect(problems).toEqual([]);
  });

  test('the page catalogues do not redefine keys of validation.*.json', () => {
    for (const lang of LANGUAGES) {
      const pages = Object.keys(loadJson(`${lang}.json`));
      const file = path.join(WEB, 'i18n', `validation.${lang}.json`);
      const validation = fs.existsSync(file) ? Object.keys(JSON.parse(read(file)) as object) : [];
      expect(pages.filter((k) => validation.includes(k))).toEqual([]);
    }
  });

  test('interpolation fills the parameters the views pass', () => {
    for (const lang of LANGUAGES) {
      const t = translator(lang);
      const age = t('check.age.explain', { years: 6, months: 3, referenceDate: '2026-09-01', limit: '2020-12-31' });
      expect(age).toEqual(expect.stringContaining('2020-12-31'));
      expect(age).not.toMatch(/\{\{/);
      const hijri = t('check.hijriConsistency.explain', { entered: '1442-01-13', expected: '1442-01-12' });
      expect(hijri).toEqual(expect.stringContaining('1442-01-12'));
      expect(hijri).not.toMatch(/\{\{/);
    }
  });
});

test('the translator\'s memo answers what i18next answers, with and without options, in both languages', () => {
  for (const lang of LANGUAGES) {
    const t = translator(lang);
    expect(translator(lang)).toBe(t); // one per language
    const i18n = catalogue().getFixedT(lang);
    for (const key of ['app.name', 'parent.status.title', 'status.submitted', 'no.such.key']) {
      expect(t(key)).toBe(i18n(key));
      expect(t(key, {})).toBe(i18n(key)); // {{t "key"}} passes an empty hash
      expect(t(key)).toBe(i18n(key)); // second time, from the memo
    }
    // Interpolation and plurals still go to i18next each time.
    expect(t('count.minutes', { count: 1, n: '1' })).toBe(i18n('count.minutes', { count: 1, n: '1' }));
    expect(t('count.minutes', { count: 5, n: '5' })).toBe(i18n('count.minutes', { count: 5, n: '5' }));
    expect(t('count.minutes', { count: 5, n: '5' })).not.toBe(t('count.minutes', { count: 1, n: '1' }));
  }
});
