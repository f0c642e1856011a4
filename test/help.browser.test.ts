/**
 * The help centre and a help request in a real browser (Debian's Chromium driven by playwright-core),
 * in Arabic and in French, parents at 360 px and staff at 1280 px; links found by their visible
 * text, fields by their label, nothing posted behind the page's back:
 * - a parent walks the help centre from the footer: the table of contents jumps to each section,
 *   the age rule and tolerance band of the current campaign, the campaign's dates, the green number
 *   as a tel: link;
 * - a parent asks for help from the footer (first without a message: the error at the field and in
 *   the summary, in both languages), with the reference of their request; the director of that
 *   school finds it in the queue, answers; the answer reaches the parent through the sandboxes
 *   (Arabic: e-mail; French: SMS) and shows on the ticket page the parent follows.
 * axe-core (as test/accessibility.test.ts: WCAG 2.0/2.1 A and AA + best practices) finds no serious
 * or critical violation on any of these pages, none overflows at 360 px; screenshots in
 * test-output/screenshots/help-<lang>-<page>.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, SHOTS } from './support/browser';
import { translator } from '../web/i18n';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { signInStaffPage } from './support/staff';

type Lang = 'ar' | 'fr';
interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; html: string }> }
declare const axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> };
declare const document: { documentElement: { scrollWidth: number } };
declare const window: { scrollY: number };

let t: TestApp;
let browser: Browser;
let school: Awaited<ReturnType<typeof demoSchool>>;

beforeAll(async () => {
  t = await startTestApp();
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  school = await demoSchool(t, 'first');
}, 120000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

async function submit(): Promise<string> {
  const base = validSubmission(school);
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({
      ...base, father: { ...base.father, email: `hb-${randomUUID().slice(0, 8)}@example.ma` },
      civilStatus: { ...base.civilStatus, birthCertificateNumber: `${Math.floor(Math.random() * 9000) + 1000}/2021` },
      photo: { data: (await testPhoto()).toString('base64') },
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { reference: string }).reference;
}

/** axe (serious and critical only), horizontal overflow at 360 px, and a full-page screenshot. */
async function audit(page: Page, lang: Lang, name: string, problems: string[]): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `help-${lang}-${name}.png`), fullPage: true });
  const width = page.viewportSize()?.width ?? 0;
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width === 360 && scrollWidth > 360) problems.push(`${name} ${lang}: horizontal overflow (${scrollWidth} px)`);
  await page.addScriptTag({ path: require.resolve('axe-core') });
  const { violations } = await page.evaluate(() => axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'], resultTypes: ['violations'] }));
  for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
    problems.push(`${name} ${lang}: [${v.impact}] ${v.id} — ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${JSON.stringify(n.target)} ${n.html.slice(0, 160)}`).join('\n')}`);
  }
}

const norm = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
const navigates = (page: Page, action: () => Promise<unknown>) => Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);

describe.each(['ar', 'fr'] as const)('%s', (lang) => {
  const t_ = translator(lang);

  test('a parent walks the help centre at 360 px: contents, age rule and tolerance band, dates, green number', async () => {
    // bypassCSP only so that the test can inject axe-core (the pages' CSP allows no inline script).
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true });
    const page = await context.newPage();
    const problems: string[] = [];
    await page.goto(`${t.baseUrl}/?lang=${lang}`);
    await navigates(page, () => page.locator('footer').getByRole('link', { name: t_('help.footer.centre') as string, exact: true }).click());
    expect(new URL(page.url()).pathname).toBe('/help');
    expect(norm(await page.locator('h1').textContent())).toBe(t_('help.title'));
    const toc = page.locator('nav.help-toc a');
    expect(await toc.count()).toBe(10);
    await audit(page, lang, 'centre', problems);

    // The contents jump to the birth certificate's section: its heading comes into view.
    const title = norm(await page.locator('#birth-certificate-title').textContent());
    await toc.filter({ hasText: title }).click();
    await page.waitForURL((u) => u.hash === '#birth-certificate');
    expect(await page.locator('#birth-certificate-title').isVisible()).toBe(true);
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(300);
    const items = (await page.locator('#birth-certificate li').allTextContents()).map(norm);
    expect(items).toHaveLength(6);
    expect(items[0]).toContain('1234/2021');

    // The current campaign's rule, from the data: 2027-2028, first year of primary.
    const primary = page.locator('#age-rules tr[data-level="primary1"]');
    expect(norm(await primary.locator('td[data-eligible]').textContent())).toBe(t_('help.age.bornOnOrBefore', { date: '31/12/2021' }));
    expect(norm(await primary.locator('td[data-tolerance]').textContent())).toBe(t_('help.age.bornBetween', { from: '01/01/2022', to: '31/03/2022' }));
    expect(norm(await page.locator('#campaign-dates li[data-level="primary1"]').textContent()))
      .toContain(t_('help.campaign.window', { opensOn: '01/11/2026', closesOn: '30/06/2027' }) as string);
    const green = page.locator('#help-green-number');
    expect(await green.getAttribute('href')).toBe('tel:0800001122');
    expect(norm(await green.textContent())).toBe('0800 00 11 22');
    expect(await page.locator('#green-number').getAttribute('href')).toBe('tel:0800001122');

    await navigates(page, () => page.locator('#contact').getByRole('link', { name: t_('help.ask.title') as string }).click());
    expect(new URL(page.url()).pathname).toBe('/help/ask');
    await audit(page, lang, 'ask', problems);
    await context.close();
    expect(problems).toEqual([]);
  }, 120000);

  test('a parent asks for help, the director answers, the answer reaches the parent and shows on the ticket page', async () => {
    const reference = await submit();
    const problems: string[] = [];
    const parentContext = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true });
    const parent = await parentContext.newPage();
    await parent.goto(`${t.baseUrl}/pre-registrations/${reference}?lang=${lang}`);
    await navigates(parent, () => parent.locator('footer').getByRole('link', { name: t_('help.footer.ask') as string, exact: true }).click());
    // 066x: a mobile range libphonenumber knows (some 06 ranges, e.g. 0680–0689, are unassigned).
    const mobile = `066${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const contact = lang === 'ar' ? `walid.${randomUUID().slice(0, 8)}@example.ma` : mobile;
    const recipient = lang === 'ar' ? contact : `+212${mobile.slice(1)}`;
    const question = lang === 'ar' ? 'ابني ولد في فبراير 2022، هل يمكن تسجيله؟' : 'Mon fils est né en février 2022, peut-il être inscrit ?';

    await parent.getByLabel(t_('help.ask.topic') as string).selectOption({ label: t_('help.topic.age') as string });
    await parent.getByLabel(t_('help.ask.reference') as string).fill(reference);
    await parent.getByLabel(t_(lang === 'ar' ? 'help.channel.email' : 'help.channel.sms') as string, { exact: true }).check();
    await parent.getByLabel(t_('help.ask.contact') as string).fill(contact);
    // Sent without a message: the error at the field and in the summary, in both languages; nothing typed is lost.
    await navigates(parent, () => parent.getByRole('button', { name: t_('help.ask.send') as string }).click());
    expect(norm(await parent.locator('#message-error').textContent())).toBe(t_('help.ask.error.messageRequired'));
    expect(norm(await parent.locator('.error-summary li').textContent())).toBe(`${t_('help.ask.error.messageRequired')} (${translator(lang === 'ar' ? 'fr' : 'ar')('help.ask.error.messageRequired')})`);
    expect(await parent.getByLabel(t_('help.ask.reference') as string).inputValue()).toBe(reference);
    expect(await parent.getByLabel(t_('help.ask.contact') as string).inputValue()).toBe(contact);
    await audit(parent, lang, 'ask-error', problems);
    await parent.getByLabel(t_('help.ask.message') as string).fill(question);
    await navigates(parent, () => parent.getByRole('button', { name: t_('help.ask.send') as string }).click());
    expect(new URL(parent.url()).pathname).toMatch(/^\/help\/requests\/[A-Za-z0-9_-]{32}$/);
    const ticketUrl = parent.url().replace(/\?.*$/, '');
    expect(norm(await parent.locator('#sent p').first().textContent())).toBe(t_('help.status.sent'));
    expect(await parent.locator('[data-status]').getAttribute('data-status')).toBe('open');
    expect(await parent.content()).not.toContain(contact);
    await audit(parent, lang, 'ticket-open', problems);

    // The director of the request's school, at 1280 px.
    const staffContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const director = await staffContext.newPage();
    await signInStaffPage(director, t.baseUrl, school.director.username, 'Tasjil-Demo-2027', { path: `/staff/login?lang=${lang}` });
    await director.goto(`${t.baseUrl}/staff/requests?lang=${lang}`);
    await navigates(director, () => director.locator('header').getByRole('link', { name: t_('help.queue.link') as string }).click());
    const row = director.locator('#help-queue tr', { hasText: reference });
    expect(await row.count()).toBe(1);
    await audit(director, lang, 'staff-queue', problems);
    await navigates(director, () => row.getByRole('link').click());
    expect(norm(await director.locator('#help-message').textContent())).toBe(question);
    const answer = lang === 'ar'
      ? 'نعم، الطفل مزداد في فترة التسامح، وسيبت المدير في الطلب.'
      : 'Oui : il est né dans la période de tolérance, le directeur décidera.';
    await director.getByLabel(t_('help.request.answer') as string).fill(answer);
    await navigates(director, () => director.getByRole('button', { name: t_('help.request.send') as string }).click());
    expect(norm(await director.locator('#flash').textContent())).toBe(t_('help.request.done.answered'));
    await audit(director, lang, 'staff-request', problems);

    // The answer reaches the parent once, through the sandbox of the chosen channel.
    const messages = await eventually(async () => {
      const rows = await t.orm.em.fork().getConnection().execute<Array<{ channel: string; body: string }>>(
        'select channel, body from dev_outbox_message where recipient = ? order by id', [recipient]);
      return rows.length ? rows : null;
    });
    expect(messages).toHaveLength(1);
    expect(messages[0].channel).toBe(lang === 'ar' ? 'email' : 'sms');
    expect(messages[0].body).toContain(answer);
    if (lang === 'ar') expect(messages[0].body).toContain(`${ticketUrl.replace(t.baseUrl, t.config.publicBaseUrl)}?lang=ar`);

    // The parent follows the ticket: answered, with the director's answer.
    await parent.goto(ticketUrl);
    expect(await parent.locator('[data-status]').getAttribute('data-status')).toBe('answered');
    expect(norm(await parent.locator('#answers .answer').textContent())).toBe(answer);
    await audit(parent, lang, 'ticket-answered', problems);
    await staffContext.close();
    await parentContext.close();
    expect(problems).toEqual([]);
  }, 180000);
});
