/**
 * Residence in one step (issue 15 item 3) in a real browser at 360 px, in Arabic and in French,
 * without JavaScript (a context with javaScriptEnabled: false: the search button reloads the page
 * with the results) and with it (results as one types, their count read out by an aria-live
 * region): the place found by typing part of its name, each result with its region names, chosen,
 * then the schools of that place; the other school's reason shown only when that choice is ticked
 * (CSS, no script); a commune without an online school map giving its directorate's address and
 * phone and the green number as tel: links. Names wrap (no horizontal overflow); axe finds no
 * serious or critical violation. Screenshots: test-output/screenshots/residence-<lang>-<js|nojs>-<page>-360.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium, SHOTS } from './support/browser';
import { translator } from '../web/i18n';
import { Browser as HttpBrowser } from './support/http';
import { spaceHelpers } from './support/space';
import { demoSchool, startTestApp, type TestApp } from './support/app';

type Lang = 'ar' | 'fr';
let t: TestApp;
let browser: Browser;
let H: ReturnType<typeof spaceHelpers>;
let place: { zone: Record<Lang, string>; commune: Record<Lang, string>; directorate: Record<Lang, string>; school: Record<Lang, string>; schoolCode: string; zoneCode: string };

beforeAll(async () => {
  t = await startTestApp();
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
  const school = await demoSchool(t, 'first');
  H = spaceHelpers(t, school, { academy: '', directorate: school.directorateCode });
  const [row] = await t.orm.em.fork().getConnection().execute<Array<Record<string, string>>>(
    `select z.name_ar as zone_ar, z.name_fr as zone_fr, c.name_ar as commune_ar, c.name_fr as commune_fr, d.name_ar as directorate_ar, d.name_fr as directorate_fr,
            s.name_ar as school_ar, s.name_fr as school_fr
       from residence_zone z, commune c, provincial_directorate d, school s where z.code = ? and c.code = z.commune_code and d.code = c.directorate_code and s.code = ?`,
    [school.zoneCode, school.schoolCode]);
  const pair = (k: string) => ({ ar: row[`${k}_ar`], fr: row[`${k}_fr`] });
  place = { zone: pair('zone'), commune: pair('commune'), directorate: pair('directorate'), school: pair('school'), schoolCode: school.schoolCode, zoneCode: school.zoneCode };
}, 60000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

const norm = (s: string | null) => (s ?? '').replace(/[ \t\n\r\f]+/g, ' ').replace(/^ | $/g, '');
declare const document: { documentElement: { scrollWidth: number } };
declare const axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string }> }> };

/**
 * Serious or critical axe violations and horizontal overflow at 360 px of the page as it is. Without
 * JavaScript axe cannot run in the page: the same address is then audited in a context with it (same
 * cookies), the page being the same server-rendered HTML.
 */
async function problemsOf(page: Page, js: boolean): Promise<string[]> {
  const problems: string[] = [];
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth).catch(() => null);
  let target = page;
  let extra: BrowserContext | null = null;
  if (!js) {
    extra = await browser.newContext({ viewport: { width: 360, height: 800 }, bypassCSP: true, storageState: await page.context().storageState() });
    target = await extra.newPage();
    await target.goto(page.url());
  }
  const width = scrollWidth ?? await target.evaluate(() => document.documentElement.scrollWidth);
  if (width > 360) problems.push(`horizontal overflow: ${width}`);
  await target.addScriptTag({ path: require.resolve('axe-core') });
  const { violations } = await target.evaluate(() => axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'], resultTypes: ['violations'] }));
  for (const v of violations) if (v.impact === 'serious' || v.impact === 'critical') problems.push(`[${v.impact}] ${v.id} — ${v.help}`);
  await extra?.close();
  return problems;
}

const CASES: Array<[Lang, boolean]> = [['ar', false], ['ar', true], ['fr', false], ['fr', true]];

test.each(CASES)('residence step at 360 px in %s, JavaScript %s: the place found by typing, chosen, its schools; the other school on demand; a commune without a map gives its directorate and the green number', async (lang, js) => {
  const T = translator(lang);
  const { b, identifier, password } = await H.newParent();
  const draftId = await H.newDraftId(b as HttpBrowser);
  // bypassCSP only so that the test can inject axe-core (the pages' CSP allows no inline script).
  const context = await browser.newContext({ viewport: { width: 360, height: 800 }, javaScriptEnabled: js, bypassCSP: true });
  const page = await context.newPage();
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `residence-${lang}-${js ? 'js' : 'nojs'}-${name}-360.png`), fullPage: true });
  const problems: string[] = [];
  await page.goto(`${t.baseUrl}/account/sign-in?lang=${lang}`);
  await page.getByLabel(T('account.field.identifier') as string, { exact: true }).fill(identifier);
  await page.getByLabel(T('account.field.password') as string, { exact: true }).fill(password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('main form button[type=submit]').first().click()]);
  await page.goto(`${t.baseUrl}/space/drafts/${draftId}/school?lang=${lang}`);
  expect(await page.locator('h1').textContent()).toBe(T('space.step.school'));
  // No drop-down left: one search field.
  expect(await page.locator('select').count()).toBe(0);

  const search = page.getByLabel(T('flow.place.label') as string, { exact: true });
  const find = async (text: string) => {
    if (js) {
      await search.fill('');
      await search.pressSequentially(text, { delay: 20 });
      // The results come by themselves (no page load); waited for below by what they show.
    } else {
      await search.fill(text);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: T('flow.place.search') as string, exact: true }).click()]);
      expect(new URL(page.url()).searchParams.get('place')).toBe(text);
    }
  };

  // 1. The zone, by its name: exactly one result, with its region names; the count read out.
  const zoneLine = T('residence.zoneLine', { zone: place.zone[lang], commune: place.commune[lang], directorate: place.directorate[lang] }) as string;
  await find(place.zone[lang]);
  await page.getByRole('radio', { name: zoneLine, exact: true }).waitFor();
  expect(await page.locator('#place-results input[type=radio]').count()).toBe(1);
  expect(norm(await page.locator('#place-count').textContent())).toBe(norm(T('flow.place.count', { count: 1 }) as string));
  expect(await page.locator('#place-count').getAttribute('aria-live')).toBe('polite');
  await shot('results');
  problems.push(...(await problemsOf(page, js)).map((p) => `results: ${p}`));
  await page.getByRole('radio', { name: zoneLine, exact: true }).check();
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name: T('residence.choose') as string, exact: true }).click()]);
  expect(new URL(page.url()).pathname).toBe(`/space/drafts/${draftId}/school`);
  expect(norm(await page.locator('#chosen-place').textContent())).toBe(norm(`${T('flow.place.chosen')}${lang === 'fr' ? '\u00a0:' : ':'} ${zoneLine}`));
  const schoolRadio = page.locator('input[name="schoolPick"]').first();
  expect(await schoolRadio.getAttribute('value')).toBe(place.schoolCode);
  // 2. The other school and its reason: hidden until that choice is ticked (CSS :has()).
  const reason = page.getByLabel(T('field.schoolChoiceReason') as string, { exact: true });
  expect(await reason.isVisible()).toBe(false);
  await page.locator('#wantsOther').check();
  expect(await reason.isVisible()).toBe(true);
  await shot('schools');
  problems.push(...(await problemsOf(page, js)).map((p) => `schools: ${p}`));
  await schoolRadio.check();
  expect(await reason.isVisible()).toBe(false);

  // 3. A commune without an online school map: its directorate's address and phone, the green number.
  await find(lang === 'ar' ? 'باب برد' : 'Bab Berred');
  const panel = page.locator('.place-nomap');
  await panel.waitFor();
  expect(await panel.count()).toBe(1);
  expect(norm(await panel.locator('strong').first().textContent())).toBe(T('residence.communeLine', { commune: lang === 'ar' ? 'باب برد' : 'Bab Berred', directorate: lang === 'ar' ? 'شفشاون' : 'Chefchaouen' }));
  expect(norm(await panel.textContent())).toContain(lang === 'ar'
    ? 'العنوان: المديرية الإقليمية للتربية الوطنية، شارع الحسن الثاني، شفشاون'
    : "Adresse\u00a0: Direction provinciale de l'éducation nationale, avenue Hassan II, Chefchaouen");
  expect(await panel.locator('a.directorate-phone').getAttribute('href')).toBe('tel:0539986011');
  expect(norm(await panel.locator('a.directorate-phone').textContent())).toBe('05 39 98 60 11');
  expect(await panel.locator('a.green-number').getAttribute('href')).toBe('tel:0800001122');
  // Nothing to choose there: no "show the schools" button.
  expect(await page.getByRole('button', { name: T('residence.choose') as string, exact: true }).isVisible()).toBe(false);
  expect(norm(await panel.locator('a.green-number').textContent())).toBe('0800 00 11 22');
  // The place chosen before is kept (nothing typed is lost).
  expect(norm(await page.locator('#chosen-place').textContent())).toContain(zoneLine);
  await shot('nomap');
  problems.push(...(await problemsOf(page, js)).map((p) => `no map: ${p}`));
  expect(problems).toEqual([]);
  await context.close();
}, 120000);
