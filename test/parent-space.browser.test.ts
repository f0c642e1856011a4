/**
 * The parents' space in a real browser (Debian's Chromium driven by playwright-core), in Arabic and
 * in French, as a new user would: inputs found by their label, buttons and links by their visible
 * text, nothing posted behind the page's back.
 *
 * Per language, one parent:
 * - signs up (Arabic: e-mail address; French: mobile number), reads the one-time code from the
 *   messaging sandboxes' outbox (dev_outbox_message) and confirms it;
 * - fills every step; a wrong answer is reported at the field and in the summary at the top, whose
 *   link jumps to the field; the other answers are kept; corrected, the form goes on; the civil-status
 *   step shows the Hijri date computed from the birth date;
 * - part-way, "save and continue later", signs out, signs in again in a new browser context (another
 *   device) and resumes from the space;
 * - finds the place of residence by typing part of its name, without JavaScript (Arabic: the search
 *   button reloads the page with the results) or with it (French: results as one types), chooses it,
 *   sees the other-school reason appear only when that choice is ticked, and chooses the school;
 * - uploads the photo (Arabic: the HEIC fixture from an iPhone; French: a JPEG made with sharp),
 *   checks every part of the review page, submits and reads the reference on the status page;
 * - then edits the request from the space (the child's first name), sends the changes, and withdraws it.
 * Every step, the sign-up, the code page and the space home are captured full page at 360 px and
 * 1280 px in test-output/screenshots/space-<lang>-<page>-<width>.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { launchChromium, SHOTS } from './support/browser';
import sharp from 'sharp';
import { gregorianToHijri } from '../domain/hijri';
import { PreRegistration, PreRegistrationDraft } from '../entities';
import { translator } from '../web/i18n';
import { demoSchool, eventually, startTestApp, type TestApp } from './support/app';

const HEIC = path.join(__dirname, 'fixtures', 'photo-1200x900.heic');
const WIDTHS = [360, 1280] as const;
const PAGES = ['sign-up', 'verify', 'home', 'child', 'civilStatus', 'siblings', 'guardian', 'parents', 'school', 'photo', 'review', 'copy'] as const;
type Lang = 'ar' | 'fr';

// The page-side globals used inside page.evaluate (the project compiles without the DOM library).
declare const document: { activeElement: { id: string } | null; querySelector(s: string): { naturalWidth: number; complete: boolean } | null };

let t: TestApp;
let browser: Browser;
let place: { academy: Record<Lang, string>; directorate: Record<Lang, string>; commune: Record<Lang, string>; zone: Record<Lang, string>; school: Record<Lang, string>; schoolCode: string };
const written: string[] = [];
const stamp = `${Date.now().toString(36).toUpperCase()}${randomUUID().slice(0, 4).toUpperCase()}`;

beforeAll(async () => {
  t = await startTestApp();
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  // The demo school of test/parent-space.test.ts and the names of its chain, as the lists show them.
  const school = await demoSchool(t, 'first');
  const [row] = await t.orm.em.fork().getConnection().execute<Array<Record<string, string>>>(
    `select a.name_ar as academy_ar, a.name_fr as academy_fr, d.name_ar as directorate_ar, d.name_fr as directorate_fr,
            c.name_ar as commune_ar, c.name_fr as commune_fr, z.name_ar as zone_ar, z.name_fr as zone_fr, s.name_ar as school_ar, s.name_fr as school_fr
       from school s, residence_zone z, commune c, provincial_directorate d, academy a
      where s.code = ? and z.code = ? and c.code = z.commune_code and d.code = ? and a.code = d.academy_code`,
    [school.schoolCode, school.zoneCode, school.directorateCode]);
  const pair = (k: string) => ({ ar: row[`${k}_ar`], fr: row[`${k}_fr`] });
  place = { academy: pair('academy'), directorate: pair('directorate'), commune: pair('commune'), zone: pair('zone'), school: pair('school'), schoolCode: school.schoolCode };
}, 60000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

// ---- helpers ----------------------------------------------------------------------------------

/** Collapses the markup's white space (not the catalogue's no-break spaces). */
const norm = (s: string | null) => (s ?? '').replace(/[ \t\n\r\f]+/g, ' ').replace(/^ | $/g, '');
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Runs `action` (a click, a choice) and waits until the page it leads to has loaded. */
async function navigates(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
}
const press = (page: Page, button: Locator) => navigates(page, () => button.click());

/** Full-page captures at 360 and 1280 px; the viewport is put back as it was. */
async function shots(page: Page, lang: Lang, name: (typeof PAGES)[number]): Promise<void> {
  const before = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    const file = path.join(SHOTS, `space-${lang}-${name}-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    written.push(file);
  }
  if (before) await page.setViewportSize(before);
}

/** The last message the sandboxes captured for `recipient` (e-mail address or E.164 number). */
async function lastMessage(recipient: string): Promise<{ channel: string; subject: string | null; body: string }> {
  return eventually(async () => {
    const rows = await t.orm.em.fork().getConnection().execute<{ channel: string; subject: string | null; body: string }[]>(
      'select channel, subject, body from dev_outbox_message where recipient = ? order by id desc limit 1', [recipient]);
    return rows[0];
  });
}

/** The message shown at a field: the element its aria-describedby names as the error. */
async function fieldError(page: Page, field: Locator): Promise<string> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter((id) => id.endsWith('-error'));
  expect(ids.length).toBe(1);
  return norm(await page.locator(`#${ids[0]}`).textContent());
}

/** `dt` → `dd` of a definition list, texts with their white space collapsed. */
async function summary(list: Locator): Promise<Array<[string, string]>> {
  const dts = (await list.locator('dt').allTextContents()).map(norm);
  const dds = (await list.locator('dd').allTextContents()).map(norm);
  return dts.map((dt, i) => [dt, dds[i]]);
}

interface Person { firstNameAr: string; lastNameAr: string; firstNameLatin: string; lastNameLatin: string; cin?: string; profession?: string; phone?: string; email?: string; address?: string }
interface Journey {
  lang: Lang;
  /** How the parent signs up and signs in: an e-mail address or a mobile number as typed. */
  identifier: string;
  /** Where the code arrives (outbox recipient). */
  recipient: string;
  password: string;
  child: Person;
  /** What the parent types first in one of the child's names, and where. */
  wrongName: { field: 'firstNameAr' | 'lastNameLatin'; typed: string; code: string };
  birthDate: string;
  civil: { birthPlace: string; certificate: string; certificateDate: string; fatherLineage: string; motherLineage: string };
  sibling: (Person & { birthDate: string }) | null;
  guardian: 'father' | 'mother';
  father: Person;
  mother: Person;
  /** The step where the parent saves and signs out, to continue on another device. */
  pauseAt: 'siblings' | 'parents';
  javaScriptForSchool: boolean;
  photo: () => Promise<{ name: string; mimeType: string; buffer: Buffer }>;
  editedFirstName: { ar: string; latin: string };
}

/** Per language: what the parent is, types and chooses. */
function journeyOf(lang: Lang): Journey {
  // 066x: a mobile range libphonenumber knows (some 06 ranges, e.g. 0680–0689, are unassigned and refused).
  const digits = `6${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  if (lang === 'ar') {
    return {
      lang, identifier: `hind.${stamp.toLowerCase()}@example.ma`, recipient: `hind.${stamp.toLowerCase()}@example.ma`, password: 'Bahr-Essaouira-2027',
      child: { firstNameAr: 'رانية', lastNameAr: 'البقالي', firstNameLatin: 'Rania', lastNameLatin: 'El Baqqali' },
      wrongName: { field: 'firstNameAr', typed: 'Rania', code: 'validation.arabicOnly' },
      birthDate: '2021-02-17',
      civil: { birthPlace: 'طنجة', certificate: `BRW-AR-${stamp}`, certificateDate: '2021-02-25', fatherLineage: 'سعيد بن عمر البقالي', motherLineage: 'هند بنت إدريس' },
      sibling: null,
      guardian: 'mother',
      father: { firstNameAr: 'سعيد', lastNameAr: 'البقالي', firstNameLatin: 'Said', lastNameLatin: 'El Baqqali' },
      mother: { firstNameAr: 'هند', lastNameAr: 'الشاوي', firstNameLatin: 'Hind', lastNameLatin: 'Chaoui', cin: 'LB204518', profession: 'ممرضة', phone: '0661234509', email: '', address: 'حي مرشان، طنجة' },
      pauseAt: 'parents',
      javaScriptForSchool: false,
      photo: async () => ({ name: 'IMG_2041.HEIC', mimeType: 'image/heic', buffer: fs.readFileSync(HEIC) }),
      editedFirstName: { ar: 'ريم', latin: 'Rim' },
    };
  }
  return {
    lang, identifier: `06 ${digits.slice(0, 2)} ${digits.slice(2, 4)} ${digits.slice(4, 6)} ${digits.slice(6)}`, recipient: `+2126${digits}`, password: 'Jardin-Majorelle-2027',
    child: { firstNameAr: 'آدم', lastNameAr: 'التازي', firstNameLatin: 'Adam', lastNameLatin: 'Tazi' },
    wrongName: { field: 'lastNameLatin', typed: 'التازي', code: 'validation.latinOnly' },
    birthDate: '2021-06-03',
    civil: { birthPlace: 'Fès', certificate: `BRW-FR-${stamp}`, certificateDate: '2021-06-10', fatherLineage: 'Karim ben Ali Tazi', motherLineage: 'Salma bent Youssef' },
    sibling: { firstNameAr: 'ليلى', lastNameAr: 'التازي', firstNameLatin: 'Laila', lastNameLatin: 'Tazi', birthDate: '2023-09-21' },
    guardian: 'father',
    father: { firstNameAr: 'كريم', lastNameAr: 'التازي', firstNameLatin: 'Karim', lastNameLatin: 'Tazi', cin: 'CD771204', profession: 'Ingénieur', phone: '06 70 12 34 56', email: 'karim.tazi@example.ma', address: '12 rue Ibn Khaldoun, Fès' },
    mother: { firstNameAr: 'سلمى', lastNameAr: 'العمراني', firstNameLatin: 'Salma', lastNameLatin: 'El Amrani' },
    pauseAt: 'siblings',
    javaScriptForSchool: true,
    photo: async () => ({
      name: 'photo-adam.jpg', mimeType: 'image/jpeg',
      buffer: await sharp({ create: { width: 600, height: 800, channels: 3, background: { r: 190, g: 170, b: 150 } } }).jpeg({ quality: 85 }).toBuffer(),
    }),
    editedFirstName: { ar: 'أنس', latin: 'Anas' },
  };
}

/** What one journey leaves for the next test of the same language. */
const done: Partial<Record<Lang, { reference: string; context: BrowserContext; page: Page; j: Journey }>> = {};

async function newDevice(opts: { javaScriptEnabled: boolean; width: number }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: opts.width, height: 800 }, javaScriptEnabled: opts.javaScriptEnabled });
  return { context, page: await context.newPage() };
}

/** Fills the four names of a person inside `scope` (the page or one fieldset). */
async function fillNames(scope: Page | Locator, T: ReturnType<typeof translator>, p: Person): Promise<void> {
  await scope.getByLabel(T('field.firstNameAr') as string, { exact: true }).fill(p.firstNameAr);
  await scope.getByLabel(T('field.lastNameAr') as string, { exact: true }).fill(p.lastNameAr);
  await scope.getByLabel(T('field.firstNameLatin') as string, { exact: true }).fill(p.firstNameLatin);
  await scope.getByLabel(T('field.lastNameLatin') as string, { exact: true }).fill(p.lastNameLatin);
}
async function fillPerson(scope: Locator, T: ReturnType<typeof translator>, p: Person): Promise<void> {
  await fillNames(scope, T, p);
  // The guardian's block: CIN, phone and address required; profession and e-mail marked optional.
  const optional = (key: string) => `${T(key)} ${T('form.optional')}`;
  if (p.cin !== undefined) await scope.getByLabel(T('field.cin') as string, { exact: true }).fill(p.cin);
  if (p.profession !== undefined) await scope.getByLabel(optional('field.profession'), { exact: true }).fill(p.profession);
  if (p.phone !== undefined) await scope.getByLabel(T('field.phone') as string, { exact: true }).fill(p.phone);
  if (p.email !== undefined) await scope.getByLabel(optional('field.email'), { exact: true }).fill(p.email);
  if (p.address !== undefined) await scope.getByLabel(T('field.address') as string, { exact: true }).fill(p.address);
}

/** Signs in from the home page's header link; lands in the space. */
async function signIn(page: Page, lang: Lang, j: Journey): Promise<void> {
  const T = translator(lang);
  await page.goto(`${t.baseUrl}/`);
  if (lang === 'fr') await navigates(page, () => page.getByRole('link', { name: 'Français', exact: true }).click());
  expect(await page.getAttribute('html', 'lang')).toBe(lang);
  await navigates(page, () => page.getByRole('navigation').getByRole('link', { name: T('nav.parentSignIn') as string, exact: true }).click());
  expect(new URL(page.url()).pathname).toBe('/account/sign-in');
  expect(norm(await page.getByRole('heading', { level: 1 }).textContent())).toBe(T('account.signIn.title'));
  await page.getByLabel(T('account.field.identifier') as string, { exact: true }).fill(j.identifier);
  await page.getByLabel(T('account.field.password') as string, { exact: true }).fill(j.password);
  await press(page, page.getByRole('button', { name: T('account.signIn.submit') as string, exact: true }));
  expect(new URL(page.url()).pathname).toBe('/space');
}

// ---- the journey -------------------------------------------------------------------------------

async function fillAndSubmit(lang: Lang): Promise<void> {
  const T = translator(lang);
  const j = journeyOf(lang);
  const saveContinue = (page: Page) => page.getByRole('button', { name: T('space.saveContinue') as string, exact: true });
  const h1 = async (page: Page) => norm(await page.getByRole('heading', { level: 1 }).textContent());

  // 1. Sign-up on a phone, from the home page.
  let { context, page } = await newDevice({ javaScriptEnabled: true, width: 360 });
  await page.goto(`${t.baseUrl}/`);
  if (lang === 'fr') await navigates(page, () => page.getByRole('link', { name: 'Français', exact: true }).click());
  expect([await page.getAttribute('html', 'lang'), await page.getAttribute('html', 'dir')]).toEqual(lang === 'ar' ? ['ar', 'rtl'] : ['fr', 'ltr']);
  await navigates(page, () => page.getByRole('main').getByRole('link', { name: T('account.signUp.title') as string, exact: true }).click());
  expect(await h1(page)).toBe(T('account.signUp.title'));
  await page.getByLabel(T('account.field.identifier') as string, { exact: true }).fill(j.identifier);
  await page.getByLabel(T('account.field.password') as string, { exact: true }).fill(j.password);
  await page.getByLabel(T('account.field.passwordConfirm') as string, { exact: true }).fill(j.password);
  await shots(page, lang, 'sign-up');
  await press(page, page.getByRole('button', { name: T('account.signUp.submit') as string, exact: true }));
  expect(new URL(page.url()).pathname).toBe('/account/verify');
  expect(await h1(page)).toBe(T('account.verify.title'));

  const msg = await lastMessage(j.recipient);
  const code = /\b(\d{6})\b/.exec(msg.body)?.[1] ?? '';
  if (lang === 'ar') {
    expect([msg.channel, msg.subject]).toEqual(['email', 'تسجيل: رمز تأكيد حسابكم']);
    expect(msg.body).toContain(`رمز تأكيد حسابكم في منصة تسجيل هو: ${code}`);
    expect(norm(await page.locator('main bdi').first().textContent())).toBe(`h•••@example.ma`);
  } else {
    // French typography: a no-break space before the colon.
    // Sent in GSM-7: the catalogue's no-break space before the colon becomes a plain space.
    expect([msg.channel, msg.body]).toEqual(['sms', `Tasjil : votre code de confirmation est ${code} (valable 10 min).`]);
  }
  expect(code).toMatch(/^\d{6}$/);
  await page.getByLabel(T('account.field.code') as string, { exact: true }).fill(code);
  await shots(page, lang, 'verify');
  await press(page, page.getByRole('button', { name: T('account.verify.submit') as string, exact: true }));
  expect(new URL(page.url()).pathname).toBe('/space');
  expect(await h1(page)).toBe(T('space.title'));
  expect(await page.getByText(T('space.noDrafts') as string, { exact: true }).count()).toBe(1);

  // 2. A new child: the child step, with one name typed in the wrong script.
  await press(page, page.getByRole('button', { name: T('space.newChild') as string, exact: true }));
  expect(new URL(page.url()).pathname).toMatch(/^\/space\/drafts\/[0-9a-f-]{36}\/child$/);
  const draftId = new URL(page.url()).pathname.split('/')[3];
  expect(await h1(page)).toBe(T('space.step.child'));
  // The level is asked, not preselected; required fields say so to assistive technology.
  expect(await page.getByRole('radio', { checked: true }).count()).toBe(0);
  expect(await page.getByRole('radiogroup', { name: T('field.level') as string, exact: true }).getAttribute('aria-required')).toBe('true');
  for (const f of ['firstNameAr', 'lastNameAr', 'firstNameLatin', 'lastNameLatin', 'birthDate'] as const) {
    const input = page.getByLabel(T(`field.${f}`) as string, { exact: true });
    expect([f, await input.getAttribute('required'), await input.getAttribute('aria-required')]).toEqual([f, '', 'true']);
  }
  const birthDateInput = page.getByLabel(T('field.birthDate') as string, { exact: true });
  expect([await birthDateInput.getAttribute('inputmode'), await birthDateInput.getAttribute('pattern')]).toEqual(['numeric', '\\d{4}-\\d{2}-\\d{2}']);
  await page.getByRole('radio', { name: T('level.primary1') as string, exact: true }).check();
  await fillNames(page, T, { ...j.child, [j.wrongName.field]: j.wrongName.typed });
  await birthDateInput.fill(j.birthDate);
  await press(page, saveContinue(page));
  const wrongLabel = T(`field.${j.wrongName.field}`) as string;
  const wrongInput = page.getByLabel(wrongLabel, { exact: true });
  expect(await fieldError(page, wrongInput)).toBe(T(j.wrongName.code));
  expect(await wrongInput.getAttribute('aria-invalid')).toBe('true');
  const summaryBox = page.getByRole('alert');
  expect(norm(await summaryBox.getByRole('heading').textContent())).toBe(T('error.summaryTitle'));
  const link = summaryBox.getByRole('link');
  expect((await link.allTextContents()).map(norm)).toEqual([`${T('parent.form.childStep')} — ${wrongLabel} — ${T(j.wrongName.code)}`]);
  expect(await page.title()).toBe(`${T('error.titlePrefix')} ${T('space.step.child')} — ${T('space.form.title')} — ${T('app.name')}`);
  // The other answers are still there, the wrong one as typed.
  for (const f of ['firstNameAr', 'lastNameAr', 'firstNameLatin', 'lastNameLatin'] as const) {
    expect([f, await page.getByLabel(T(`field.${f}`) as string, { exact: true }).inputValue()]).toEqual([f, f === j.wrongName.field ? j.wrongName.typed : j.child[f]]);
  }
  expect(await birthDateInput.inputValue()).toBe(j.birthDate);
  expect(await page.getByRole('radio', { name: T('level.primary1') as string, exact: true }).isChecked()).toBe(true);
  // The summary's link jumps to the field and puts the focus on it.
  await link.click();
  expect(new URL(page.url()).hash).toBe(`#child-${j.wrongName.field}`);
  await eventually(async () => (await page.evaluate(() => document.activeElement?.id)) === `child-${j.wrongName.field}`, 5000);
  await wrongInput.fill(j.child[j.wrongName.field]);
  await shots(page, lang, 'child');
  await press(page, saveContinue(page));

  // 3. Civil status: the Umm al-Qura date computed from the birth date is shown for the parent to confirm
  // or to replace with the certificate's (Arabic: left unanswered first; French: "no", then a month off).
  expect(new URL(page.url()).pathname).toBe(`/space/drafts/${draftId}/civilStatus`);
  expect(await h1(page)).toBe(T('space.step.civilStatus'));
  const hijri = gregorianToHijri(j.birthDate);
  const confirm = page.getByRole('radiogroup', { name: T('flow.hijri.legend', { date: hijri }) as string, exact: true });
  expect(norm(await page.locator('#computed-hijri').textContent())).toBe(T('flow.hijri.hint', { birthDate: j.birthDate }));
  expect(await confirm.getAttribute('aria-required')).toBe('true');
  const hijriYes = confirm.getByRole('radio', { name: `${T('flow.hijri.yes')} (${hijri})`, exact: true });
  const hijriNo = confirm.getByRole('radio', { name: T('flow.hijri.no') as string, exact: true });
  const hijriInput = page.getByLabel(T('field.birthDateHijri') as string, { exact: true });
  expect(await hijriInput.isVisible()).toBe(false); // asked only when the parent says the certificate differs
  const wrongHijri = hijri.replace(/-(\d\d)-/, (_, m: string) => `-${String((Number(m) % 12) + 1).padStart(2, '0')}-`);
  if (lang === 'fr') {
    await hijriNo.check();
    expect(await hijriInput.isVisible()).toBe(true);
    expect([await hijriInput.getAttribute('inputmode'), await hijriInput.getAttribute('pattern')]).toEqual(['numeric', '\\d{4}-\\d{1,2}-\\d{1,2}']);
    await hijriInput.fill(wrongHijri);
  }
  await page.getByLabel(T('field.birthPlace') as string, { exact: true }).fill(j.civil.birthPlace);
  await page.getByLabel(T('field.birthCertificateNumber') as string, { exact: true }).fill(j.civil.certificate);
  await page.getByLabel(T('field.birthCertificateDate') as string, { exact: true }).fill(j.civil.certificateDate);
  await page.getByLabel(T('field.fatherLineage') as string, { exact: true }).fill(j.civil.fatherLineage);
  await page.getByLabel(T('field.motherLineage') as string, { exact: true }).fill(j.civil.motherLineage);
  await press(page, saveContinue(page));
  // After an error the summary, first in the page, takes the focus.
  await eventually(async () => (await page.evaluate(() => document.activeElement?.id)) === 'error-summary', 5000);
  if (lang === 'fr') {
    const hijriMessage = T('validation.hijriMismatch', { expected: hijri }) as string;
    expect(await fieldError(page, hijriInput)).toBe(hijriMessage);
    expect((await page.getByRole('alert').getByRole('link').allTextContents()).map(norm))
      .toEqual([`${T('parent.form.civilStatusStep')} — ${T('field.birthDateHijri')} — ${hijriMessage}`]);
    expect(await hijriInput.inputValue()).toBe(wrongHijri);
  } else {
    expect(await fieldError(page, confirm)).toBe(T('validation.chooseOne'));
    expect((await page.getByRole('alert').getByRole('link').allTextContents()).map(norm))
      .toEqual([`${T('parent.form.civilStatusStep')} — ${T('field.hijriConfirm')} — ${T('validation.chooseOne')}`]);
  }
  expect(await page.getByLabel(T('field.birthCertificateNumber') as string, { exact: true }).inputValue()).toBe(j.civil.certificate);
  await hijriYes.check();
  expect(await hijriInput.isVisible()).toBe(false);
  await shots(page, lang, 'civilStatus');
  await press(page, saveContinue(page));

  // 4. Siblings.
  expect(new URL(page.url()).pathname).toBe(`/space/drafts/${draftId}/siblings`);
  expect(await h1(page)).toBe(T('space.step.siblings'));

  if (j.pauseAt === 'siblings') {
    // Saved for later on the phone; continued on a computer.
    await press(page, page.getByRole('button', { name: T('space.saveLater') as string, exact: true }));
    ({ context, page } = await resumeElsewhere(context, page, lang, j, 'siblings', { javaScriptEnabled: true, width: 1280 }));
  }
  // The question first; the rows only after "yes".
  const hasSiblings = page.getByRole('radiogroup', { name: T('flow.hasSiblings') as string, exact: true });
  expect(await page.getByRole('group', { name: `${T('parent.form.sibling')} 1`, exact: true }).isVisible()).toBe(false);
  await hasSiblings.getByRole('radio', { name: T(j.sibling ? 'choice.yes' : 'choice.no') as string, exact: true }).check();
  if (j.sibling) {
    const first = page.getByRole('group', { name: `${T('parent.form.sibling')} 1`, exact: true });
    await fillNames(first, T, j.sibling);
    await first.getByLabel(`${T('field.birthDate')} ${T('form.optional')}`, { exact: true }).fill(j.sibling.birthDate);
    // A second row added by mistake, then removed.
    await press(page, page.getByRole('button', { name: T('space.addSibling') as string, exact: true }));
    const second = page.getByRole('group', { name: `${T('parent.form.sibling')} 2`, exact: true });
    expect(await second.getByLabel(T('field.firstNameAr') as string, { exact: true }).inputValue()).toBe('');
    expect(await first.getByLabel(T('field.firstNameLatin') as string, { exact: true }).inputValue()).toBe(j.sibling.firstNameLatin);
    await press(page, second.getByRole('button', { name: T('space.removeSibling') as string, exact: true }));
    expect(await hasSiblings.getByRole('radio', { name: T('choice.yes') as string, exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole('group', { name: new RegExp(`^${escapeRe(T('parent.form.sibling') as string)} \\d$`) }).count()).toBe(1);
    expect(await first.getByLabel(`${T('field.birthDate')} ${T('form.optional')}`, { exact: true }).inputValue()).toBe(j.sibling.birthDate);
  }
  await shots(page, lang, 'siblings');
  await press(page, saveContinue(page));

  // 5. The guardian's role, then only the blocks that apply.
  expect(new URL(page.url()).pathname).toBe(`/space/drafts/${draftId}/guardian`);
  expect(await h1(page)).toBe(T('space.step.guardian'));
  const roles = page.getByRole('radiogroup', { name: T('field.guardianRole') as string, exact: true });
  await roles.getByRole('radio', { name: T(`guardianRole.${j.guardian}`) as string, exact: true }).check();
  await shots(page, lang, 'guardian');
  await press(page, saveContinue(page));
  expect(new URL(page.url()).pathname).toBe(`/space/drafts/${draftId}/parents`);
  expect(await h1(page)).toBe(T('space.step.parents'));
  const group = (key: string) => page.getByRole('group', { name: T(key) as string, exact: true });
  const guardianKey = `parent.form.${j.guardian}`;
  const otherKey = j.guardian === 'father' ? 'parent.form.mother' : 'parent.form.father';
  const guardianPerson = j.guardian === 'father' ? j.father : j.mother;
  const otherPerson = j.guardian === 'father' ? j.mother : j.father;
  // Only the names of the other parent; no tutor block.
  expect(await group(otherKey).locator('input').count()).toBe(4);
  expect(await group('parent.form.tutor').count()).toBe(0);
  // The guardian's block: required fields marked, optional ones said so; the account's phone or e-mail pre-filled.
  const g = group(guardianKey);
  for (const key of ['field.cin', 'field.phone', 'field.address']) {
    const input = g.getByLabel(T(key) as string, { exact: true });
    expect([key, await input.getAttribute('required'), await input.getAttribute('aria-required')]).toEqual([key, '', 'true']);
  }
  for (const key of ['field.profession', 'field.email']) {
    const input = g.getByLabel(`${T(key)} ${T('form.optional')}`, { exact: true });
    expect([key, await input.getAttribute('required'), await input.getAttribute('aria-required')]).toEqual([key, null, null]);
  }
  if (lang === 'ar') expect(await g.getByLabel(`${T('field.email')} ${T('form.optional')}`, { exact: true }).inputValue()).toBe(j.recipient);
  else expect(await g.getByLabel(T('field.phone') as string, { exact: true }).inputValue()).toBe(`0${j.recipient.slice(4)}`);
  await fillNames(group(otherKey), T, otherPerson);
  if (j.pauseAt === 'parents') {
    // Saved for later on the phone; continued on another phone that runs no JavaScript.
    await press(page, page.getByRole('button', { name: T('space.saveLater') as string, exact: true }));
    ({ context, page } = await resumeElsewhere(context, page, lang, j, 'parents', { javaScriptEnabled: false, width: 360 }));
    for (const [k, v] of Object.entries({ firstNameAr: otherPerson.firstNameAr, lastNameLatin: otherPerson.lastNameLatin })) {
      expect(await group(otherKey).getByLabel(T(`field.${k}`) as string, { exact: true }).inputValue()).toBe(v);
    }
  }
  if (lang === 'fr') {
    // A landline as the guardian's phone, no e-mail: refused at the phone field, saying why.
    await fillPerson(group(guardianKey), T, { ...guardianPerson, phone: '05 37 12 34 56', email: '' });
    await press(page, saveContinue(page));
    const phone = group(guardianKey).getByLabel(T('field.phone') as string, { exact: true });
    expect(await fieldError(page, phone)).toBe(T('validation.phoneLandline'));
    expect(T('validation.phoneLandline')).toBe('Ce numéro est une ligne fixe, qui ne reçoit pas de SMS\u00a0: indiquez un mobile (06 ou 07) ou ajoutez une adresse e-mail ci-dessous.');
    expect((await page.getByRole('alert').getByRole('link').allTextContents()).map(norm))
      .toEqual([`${T(guardianKey)} — ${T('field.phone')} — ${T('validation.phoneLandline')}`]);
    expect(await phone.getAttribute('aria-invalid')).toBe('true');
    expect(await group(guardianKey).getByLabel(`${T('field.email')} ${T('form.optional')}`, { exact: true }).getAttribute('aria-invalid')).toBe(null);
  }
  await fillPerson(group(guardianKey), T, guardianPerson);
  await shots(page, lang, 'parents');
  await press(page, saveContinue(page));

  // 6. Residence and school.
  expect(new URL(page.url()).pathname).toBe(`/space/drafts/${draftId}/school`);
  expect(await h1(page)).toBe(T('space.step.school'));
  // The place found by typing part of the zone's name: without JavaScript the search button reloads
  // the page with the results; with it, the results come as one types and their count is read out.
  const search = page.getByLabel(T('flow.place.label') as string, { exact: true });
  const zoneLine = T('residence.zoneLine', { zone: place.zone[lang], commune: place.commune[lang], directorate: place.directorate[lang] }) as string;
  if (j.javaScriptForSchool) {
    await search.pressSequentially(place.zone[lang].slice(0, 5), { delay: 30 });
    await page.getByRole('radio', { name: zoneLine, exact: true }).waitFor();
    expect(norm(await page.locator('#place-count').textContent())).toMatch(new RegExp(`^${escapeRe(norm(T('flow.place.count', { count: 9 }) as string)).replace('9', '\\d+')}$`));
  } else {
    await search.fill(place.zone[lang]);
    await press(page, page.getByRole('button', { name: T('flow.place.search') as string, exact: true }));
    expect(norm(await page.locator('#place-count').textContent())).toBe(norm(T('flow.place.count', { count: 1 }) as string));
  }
  await page.getByRole('radio', { name: zoneLine, exact: true }).check();
  await press(page, page.getByRole('button', { name: T('residence.choose') as string, exact: true }));
  expect(norm(await page.locator('#chosen-place').textContent())).toBe(norm(`${T('flow.place.chosen')}${lang === 'fr' ? '\u00a0:' : ':'} ${zoneLine}`));
  // The other school and its reason appear only when chosen (CSS, no script).
  expect(await page.getByLabel(T('field.schoolChoiceReason') as string, { exact: true }).isVisible()).toBe(false);
  await page.getByRole('radio', { name: new RegExp(`^${escapeRe(T('flow.wantsOther') as string)}`) }).check();
  expect(await page.getByLabel(T('field.schoolChoiceReason') as string, { exact: true }).isVisible()).toBe(true);
  const schoolRadio = page.getByRole('group', { name: T('parent.form.schoolStep') as string, exact: true })
    .getByRole('radio', { name: new RegExp(`^${escapeRe(place.school[lang])} .*${escapeRe(place.schoolCode)}`) });
  await schoolRadio.check();
  await shots(page, lang, 'school');
  await press(page, saveContinue(page));

  // 7. Photo.
  expect(new URL(page.url()).pathname).toBe(`/space/drafts/${draftId}/photo`);
  expect(await h1(page)).toBe(T('space.step.photo'));
  await page.getByLabel(T('field.photo') as string, { exact: true }).setInputFiles(await j.photo());
  if (lang === 'fr') {
    // Sent first, checked on the page, then on.
    await press(page, page.getByRole('button', { name: 'Envoyer la photo', exact: true }));
    expect(norm(await page.getByRole('status').textContent())).toBe('La photo a été enregistrée.');
    const preview = page.getByRole('img', { name: "Photo d'identité de l'enfant", exact: true });
    await preview.waitFor();
    expect(await page.evaluate(() => { const img = document.querySelector('img.photo-preview'); return Boolean(img && img.complete && img.naturalWidth > 0); })).toBe(true);
  }
  await shots(page, lang, 'photo');
  await press(page, saveContinue(page));

  // 8. Review: every part as typed and chosen.
  expect(new URL(page.url()).pathname).toBe(`/space/drafts/${draftId}/review`);
  expect(await h1(page)).toBe(T('space.step.review'));
  const year = (await t.orm.em.fork().findOneOrFail(PreRegistrationDraft, { id: draftId })).data.schoolYear as string;
  expect(await summary(page.locator('#review-child'))).toEqual([
    [T('field.level'), `${T('level.primary1')} — ${year}`],
    [T('field.firstNameAr'), j.child.firstNameAr], [T('field.lastNameAr'), j.child.lastNameAr],
    [T('field.firstNameLatin'), j.child.firstNameLatin], [T('field.lastNameLatin'), j.child.lastNameLatin],
  ]);
  expect(await summary(page.locator('#review-civilStatus'))).toEqual([
    [T('field.birthDate'), j.birthDate], [T('field.birthDateHijri'), `${hijri} (${T('space.computedHijri')} ${hijri})`],
    [T('field.birthPlace'), j.civil.birthPlace], [T('field.birthCertificateNumber'), j.civil.certificate],
    [T('field.birthCertificateDate'), j.civil.certificateDate], [T('field.fatherLineage'), j.civil.fatherLineage], [T('field.motherLineage'), j.civil.motherLineage],
  ]);
  const siblings = norm(await page.locator('#review-siblings').textContent());
  expect(siblings).toBe(`${T('space.step.siblings')} ${T('space.change')} ${j.sibling
    ? `${j.sibling.firstNameAr} ${j.sibling.lastNameAr} — ${j.sibling.firstNameLatin} ${j.sibling.lastNameLatin} — ${j.sibling.birthDate}`
    : T('space.noSiblings')}`);
  const colon = lang === 'fr' ? '\u00a0:' : ':'; // French typography: a no-break space before the colon
  const personLine = (p: Person) => [
    `${p.firstNameAr} ${p.lastNameAr}`, `${p.firstNameLatin} ${p.lastNameLatin}`, p.cin ? `${T('field.cin')}${colon} ${p.cin}` : '', p.phone, p.email, p.address,
  ].filter(Boolean).join(' — ');
  expect(norm(await page.locator('#review-parents > p').textContent())).toBe(`${T('field.guardianRole')}${colon} ${T(`guardianRole.${j.guardian}`)}`);
  expect(await summary(page.locator('#review-parents'))).toEqual([[T('parent.form.father'), personLine(j.father)], [T('parent.form.mother'), personLine(j.mother)]]);
  expect(await summary(page.locator('#review-school'))).toEqual([
    [T('field.residenceZone'), `${place.zone[lang]} — ${place.commune[lang]} — ${place.directorate[lang]} — ${place.academy[lang]}`],
    [T('field.school'), `${place.school[lang]} (${place.schoolCode})`],
  ]);
  const photo = page.locator('#review-photo').getByRole('img', { name: T('space.photoAlt') as string, exact: true });
  await photo.waitFor();
  expect(await photo.getAttribute('src')).toMatch(new RegExp(`^/space/drafts/${draftId}/photo\\.jpg\\?v=`));
  const photoRes = await context.request.get(`${t.baseUrl}${await photo.getAttribute('src')}`);
  expect([photoRes.status(), photoRes.headers()['content-type']]).toEqual([200, 'image/jpeg']);
  expect(await page.getByRole('link', { name: T('space.change') as string, exact: true }).count()).toBe(6);
  expect(await page.getByRole('alert').count()).toBe(0);
  await shots(page, lang, 'review');

  // 9. Accept the privacy notice (an unticked checkbox), submit: the status page shows the reference.
  await page.getByRole('checkbox', { name: T('privacy.consent.label') as string, exact: true }).check();
  await press(page, page.getByRole('button', { name: T('action.submit') as string, exact: true }));
  const url = new URL(page.url());
  expect(url.pathname).toMatch(/^\/pre-registrations\/P\d{2}-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
  expect(url.search).toBe('?submitted=1');
  const reference = norm(await page.locator('.reference bdi').textContent());
  expect(url.pathname).toBe(`/pre-registrations/${reference}`);
  expect(await h1(page)).toBe(T('parent.status.receivedTitle'));
  expect(['submitted', 'underReview']).toContain(await page.locator('#status').getAttribute('data-status'));
  const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference }, { populate: ['school'] });
  expect([pr.childFirstNameAr, pr.childLastNameLatin, pr.birthCertificateNumber, pr.school.code, pr.guardianRole, pr.siblings.length, pr.photoKey !== null])
    .toEqual([j.child.firstNameAr, j.child.lastNameLatin, j.civil.certificate, place.schoolCode, j.guardian, j.sibling ? 1 : 0, true]);
  expect((await t.orm.em.fork().findOneOrFail(PreRegistrationDraft, { id: draftId })).reference).toBe(reference);
  done[lang] = { reference, context, page, j };
}

/** "Save and continue later" was pressed: the space says so; sign out; sign in on another device; resume. */
async function resumeElsewhere(context: BrowserContext, page: Page, lang: Lang, j: Journey, step: 'siblings' | 'parents', device: { javaScriptEnabled: boolean; width: number }) {
  const T = translator(lang);
  expect(new URL(page.url()).pathname).toBe('/space');
  expect(norm(await page.getByRole('status').textContent())).toBe(T('space.saved'));
  const stepNumber = step === 'siblings' ? 3 : 5;
  const card = page.locator('#drafts li');
  expect(await card.count()).toBe(1);
  expect(norm(await card.locator('strong').textContent())).toBe(lang === 'ar' ? `${j.child.firstNameAr} ${j.child.lastNameAr}` : `${j.child.firstNameLatin} ${j.child.lastNameLatin}`);
  expect(norm(await card.locator('.hint').textContent())).toMatch(new RegExp(`^${escapeRe(T('space.draftProgress', { step: T(`space.step.${step}`) }) as string)} \\(${stepNumber}/8\\) — `));
  await press(page, page.getByRole('navigation', { name: T('nav.label') as string }).getByRole('button', { name: T('nav.signOut') as string, exact: true }));
  expect(new URL(page.url()).pathname).toBe('/');
  await page.goto(`${t.baseUrl}/space`);
  expect(new URL(page.url()).pathname).toBe('/account/sign-in');
  await context.close();

  const other = await newDevice(device);
  await signIn(other.page, lang, j);
  await shots(other.page, lang, 'home');
  await press(other.page, other.page.locator('#drafts').getByRole('link', { name: T('space.continue') as string, exact: true }));
  expect(new URL(other.page.url()).pathname).toMatch(new RegExp(`^/space/drafts/[0-9a-f-]{36}/${step}$`));
  return other;
}

/** From the space: edit (the child's first name), send the changes; then withdraw. */
async function editAndWithdraw(lang: Lang): Promise<void> {
  const T = translator(lang);
  const state = done[lang];
  if (!state) throw new Error(`the ${lang} journey did not finish`);
  const { reference, page, context, j } = state;
  const mySpace = () => navigates(page, () => page.getByRole('navigation', { name: T('nav.label') as string }).getByRole('link', { name: T('nav.space') as string, exact: true }).click());
  const card = () => page.locator(`#requests li[data-reference="${reference}"]`);

  // The request is listed; reloaded until the automatic checks are done and the school has it.
  await mySpace();
  await eventually(async () => {
    await page.reload();
    return (await card().locator('.tag').getAttribute('data-status')) === 'underReview';
  });
  expect(norm(await card().locator('.tag').textContent())).toBe(T('status.underReview'));
  expect(norm(await card().locator('strong').textContent())).toBe(lang === 'ar' ? `${j.child.firstNameAr} ${j.child.lastNameAr}` : `${j.child.firstNameLatin} ${j.child.lastNameLatin}`);

  await press(page, card().getByRole('button', { name: T('space.edit') as string, exact: true }));
  expect(new URL(page.url()).pathname).toMatch(/^\/space\/drafts\/[0-9a-f-]{36}\/review$/);
  expect(norm(await page.locator('main [role="note"]').textContent())).toBe(`${T('space.editingNotice')} ${reference}`);
  await press(page, page.locator('#review-child').getByRole('link', { name: T('space.change') as string, exact: true }));
  expect(await page.getByRole('radio').count()).toBe(0); // the level is fixed
  await page.getByLabel(T('field.firstNameAr') as string, { exact: true }).fill(j.editedFirstName.ar);
  await page.getByLabel(T('field.firstNameLatin') as string, { exact: true }).fill(j.editedFirstName.latin);
  await press(page, page.getByRole('button', { name: T('space.saveContinue') as string, exact: true }));
  expect(new URL(page.url()).pathname).toMatch(/\/civilStatus$/);
  await press(page, page.getByRole('navigation', { name: T('space.progress') as string }).getByRole('link', { name: T('space.step.review') as string, exact: true }));
  expect(await summary(page.locator('#review-child'))).toContainEqual([T('field.firstNameAr'), j.editedFirstName.ar]);
  await press(page, page.getByRole('button', { name: T('space.sendChanges') as string, exact: true }));
  expect(page.url()).toBe(`${t.baseUrl}/pre-registrations/${reference}?edited=1`);
  expect(norm(await page.locator('#flash').textContent())).toBe(T('space.edited'));
  if (lang === 'fr') expect(norm(await page.locator('#flash').textContent())).toBe('Vos modifications ont été envoyées\u00a0; les vérifications automatiques ont été refaites.');
  const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
  expect([pr.childFirstNameAr, pr.childFirstNameLatin, pr.childLastNameAr]).toEqual([j.editedFirstName.ar, j.editedFirstName.latin, j.child.lastNameAr]);

  // Withdrawal from the space.
  await mySpace();
  expect(norm(await card().locator('strong').textContent())).toBe(lang === 'ar' ? `${j.editedFirstName.ar} ${j.child.lastNameAr}` : `${j.editedFirstName.latin} ${j.child.lastNameLatin}`);
  // A secondary link on the card, then the confirmation page saying what the withdrawal ends.
  await press(page, card().getByRole('link', { name: T('withdraw.link') as string, exact: true }));
  expect(page.url()).toBe(`${t.baseUrl}/space/requests/${reference}/withdraw`);
  expect((await page.locator('#withdraw-ends li').allTextContents()).map(norm)).toEqual([
    T('withdraw.ends.review'), T('withdraw.ends.place'), T('withdraw.ends.final'), T('withdraw.ends.newRequest', { date: '30/06/2027' }), T('withdraw.ends.message'),
  ]);
  await press(page, page.getByRole('button', { name: T('withdraw.confirm') as string, exact: true }));
  expect(page.url()).toBe(`${t.baseUrl}/space?withdrawn=1`);
  expect(norm(await page.locator('#flash').textContent())).toBe(T('parent.manage.withdrawnDone'));
  await eventually(async () => {
    await page.reload();
    return (await card().locator('.tag').getAttribute('data-status')) === 'withdrawn';
  });
  expect(norm(await card().locator('.tag').textContent())).toBe(T('status.withdrawn'));
  expect(await card().getByRole('button').count()).toBe(0); // no edit any more
  expect(await card().locator('.withdraw-link').count()).toBe(0); // nor withdrawal
  expect((await t.orm.em.fork().findOneOrFail(PreRegistration, { reference })).status).toBe('withdrawn');
  await context.close();
}

/** A second child: the space offers to copy the family name, lineage and place of birth of the previous one. */
async function secondChild(lang: Lang): Promise<void> {
  const T = translator(lang);
  const state = done[lang];
  if (!state) throw new Error(`the ${lang} journey did not finish`);
  const { j } = state;
  const { context, page } = await newDevice({ javaScriptEnabled: lang === 'fr', width: 360 });
  await signIn(page, lang, j);
  await press(page, page.getByRole('button', { name: T('space.newChild') as string, exact: true }));
  const draftPath = new URL(page.url()).pathname;
  expect(draftPath).toMatch(/^\/space\/drafts\/[0-9a-f-]{36}\/child$/);
  const offer = page.locator('#copy-previous');
  expect(norm(await offer.locator('p').textContent())).toBe(T('flow.copy.offer', { name: lang === 'ar' ? j.editedFirstName.ar : j.editedFirstName.latin }));
  await press(page, offer.getByRole('button', { name: T('flow.copy.button') as string, exact: true }));
  expect(norm(await page.locator('#flash').textContent())).toBe(T('flow.copy.done'));
  expect(await page.locator('#copy-previous').count()).toBe(0);
  const value = (key: string) => page.getByLabel(T(key) as string, { exact: true }).inputValue();
  expect([await value('field.lastNameAr'), await value('field.lastNameLatin'), await value('field.firstNameAr'), await value('field.firstNameLatin')])
    .toEqual([j.child.lastNameAr, j.child.lastNameLatin, '', '']);
  expect(await page.getByRole('radio', { checked: true }).count()).toBe(0);
  await shots(page, lang, 'copy');
  await page.getByLabel(T('field.firstNameAr') as string, { exact: true }).fill(lang === 'ar' ? 'ياسمين' : 'يونس');
  await page.getByLabel(T('field.firstNameLatin') as string, { exact: true }).fill(lang === 'ar' ? 'Yasmine' : 'Younes');
  await press(page, page.getByRole('button', { name: T('space.saveLater') as string, exact: true }));
  expect(new URL(page.url()).pathname).toBe('/space');
  await page.goto(`${t.baseUrl}${draftPath.replace(/child$/, 'civilStatus')}`);
  expect([await value('field.birthPlace'), await value('field.fatherLineage'), await value('field.motherLineage'), await value('field.birthCertificateNumber')])
    .toEqual([j.civil.birthPlace, j.civil.fatherLineage, j.civil.motherLineage, '']);
  await context.close();
}

describe.each(['ar', 'fr'] as const)('the parents\' space in %s', (lang) => {
  test(`sign-up by ${lang === 'ar' ? 'e-mail' : 'mobile'}, every step with a wrong answer corrected, resumed on another device, school chosen ${lang === 'ar' ? 'without' : 'with'} JavaScript, photo, review, submit`, async () => {
    await fillAndSubmit(lang);
  }, 90000);

  test('edit after submission from the space, then withdrawal', async () => {
    await editAndWithdraw(lang);
  }, 60000);

  test('a second child: the family name, lineage and place of birth copied from the previous one', async () => {
    await secondChild(lang);
  }, 60000);
});

test('screenshots of every step, the sign-up, the code page and the space at 360 and 1280 px', () => {
  const expected = (['ar', 'fr'] as const).flatMap((lang) => PAGES.flatMap((p) => WIDTHS.map((w) => path.join(SHOTS, `space-${lang}-${p}-${w}.png`))));
  expect([...written].sort()).toEqual([...expected].sort());
  for (const file of expected) expect(fs.statSync(file).size).toBeGreaterThan(5000);
});
