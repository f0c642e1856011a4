/**
 * Campaign messages in Debian's Chromium, in Arabic and in French: a provincial supervisor (1280 px)
 * composes a message, sees its recipients counted and its SMS segments and cost, confirms, and
 * follows the sending to the end; the public campaign page of the school year and the opt-out
 * pages of a message's link at 360 px. Every page: no serious or critical axe violation, no
 * horizontal overflow at 360 px; screenshots in test-output/screenshots/campaign-<page>-<lang>-<width>.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { optOutPath, optOutToken } from '../domain/campaignMessages';
import { launchChromium, SHOTS } from './support/browser';
import { eventually, startTestApp, type TestApp } from './support/app';
import { EXPECTED, PLACES, seedCampaignFixtures, type CampaignFixtures } from './support/campaign';
import { signInStaffPage } from './support/staff';
import { uniqueSuffix } from './support/stack';

const NOW = new Date('2027-06-27T10:00:00Z');
const LANGS = ['ar', 'fr'] as const;

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; html: string }> }
declare const axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> };
declare const document: { documentElement: { scrollWidth: number } };

let t: TestApp;
let fx: CampaignFixtures;
let browser: Browser;

beforeAll(async () => {
  t = await startTestApp({ clock: () => NOW, env: { TEMPORAL_TASK_QUEUE: `campaign-browser-${uniqueSuffix()}`, CAMPAIGN_BATCH_SIZE: '2' } });
  fx = await seedCampaignFixtures(t, PLACES.browser);
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/** axe (serious/critical), overflow at 360 px and a screenshot of the page as it is. */
async function audit(page: Page, name: string, lang: string, width: number): Promise<string[]> {
  const problems: string[] = [];
  if (width === 360) {
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    if (scrollWidth > 360) problems.push(`${name} ${lang}: horizontal overflow (${scrollWidth} px)`);
  }
  await page.screenshot({ path: path.join(SHOTS, `campaign-${name}-${lang}-${width}.png`), fullPage: true });
  await page.addScriptTag({ path: require.resolve('axe-core') });
  const { violations } = await page.evaluate(() => axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'], resultTypes: ['violations'] }));
  for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
    problems.push(`${name} ${lang} ${width}px: [${v.impact}] ${v.id} — ${v.help} ${v.nodes.slice(0, 3).map((n) => n.html.slice(0, 120)).join(' | ')}`);
  }
  return problems;
}

test.each(LANGS)('a supervisor composes, sees the count and cost, confirms and follows the sending (%s, 1280 px)', async (lang) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const problems: string[] = [];
  try {
    await signInStaffPage(page, t.baseUrl, fx.supervisorA, 'Tasjil-Demo-2027', { path: `/staff/login?lang=${lang}` });
    await page.goto(`${t.baseUrl}/staff/campaigns?lang=${lang}`);
    expect(await page.getAttribute('html', 'lang')).toBe(lang);
    expect(await page.getAttribute('html', 'dir')).toBe(lang === 'ar' ? 'rtl' : 'ltr');
    problems.push(...await audit(page, 'compose', lang, 1280));
    // Arabic: the reminder to the unfinished drafts; French: the invitation to those with no submission, by email only.
    const [kind, audience, channel, expected] = lang === 'ar'
      ? ['reminder', 'unfinishedDrafts', 'any', EXPECTED.unfinishedA.length]
      : ['unfinished', 'noSubmission', 'email', 3 /* a1, a6, a8 */];
    await page.check(`#kind input[value="${kind}"]`);
    await page.check(`#audience input[value="${audience}"]`);
    await page.check(`#channel input[value="${channel}"]`);
    await Promise.all([page.waitForURL(/\/staff\/campaigns\/[0-9a-f-]{36}$/), page.click('#compose button[type=submit]')]);
    expect(await page.getAttribute('#estimate-recipients', 'data-count')).toBe(String(expected));
    expect(await page.textContent('#campaign-summary')).toContain(lang === 'ar' ? 'في انتظار التأكيد' : 'En attente de confirmation');
    problems.push(...await audit(page, 'estimate', lang, 1280));
    await Promise.all([page.waitForNavigation(), page.click('#confirm button[type=submit]')]);
    await eventually(async () => {
      await page.reload();
      return (await page.getAttribute('#campaign-status', 'data-status')) === 'sent';
    }, 60_000);
    expect(await page.textContent('#campaign-progress [data-k="sent"]')).toBe(String(expected));
    expect(await page.textContent('#campaign-progress [data-k="pending"]')).toBe('0');
    problems.push(...await audit(page, 'progress', lang, 1280));
    await page.goto(`${t.baseUrl}/staff/campaigns?lang=${lang}`);
    expect(await page.locator('#campaign-messages tbody tr').count()).toBeGreaterThanOrEqual(1);
    problems.push(...await audit(page, 'list', lang, 1280));
  } finally {
    await context.close();
  }
  expect(problems).toEqual([]);
});

test.each(LANGS)('the public campaign page and the opt-out pages (%s, 360 px)', async (lang) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  const problems: string[] = [];
  try {
    await page.goto(`${t.baseUrl}/campaign/2027-2028?lang=${lang}`);
    expect(await page.textContent('#campaign-dates')).toContain('01/11/2026');
    expect(await page.textContent('#campaign-dates')).toContain('30/06/2027');
    expect(await page.textContent('#campaign-days-left')).toBe(lang === 'ar' ? 'المدة المتبقية: 3 أيام' : 'Il reste 3 jours');
    expect(await page.textContent('#campaign-levels')).toContain(lang === 'ar' ? 'السنة الأولى ابتدائي' : '');
    expect(await page.textContent('#campaign-levels')).toContain('31/12/2021');
    problems.push(...await audit(page, 'public', lang, 360));
    const res = await page.goto(`${t.baseUrl}/campaign/2099-2100?lang=${lang}`);
    expect(res?.status()).toBe(404);

    const token = optOutToken(t.config.SESSION_SECRET, fx.accounts[lang === 'ar' ? 'b1' : 'c1'].id);
    await page.goto(`${t.baseUrl}${optOutPath(token)}?lang=${lang}`);
    problems.push(...await audit(page, 'opt-out', lang, 360));
    await Promise.all([page.waitForNavigation(), page.click('#opt-out button[type=submit]')]);
    expect(await page.textContent('main')).toContain(lang === 'ar' ? 'تم إيقاف رسائل الحملات' : 'Désinscription enregistrée');
    problems.push(...await audit(page, 'opted-out', lang, 360));
  } finally {
    await context.close();
  }
  expect(problems).toEqual([]);
});
