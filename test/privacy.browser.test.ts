/**
 * Law 09-08 pages in a real browser (Debian's Chromium driven by playwright-core) at 360 px, in
 * Arabic and in French: the privacy notice; the consent checkbox at submission (the parents' space
 * review: unticked and required, the browser holds the form back; ticked, the request is filed and
 * its status page shows the accepted version); the "my data" page and its JSON download; the
 * deletion of an account (refused with a request; done without). Each page: axe-core (WCAG 2.x A/AA
 * + best practices) with no serious or critical violation, nothing wider than the screen, a
 * screenshot in test-output/screenshots/privacy-<lang>-<page>-360.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, SHOTS } from './support/browser';
import { translator } from '../web/i18n';
import { currentNotice } from '../web/services/privacy';
import { demoSchool, startTestApp, type TestApp } from './support/app';
import { spaceHelpers } from './support/space';

type Lang = 'ar' | 'fr';
interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; html: string }> }
declare const axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> };
declare const document: { documentElement: { scrollWidth: number }; querySelector(s: string): { validity: { valueMissing: boolean } } | null };

let t: TestApp;
let browser: Browser;
let h: ReturnType<typeof spaceHelpers>;
const V = currentNotice().version;
const norm = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();

beforeAll(async () => {
  t = await startTestApp({ withWorker: false });
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  const school = await demoSchool(t);
  const [{ academy_code: academy }] = await t.orm.em.fork().getConnection().execute<{ academy_code: string }[]>(
    'select academy_code from provincial_directorate where code = ?', [school.directorateCode]);
  h = spaceHelpers(t, school, { academy, directorate: school.directorateCode });
}, 60000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/** axe-core, the 360 px fit and a screenshot of the page as it is. */
async function check(page: Page, lang: Lang, name: string): Promise<void> {
  await page.waitForLoadState('load');
  expect(await page.getAttribute('html', 'lang')).toBe(lang);
  expect(await page.getAttribute('html', 'dir')).toBe(lang === 'ar' ? 'rtl' : 'ltr');
  await page.screenshot({ path: path.join(SHOTS, `privacy-${lang}-${name}-360.png`), fullPage: true });
  expect([name, await page.evaluate(() => document.documentElement.scrollWidth)]).toEqual([name, 360]);
  await page.addScriptTag({ path: require.resolve('axe-core') });
  const { violations } = await page.evaluate(() => axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'], resultTypes: ['violations'] }));
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${name} ${lang}: [${v.impact}] ${v.id} — ${v.help} ${v.nodes.slice(0, 3).map((n) => n.html.slice(0, 120)).join(' | ')}`);
  expect(serious).toEqual([]);
}

async function navigates(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
}

async function signIn(page: Page, lang: Lang, identifier: string, password: string): Promise<void> {
  const T = translator(lang);
  await page.goto(`${t.baseUrl}/account/sign-in?lang=${lang}&next=/space`);
  await page.getByLabel(T('account.field.identifier') as string, { exact: true }).fill(identifier);
  await page.getByLabel(T('account.field.password') as string, { exact: true }).fill(password);
  await navigates(page, () => page.getByRole('button', { name: T('account.signIn.submit') as string, exact: true }).click());
  expect(new URL(page.url()).pathname).toBe('/space');
}

for (const lang of ['ar', 'fr'] as const) {
  test(`${lang}, 360 px: the notice, the consent checkbox at submission, my data and its download, deleting an account`, async () => {
    const T = translator(lang);
    const context = await browser.newContext({ viewport: { width: 360, height: 800 }, bypassCSP: true }); // bypassCSP only to inject axe-core
    const page = await context.newPage();

    // The notice, reached from the footer of the home page.
    await page.goto(`${t.baseUrl}/?lang=${lang}`);
    await navigates(page, () => page.getByRole('link', { name: T('privacy.footerLink') as string, exact: true }).click());
    expect(new URL(page.url()).pathname).toBe('/privacy');
    expect(norm(await page.getByRole('heading', { level: 1 }).textContent())).toBe(T('privacy.title'));
    expect(norm(await page.locator('#cndp-number').textContent())).toBe('A-DEMO-2026-0001');
    expect(norm(await page.locator('#notice-version bdi').first().textContent())).toBe(V);
    expect(await page.locator('#recipients li').count()).toBe(4);
    expect(await page.getByRole('heading', { level: 2, name: T('privacy.rights.title') as string, exact: true }).count()).toBe(1);
    await check(page, lang, 'notice');

    // A parent whose draft is complete signs in and reaches the review.
    const { b, identifier, password } = await h.newParent();
    const draftId = await h.newDraftId(b);
    await h.fillAllSteps(b, draftId, `PRIV-BR-${lang}-${Date.now()}`);
    await signIn(page, lang, identifier, password);
    await page.goto(`${t.baseUrl}/space/drafts/${draftId}/review`);
    const box = page.getByRole('checkbox', { name: T('privacy.consent.label') as string, exact: true });
    expect([await box.isChecked(), await box.getAttribute('required'), await box.getAttribute('value')]).toEqual([false, '', V]);
    expect(await page.locator('#privacyNoticeVersion-hint').getByRole('link', { name: T('privacy.consent.link') as string, exact: true }).getAttribute('href')).toBe('/privacy');
    await check(page, lang, 'review-consent');
    // Unticked: the browser keeps the form (the box is required) — nothing is sent.
    await page.getByRole('button', { name: T('action.submit') as string, exact: true }).click();
    expect(new URL(page.url()).pathname).toBe(`/space/drafts/${draftId}/review`);
    expect(await page.evaluate(() => document.querySelector('#privacyNoticeVersion')!.validity.valueMissing)).toBe(true);
    await box.check();
    await navigates(page, () => page.getByRole('button', { name: T('action.submit') as string, exact: true }).click());
    expect(new URL(page.url()).search).toBe('?submitted=1');
    const reference = norm(await page.locator('.reference bdi').textContent());
    expect(reference).toMatch(/^P27-/);
    const record = page.locator('#consent-record');
    expect(norm(await record.locator('a').textContent())).toBe(V);
    expect(norm(await record.textContent())).toMatch(new RegExp(`^${T('privacy.consent.version')} ${V} — \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}$`));
    await check(page, lang, 'status-consent');

    // My data: from the space, the page and the JSON download.
    await page.goto(`${t.baseUrl}/space`);
    await navigates(page, () => page.getByRole('link', { name: T('privacy.myData.link') as string, exact: true }).click());
    expect(new URL(page.url()).pathname).toBe('/space/my-data');
    expect(norm(await page.getByRole('heading', { level: 1 }).textContent())).toBe(T('privacy.myData.title'));
    expect(norm(await page.locator(`#request-${reference} h3`).textContent())).toBe(`${reference} — ${T('status.submitted')}`);
    expect(norm(await page.locator(`#request-${reference} #consent-record a`).textContent())).toBe(V);
    await check(page, lang, 'my-data');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: T('privacy.myData.downloadJson') as string, exact: true }).click()]);
    expect(download.suggestedFilename()).toMatch(/^tasjil-my-data-\d{4}-\d{2}-\d{2}\.json$/);
    const doc = JSON.parse(fs.readFileSync((await download.path())!, 'utf8')) as { account: { email: string }; requests: Array<{ reference: string; consent: { noticeVersion: string } }> };
    expect([doc.account.email, doc.requests.map((r) => [r.reference, r.consent.noticeVersion])]).toEqual([identifier.toLowerCase(), [[reference, V]]]);

    // Deleting this account is refused (a request was submitted), with the reason.
    await page.goto(`${t.baseUrl}/space/my-data`);
    await navigates(page, () => page.getByRole('link', { name: T('privacy.delete.title') as string, exact: true }).click());
    expect(norm(await page.locator('#delete-refused h2').textContent())).toBe(T('privacy.delete.refusedTitle'));
    expect(await page.getByRole('button', { name: T('privacy.delete.confirm') as string, exact: true }).count()).toBe(0);
    await check(page, lang, 'delete-refused');

    // Another parent, with a draft only: a wrong password first, then deleted.
    const other = await h.newParent();
    const page2 = await (await browser.newContext({ viewport: { width: 360, height: 800 }, bypassCSP: true })).newPage();
    await signIn(page2, lang, other.identifier, other.password);
    await page2.goto(`${t.baseUrl}/space/account/delete`);
    await check(page2, lang, 'delete-form');
    await page2.getByLabel(T('privacy.delete.password') as string, { exact: true }).fill('not-the-right-one-2027');
    await navigates(page2, () => page2.getByRole('button', { name: T('privacy.delete.confirm') as string, exact: true }).click());
    expect(norm(await page2.locator('#password-error').textContent())).toBe(T('privacy.delete.wrongPassword'));
    await check(page2, lang, 'delete-wrong-password');
    await page2.getByLabel(T('privacy.delete.password') as string, { exact: true }).fill(other.password);
    await navigates(page2, () => page2.getByRole('button', { name: T('privacy.delete.confirm') as string, exact: true }).click());
    expect(new URL(page2.url()).pathname).toBe('/privacy/account-deleted');
    expect(norm(await page2.getByRole('heading', { level: 1 }).textContent())).toBe(T('privacy.deleted.title'));
    await check(page2, lang, 'account-deleted');
    expect(await t.orm.em.fork().getConnection().execute('select 1 from parent_account where email = ?', [other.identifier.toLowerCase()])).toEqual([]);
    await page2.context().close();
    await context.close();
  }, 120000);
}
