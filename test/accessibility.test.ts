/**
 * Accessibility, small-screen fit and page weight of every parent-facing page (and the staff
 * sign-in with its second-factor pages: enrolment by QR code, recovery codes, code step), in Arabic and French at 360 px and 1280 px, in Debian's Chromium driven by playwright-core
 * — the one-page form and its follow-up pages, and the parents' space: account pages (sign-up,
 * sign-in, code sent at sign-up, reset and its code page), the space with one draft and one request,
 * each of the 8 steps of a draft, a step with errors, a request's receipt and its withdrawal confirmation:
 * - axe-core (WCAG 2.0/2.1 A and AA + best practices): no violation of impact serious or critical;
 * - at 360 px nothing overflows horizontally;
 * - bytes transferred without the photo (document + CSS + JS + favicon) under 100 KB, written to
 *   test-output/page-weights.json;
 * - a screenshot per page, language and width in test-output/screenshots/a11y-<page>-<lang>-<width>.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { type Browser, type Page, type Response } from 'playwright-core';
import { launchChromium } from './support/browser';
import { parseAccountIdentifier } from '../domain/account';
import { ParentAccount } from '../entities';
import { signUp } from '../web/services/accounts';
import { requestCorrection } from '../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser as HttpClient, inputValue, toFormFields } from './support/http';
import { totpCode } from './support/staff';

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
/**
 * The parents' space: a parent with one draft (filled up to the review) and one submitted request,
 * and another whose draft has a wrong child's name (its child step, saved again, shows the errors).
 */
let space: { identifier: string; draftId: string; reference: string; withErrors: { identifier: string; draftId: string } };
const SPACE_PASSWORD = 'Oasis-Tafilalet-2027';
const STEPS = ['child', 'civilStatus', 'siblings', 'guardian', 'parents', 'school', 'photo', 'review'] as const;
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

/** A verified parent account, signed in over HTTP. */
async function spaceParent(): Promise<{ http: HttpClient; identifier: string }> {
  const identifier = `a11y-space-${randomUUID().slice(0, 8)}@example.ma`;
  const id = parseAccountIdentifier(identifier);
  if (!id.ok) throw new Error(id.error);
  const em = t.orm.em.fork();
  const { account } = await signUp(em, id.value, SPACE_PASSWORD, 'ar');
  await em.nativeUpdate(ParentAccount, { id: account.id }, { verifiedAt: new Date() });
  const http = new HttpClient(t.baseUrl);
  const page = await (await http.get('/account/sign-in')).text();
  const res = await http.postForm('/account/sign-in', { _csrf: inputValue(page, '_csrf') ?? '', identifier, password: SPACE_PASSWORD, next: '/space' });
  if (res.status !== 303 || res.headers.get('location') !== '/space') throw new Error(`sign-in refused: ${res.status}`);
  return { http, identifier };
}

/** Posts one step of a draft as its form would; returns the response (303 when the step is valid). */
async function postStep(http: HttpClient, draftId: string, step: string, fields: Array<[string, string]>): Promise<globalThis.Response> {
  const page = await (await http.get(`/space/drafts/${draftId}/${step}`)).text();
  if (step === 'photo') {
    const form = new FormData();
    form.set('_csrf', inputValue(page, '_csrf') ?? '');
    form.set('action', 'next');
    form.set('photo', new Blob([new Uint8Array(await testPhoto())], { type: 'image/jpeg' }), 'photo.jpg');
    return http.postMultipart(`/space/drafts/${draftId}/photo`, form);
  }
  const body = new URLSearchParams([['_csrf', inputValue(page, '_csrf') ?? ''], ['action', 'next'], ...fields]);
  return http.request(`/space/drafts/${draftId}/${step}`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
}

async function newDraft(http: HttpClient): Promise<string> {
  const page = await (await http.get('/space')).text();
  const res = await http.postForm('/space/drafts', { _csrf: inputValue(page, '_csrf') ?? '' });
  const m = /^\/space\/drafts\/([0-9a-f-]{36})\/child$/.exec(res.headers.get('location') ?? '');
  if (!m) throw new Error(`no draft: ${res.status}`);
  return m[1];
}

/** A draft filled up to its review page (every step valid, a photo, one sibling). */
async function filledDraft(http: HttpClient, certificate: string): Promise<string> {
  const draftId = await newDraft(http);
  const s = validSubmission(school);
  const steps: Array<[string, Array<[string, string]>]> = [
    ['child', [['level', 'primary1'], ...toFormFields({ child: s.child }), ['civilStatus[birthDate]', s.civilStatus.birthDate]]],
    ['civilStatus', [['civilStatus[hijriConfirm]', 'yes'], ...toFormFields({ civilStatus: { ...s.civilStatus, birthDateHijri: '', birthCertificateNumber: certificate } })]],
    ['siblings', [['hasSiblings', 'yes'], ...toFormFields({ siblings: [{ firstNameAr: 'مريم', lastNameAr: 'العلوي', firstNameLatin: 'Maryam', lastNameLatin: 'El Alaoui', birthDate: '2023-04-02' }] })]],
    ['guardian', [['guardianRole', 'father']]],
    ['parents', toFormFields({ father: s.father, mother: s.mother })],
    ['school', [['residence[academy]', academy], ['residence[directorate]', school.directorateCode], ['residence[communeCode]', school.communeCode],
      ['residence[residenceZoneCode]', school.zoneCode], ['schoolPick', school.schoolCode]]],
    ['photo', []],
  ];
  for (const [step, fields] of steps) {
    const res = await postStep(http, draftId, step, fields);
    if (res.status !== 303) throw new Error(`step ${step} refused: ${res.status}`);
  }
  return draftId;
}

async function setUpSpace(stamp: number): Promise<typeof space> {
  const a = await spaceParent();
  const submittedDraft = await filledDraft(a.http, `A11Y-S-${stamp}`);
  const review = await (await a.http.get(`/space/drafts/${submittedDraft}/review`)).text();
  const sent = await a.http.postForm(`/space/drafts/${submittedDraft}/review`, { _csrf: inputValue(review, '_csrf') ?? '', privacyNoticeVersion: inputValue(review, 'privacyNoticeVersion') ?? '' });
  const reference = /^\/pre-registrations\/([^?]+)\?submitted=1$/.exec(sent.headers.get('location') ?? '')?.[1];
  if (!reference) throw new Error(`submission refused: ${sent.status}`);
  const draftId = await filledDraft(a.http, `A11Y-D-${stamp}`);
  const b = await spaceParent();
  const wrong = await newDraft(b.http);
  const s = validSubmission(school);
  const res = await postStep(b.http, wrong, 'child', [['level', 'primary1'], ...toFormFields({ child: { ...s.child, firstNameAr: 'Yassine', lastNameLatin: 'العلوي' } }), ['civilStatus[birthDate]', s.civilStatus.birthDate]]);
  if (res.status !== 400) throw new Error(`the wrong child's names were accepted: ${res.status}`);
  return { identifier: a.identifier, draftId, reference, withErrors: { identifier: b.identifier, draftId: wrong } };
}

beforeAll(async () => {
  t = await startTestApp();
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
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
  space = await setUpSpace(stamp);
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
    // The child's photo is left out (not the photo step's page, whose path also says "photo").
    if ((res.request().resourceType() === 'image' && isPhoto(res.url())) || (res.status() >= 300 && res.status() < 400)) return; // redirects have no body
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

/** A fresh browser context at `width`, with `visit` (a URL) and `act` (a click that leads to a page) that audit the page reached. */
async function auditor(lang: Lang, width: number) {
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
  return { context, page, problems, visit, act, m };
}

/** Every page of the list in one language at one width; returns the problems found. */
async function auditAll(lang: Lang, width: number): Promise<string[]> {
  const { context, page, problems, visit, act, m } = await auditor(lang, width);

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

  // Staff: enrolment in the second factor at a first sign-in (QR code), the recovery codes, and
  // the code step of the next sign-in.
  const username = await newStaffUser();
  await page.fill('#username', username);
  await page.fill('#password', STAFF_PASSWORD);
  await act('staff-enrol', (u) => u.pathname === '/staff/login/enrol', () => page.click('form[action="/staff/login"] button[type="submit"]'));
  const secret = (await page.textContent('#totp-secret'))!.replace(/\s/g, '');
  await page.fill('#code', await totpCode(secret));
  m.reset();
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form[action="/staff/login/enrol"] button[type="submit"]')]);
  await audit(page, 'staff-recovery-codes', lang, width, problems, m);
  expect(await page.locator('#recovery-codes li').count()).toBe(10);
  await Promise.all([page.waitForURL((u) => u.pathname === '/staff/login'), page.click('form[action="/staff/logout"] button[type="submit"]')]);
  await page.fill('#username', username);
  await page.fill('#password', STAFF_PASSWORD);
  await act('staff-code', (u) => u.pathname === '/staff/login/code', () => page.click('form[action="/staff/login"] button[type="submit"]'));

  await context.close();
  return problems;
}

const STAFF_PASSWORD = 'Bab-Doukkala-2027';
/** A director account of its own, not yet enrolled in the second factor. */
async function newStaffUser(): Promise<string> {
  const username = `director.a11y-${randomUUID().slice(0, 8)}`;
  const argon2 = await import('argon2');
  await t.orm.em.fork().getConnection().execute(
    `insert into staff_user (id, username, password_hash, display_name, role, school_code, active, created_at) values (?, ?, ?, 'A11y', 'director', ?, true, now())`,
    [randomUUID(), username, await argon2.hash(STAFF_PASSWORD, { type: argon2.argon2id }), school.schoolCode],
  );
  return username;
}

/** The parents' space pages in one language at one width; returns the problems found. */
async function auditSpace(lang: Lang, width: number): Promise<string[]> {
  const { context, page, problems, visit, act, m } = await auditor(lang, width);
  const signIn = async (identifier: string) => {
    await page.goto(`${t.baseUrl}/account/sign-in?lang=${lang}`);
    await page.fill('#identifier', identifier);
    await page.fill('#password', SPACE_PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname === '/space'), page.click('form[action="/account/sign-in"] button[type="submit"]')]);
  };

  // Signed out: the account pages.
  await visit('account-sign-up', '/account/sign-up');
  await visit('account-sign-in', '/account/sign-in');
  await visit('account-reset', '/account/reset');
  await page.fill('#identifier', `a11y-nobody-${randomUUID().slice(0, 8)}@example.ma`); // the same next page whether or not an account exists
  await act('account-reset-code', (u) => u.pathname === '/account/reset/code', () => page.click('form[action="/account/reset"] button[type="submit"]'));
  await page.goto(`${t.baseUrl}/account/sign-up?lang=${lang}`);
  await page.fill('#identifier', `a11y-new-${randomUUID().slice(0, 8)}@example.ma`);
  await page.fill('#password', SPACE_PASSWORD);
  await page.fill('#passwordConfirm', SPACE_PASSWORD);
  await act('account-verify', (u) => u.pathname === '/account/verify', () => page.click('form[action="/account/sign-up"] button[type="submit"]'));
  expect(await page.locator('#code').count()).toBe(1);

  // Signed in: the space (one draft, one request), each step of the draft, the request's receipt.
  await signIn(space.identifier);
  await visit('space', '/space');
  expect([await page.locator('#drafts li').count(), await page.locator('#requests li').count()]).toEqual([1, 1]);
  // The residence step with places found by typing: zones to choose, a commune without an online map (its directorate's contact).
  await visit('space-step-school-search', `/space/drafts/${space.draftId}/school?place=${encodeURIComponent('اكدال')}`);
  await visit('space-step-school-nomap', `/space/drafts/${space.draftId}/school?place=${encodeURIComponent('Bab Berred')}`);
  for (const step of STEPS) await visit(`space-step-${step}`, `/space/drafts/${space.draftId}/${step}`);
  expect(await page.locator('#submit-request').count()).toBe(1); // the review page is complete
  await visit('space-receipt', `/pre-registrations/${space.reference}/receipt`);
  await visit('space-withdraw', `/space/requests/${space.reference}/withdraw`);
  expect(await page.locator('#withdraw-ends li').count()).toBe(5); // the confirmation page, not a redirect

  // Another parent: a step with errors (the wrong names saved in the draft, sent again).
  await page.goto(`${t.baseUrl}/space`);
  await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.click('#sign-out')]);
  await signIn(space.withErrors.identifier);
  await page.goto(`${t.baseUrl}/space/drafts/${space.withErrors.draftId}/child?lang=${lang}`);
  m.reset();
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[name="action"][value="next"]')]);
  await audit(page, 'space-step-errors', lang, width, problems, m);
  expect(await page.locator('.error-summary li').count()).toBe(2);
  await context.close();
  return problems;
}

// One test per language, both widths side by side (separate browser contexts, separate sessions).
test.each(LANGS)('parent pages and staff sign-in in %s at 360 and 1280 px: no serious/critical axe violation, no overflow at 360 px, < 100 KB', async (lang) => {
  const problems = (await Promise.all(WIDTHS.map((width) => auditAll(lang, width)))).flat();
  if (problems.length) console.log(problems.join('\n'));
  expect(problems).toEqual([]);
}, 300000); // 32 audits per language with axe: minutes on 2 busy cores (a time limit, not a speed test)

test.each(LANGS)('the parents\' space in %s at 360 and 1280 px: account pages, space, 8 steps, the residence step with places found (zones, a commune without a map), a step with errors, receipt — no serious/critical axe violation, no overflow at 360 px, < 100 KB', async (lang) => {
  const problems = (await Promise.all(WIDTHS.map((width) => auditSpace(lang, width)))).flat();
  if (problems.length) console.log(problems.join('\n'));
  expect(problems).toEqual([]);
}, 300000);

test('page weights are written to test-output/page-weights.json', () => {
  fs.writeFileSync(path.join(OUT, 'page-weights.json'), `${JSON.stringify({ limitBytes: MAX_BYTES, excludes: 'the child photo', pages: weights }, null, 2)}\n`);
  const all = Object.values(weights).flatMap((w) => Object.values(w));
  expect(all.length).toBe((16 + 19) * LANGS.length * WIDTHS.length); // 16 parent pages, 19 in the space (8 steps, 2 place searches)
  expect(Math.max(...all)).toBeLessThan(MAX_BYTES);
});
