/**
 * Accessibility, small-screen fit and page weight of every parent-facing page (and the staff
 * sign-in), in Arabic and French at 360 px and 1280 px, in Debian's Chromium driven by playwright-core:
 * - axe-core (WCAG 2.0/2.1 A and AA + best practices): no violation of impact serious or critical;
 * - at 360 px nothing overflows horizontally;
 * - bytes transferred without the photo (document + CSS + JS + favicon) under 100 KB, written to
 *   test-output/page-weights.json;
 * - a screenshot per page, language and width in test-output/screenshots/a11y-<page>-<lang>-<width>.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { requestCorrection } from '../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';

const OUT = path.join(__dirname, '..', 'test-output');
const SHOTS = path.join(OUT, 'screenshots');
const MAX_BYTES = 100 * 1024;
const LANGS = ['ar', 'fr'] as const;
const WIDTHS = [360, 1280] as const;

type Lang = (typeof LANGS)[number];
interface AxeNode { target: unknown[]; html: string; failureSummary?: string }
interface AxeViolation { id: string; impact: string | null; help: string; nodes: AxeNode[] }
declare const axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> };
// The page-side globals used inside page.evaluate (the project compiles without the DOM library).
interface PageElement { tagName: string; id: string; className: string; href?: string; src?: string; getBoundingClientRect(): { left: number; right: number } }
declare const document: { documentElement: PageElement & { scrollWidth: number }; querySelectorAll(selector: string): Iterable<PageElement> };

let t: TestApp;
let browser: Browser;
let school: Awaited<ReturnType<typeof demoSchool>>;
let academy: string;
/** A plain submission (confirmation page) and one whose director asked for a correction. */
let submitted: string;
let correction: { reference: string; certificate: string };
/** page → "lang-width" → bytes */
const weights: Record<string, Record<string, number>> = {};

async function apiSubmit(certificate: string): Promise<string> {
  const base = validSubmission(school);
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({
      ...base,
      father: { ...base.father, email: `a11y-${randomUUID()}@example.ma` },
      civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate },
      photo: { data: (await testPhoto()).toString('base64') },
    }),
  });
  if (res.status !== 201) throw new Error(`submission refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { reference: string }).reference;
}
const apiStatus = async (reference: string) =>
  ((await (await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`)).json()) as { status: string }).status;

beforeAll(async () => {
  t = await startTestApp();
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  school = await demoSchool(t);
  [{ academy_code: academy }] = await t.orm.em.fork().getConnection().execute<{ academy_code: string }[]>(
    'select academy_code from provincial_directorate where code = ?', [school.directorateCode],
  );
  const stamp = Date.now();
  submitted = await apiSubmit(`A11Y-${stamp}`);
  const certificate = `A11Y-C-${stamp}`;
  const reference = await apiSubmit(certificate);
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
  await requestCorrection({ em: t.orm.em.fork(), temporal: t.temporal }, reference, 'يرجى تصحيح الاسم العائلي للطفل كما ورد في رسم الولادة.', 'director-a11y');
  await eventually(async () => (await apiStatus(reference)) === 'correctionRequested');
  correction = { reference, certificate };
}, 90000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/**
 * Weighs a page as a first visit: the body bytes of every response (the photo excepted) since
 * `reset()`, plus the page's stylesheets, scripts and icon that Chromium served from its in-memory
 * cache without a response (fetched again, with the page's cookies, to count their bytes).
 */
function meter(page: Page) {
  let pending: Array<Promise<{ url: string; bytes: number | null }>> = [];
  const isPhoto = (url: string) => /photo/i.test(new URL(url).pathname);
  page.on('response', (res: Response) => {
    if (isPhoto(res.url()) || (res.status() >= 300 && res.status() < 400)) return; // redirects have no body
    pending.push(res.body().then((b) => ({ url: res.url(), bytes: b.length }), () => ({ url: res.url(), bytes: null })));
  });
  return {
    reset() { pending = []; },
    async total() {
      const received = await Promise.all(pending);
      const seen = new Set(received.filter((r) => r.bytes !== null).map((r) => r.url));
      const assets = await page.evaluate(() => [...document.querySelectorAll('link[rel~="stylesheet"][href], link[rel~="icon"][href], script[src]')].map((el) => el.href || el.src || ''));
      const cached = [...new Set(assets)].filter((url) => url && !seen.has(url) && !isPhoto(url));
      const refetched = await Promise.all(cached.map(async (url) => (await (await page.request.get(url)).body()).length));
      return [...received.map((r) => r.bytes ?? 0), ...refetched].reduce((a, b) => a + b, 0);
    },
  };
}

async function audit(page: Page, name: string, lang: Lang, width: number, problems: string[], m: ReturnType<typeof meter>) {
  await page.waitForLoadState('load');
  const bytes = await m.total();
  (weights[name] ??= {})[`${lang}-${width}`] = bytes;
  if (bytes >= MAX_BYTES) problems.push(`${name} ${lang} ${width}px: ${bytes} bytes ≥ ${MAX_BYTES}`);
  expect(await page.getAttribute('html', 'lang')).toBe(lang);
  await page.screenshot({ path: path.join(SHOTS, `a11y-${name}-${lang}-${width}.png`), fullPage: true });
  if (width === 360) {
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    if (scrollWidth > 360) {
      const culprits = await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((el) => { const r = el.getBoundingClientRect(); return r.right > 360.5 || r.left < -0.5; })
        .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className} ${Math.round(el.getBoundingClientRect().left)}..${Math.round(el.getBoundingClientRect().right)}`));
      problems.push(`${name} ${lang} ${width}px: horizontal overflow, scrollWidth ${scrollWidth}: ${culprits.join(', ')}`);
    }
  }
  await page.addScriptTag({ path: require.resolve('axe-core') });
  const { violations } = await page.evaluate(() => axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'], resultTypes: ['violations'] }));
  for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
    problems.push(`${name} ${lang} ${width}px: [${v.impact}] ${v.id} — ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${JSON.stringify(n.target)} ${n.html.slice(0, 160)}`).join('\n')}`);
  }
}

/** Every page of the list in one language at one width; returns the problems found. */
async function auditAll(lang: Lang, width: number): Promise<string[]> {
  // bypassCSP only so that the test can inject axe-core (the pages' CSP allows no inline script).
  const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true }); // every page is weighed cold, as on a first visit
  const m = meter(page);
  const problems: string[] = [];
  const visit = async (name: string, url: string) => {
    m.reset();
    await page.goto(`${t.baseUrl}${url}${url.includes('?') ? '&' : '?'}lang=${lang}`);
    await audit(page, name, lang, width, problems, m);
  };
  const act = async (name: string, urlMatch: (u: URL) => boolean, action: () => Promise<void>) => {
    m.reset();
    await Promise.all([page.waitForURL(urlMatch), action()]);
    await audit(page, name, lang, width, problems, m);
  };

  await visit('home', '/');
  const chooser = `/pre-registration/new?level=primary1`;
  await visit('chooser-level', '/pre-registration/new');
  await visit('chooser-academy', `${chooser}&academy=${academy}`);
  await visit('chooser-directorate', `${chooser}&academy=${academy}&directorate=${school.directorateCode}`);
  await visit('chooser-commune', `${chooser}&academy=${academy}&directorate=${school.directorateCode}&commune=${school.communeCode}`);
  await visit('form', `${chooser}&academy=${academy}&directorate=${school.directorateCode}&commune=${school.communeCode}&zone=${school.zoneCode}`);
  await act('form-errors', (u) => u.pathname === '/pre-registration', () => page.click('form[action="/pre-registration"] button[type="submit"]'));
  expect(await page.locator('.error-summary li').count()).toBeGreaterThan(0);

  await visit('confirmation', `/pre-registrations/${submitted}?submitted=1`);
  await visit('status-unlock', `/pre-registrations/${correction.reference}`);
  await page.fill('#birthCertificateNumber', 'WRONG-0000');
  await act('status-unlock-error', (u) => u.search.includes('unlock=failed'), () => page.click('form[action$="/unlock"] button[type="submit"]'));
  await page.fill('#birthCertificateNumber', correction.certificate);
  await act('status-unlocked', (u) => !u.search.includes('unlock=failed'), () => page.click('form[action$="/unlock"] button[type="submit"]'));
  expect(await page.locator(`a[href="/pre-registrations/${correction.reference}/correct"]`).count()).toBe(1);
  await visit('correction-form', `/pre-registrations/${correction.reference}/correct`);
  await visit('staff-login', '/staff/login');

  await context.close();
  return problems;
}

// One test per language, both widths side by side (separate browser contexts, separate sessions).
test.each(LANGS)('parent pages and staff sign-in in %s at 360 and 1280 px: no serious/critical axe violation, no overflow at 360 px, < 100 KB', async (lang) => {
  const problems = (await Promise.all(WIDTHS.map((width) => auditAll(lang, width)))).flat();
  if (problems.length) console.log(problems.join('\n'));
  expect(problems).toEqual([]);
}, 120000);

test('page weights are written to test-output/page-weights.json', () => {
  fs.writeFileSync(path.join(OUT, 'page-weights.json'), `${JSON.stringify({ limitBytes: MAX_BYTES, excludes: 'the child photo', pages: weights }, null, 2)}\n`);
  const all = Object.values(weights).flatMap((w) => Object.values(w));
  expect(all.length).toBe(13 * LANGS.length * WIDTHS.length);
  expect(Math.max(...all)).toBeLessThan(MAX_BYTES);
});
