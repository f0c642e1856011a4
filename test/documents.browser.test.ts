/**
 * Supporting documents in a real browser (Debian's Chromium), in Arabic and in French: a parent at
 * 360 px fills the one-page form and uploads the documents (between the two languages every type:
 * JPEG, PNG, a phone HEIC from the repository's fixtures, PDF), leaving the proof of residence
 * out; the director at 1280 px sees each document next to the data it proves (images inline from
 * the authenticated route, PDF as a download), the check saying which proof is missing, and asks
 * for it; the parent adds it on the documents page and sends the request back; the director
 * approves and the request is registered. Each image view is in the audit log. Screenshots go to
 * test-output/screenshots/ (documents-*); axe-core finds no serious or critical violation on the
 * new pages and nothing overflows at 360 px.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, SHOTS } from './support/browser';
import { signInStaffPage } from './support/staff';
import { gregorianToHijri } from '../domain/hijri';
import { translator } from '../web/i18n';
import { demoSchool, eventually, startTestApp, testPhoto, type TestApp } from './support/app';

let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  t = await startTestApp();
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `documents-${name}.png`), fullPage: true });

interface AxeViolation { id: string; impact: string | null; help: string; nodes: Array<{ target: unknown; html: string }> }
declare const axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> };
declare const document: { documentElement: { scrollWidth: number } };

/** axe-core (WCAG 2.x A/AA + best practices): the serious and critical violations of the page, and its overflow at 360 px. */
async function problemsOf(page: Page, width: number): Promise<string[]> {
  const problems: string[] = [];
  if (width === 360) {
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    if (sw > 360) problems.push(`overflow: scrollWidth ${sw}`);
  }
  await page.addScriptTag({ path: require.resolve('axe-core') });
  const { violations } = await page.evaluate(() => axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'], resultTypes: ['violations'] }));
  for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) problems.push(`[${v.impact}] ${v.id} — ${v.help} ${v.nodes.slice(0, 3).map((n) => n.html.slice(0, 120)).join(' | ')}`);
  return problems;
}

const jpeg = () => sharp({ create: { width: 1000, height: 640, channels: 3, background: { r: 235, g: 235, b: 225 } } }).withExif({ IFD0: { Make: 'Phone', Model: 'X' } }).jpeg().toBuffer();
const png = () => sharp({ create: { width: 1000, height: 640, channels: 3, background: { r: 215, g: 225, b: 245 } } }).png().toBuffer();
const heic = () => fs.readFileSync(path.join(__dirname, 'fixtures', 'photo-1200x900.heic'));
async function pdf(text: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595, 842]).drawText(text, { x: 50, y: 780, size: 14, font });
  return Buffer.from(await doc.save());
}
type File = { name: string; mimeType: string; buffer: Buffer };

const PLANS: Record<'ar' | 'fr', () => Promise<{ at: Record<'cinFront' | 'cinBack' | 'birthCertificate', File>; later: File }>> = {
  ar: async () => ({
    at: {
      cinFront: { name: 'cin-recto.jpg', mimeType: 'image/jpeg', buffer: await jpeg() },
      cinBack: { name: 'cin-verso.png', mimeType: 'image/png', buffer: await png() },
      birthCertificate: { name: 'IMG_4032.HEIC', mimeType: 'image/heic', buffer: heic() },
    },
    later: { name: 'facture-eau.pdf', mimeType: 'application/pdf', buffer: await pdf('Facture Radeema') },
  }),
  fr: async () => ({
    at: {
      cinFront: { name: 'IMG_4033.HEIC', mimeType: 'image/heic', buffer: heic() },
      cinBack: { name: 'verso.pdf', mimeType: 'application/pdf', buffer: await pdf('CIN verso') },
      birthCertificate: { name: 'acte.png', mimeType: 'image/png', buffer: await png() },
    },
    later: { name: 'certificat-residence.jpg', mimeType: 'image/jpeg', buffer: await jpeg() },
  }),
};

test.each(['ar', 'fr'] as const)('documents in %s: uploaded with the form (JPEG, PNG, HEIC, PDF), the director sees them and asks for the missing one, the parent adds it, the request is approved', async (lang) => {
  const tr = translator(lang);
  const school = await demoSchool(t);
  const [{ academy_code: academy }] = await t.orm.em.fork().getConnection().execute<{ academy_code: string }[]>('select academy_code from provincial_directorate where code = ?', [school.directorateCode]);
  const plan = await PLANS[lang]();
  const problems: string[] = [];

  // bypassCSP only so that the test can inject axe-core (the pages' CSP allows no inline script).
  let parent = await (await browser.newContext({ viewport: { width: 360, height: 800 }, bypassCSP: true })).newPage();
  await parent.goto(`${t.baseUrl}/?lang=${lang}`);
  await parent.goto(`${t.baseUrl}/pre-registration/new?level=primary1&academy=${academy}&directorate=${school.directorateCode}&commune=${school.communeCode}&zone=${school.zoneCode}`);
  expect(await parent.getAttribute('html', 'lang')).toBe(lang);
  await parent.check(`input[name="schoolCode"][value="${school.schoolCode}"]`);
  const certificate = `BRD-${lang}-${Date.now()}`;
  const fields: Record<string, string> = {
    'child-firstNameAr': 'سلمى', 'child-lastNameAr': 'الإدريسي', 'child-firstNameLatin': 'Salma', 'child-lastNameLatin': 'El Idrissi',
    'civilStatus-birthDate': '2021-03-14', 'civilStatus-birthDateHijri': gregorianToHijri('2021-03-14'), 'civilStatus-birthPlace': 'الرباط',
    'civilStatus-birthCertificateNumber': certificate, 'civilStatus-birthCertificateDate': '2021-03-20',
    'civilStatus-fatherLineage': 'يوسف بن عبد الله الإدريسي', 'civilStatus-motherLineage': 'نادية بنت محمد',
    'father-firstNameAr': 'يوسف', 'father-lastNameAr': 'الإدريسي', 'father-firstNameLatin': 'Youssef', 'father-lastNameLatin': 'El Idrissi',
    'father-cin': 'K 345678', 'father-phone': '06 61 23 45 67', 'father-email': 'youssef.idrissi@example.ma', 'father-address': 'زنقة المعمورة، الرباط',
    'mother-firstNameAr': 'نادية', 'mother-lastNameAr': 'بناني', 'mother-firstNameLatin': 'Nadia', 'mother-lastNameLatin': 'Bennani',
  };
  for (const [id, value] of Object.entries(fields)) await parent.fill(`#${id}`, value);
  await parent.setInputFiles('#photo', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await testPhoto() });
  for (const [kind, file] of Object.entries(plan.at)) await parent.setInputFiles(`#documents-${kind}`, file);
  await parent.check('#privacyNoticeVersion');
  expect(await parent.textContent('#documents legend')).toBe(tr('document.section'));
  await shot(parent, `form-${lang}-360`);
  await Promise.all([parent.waitForURL(/\/pre-registrations\/P27-/), parent.click('form[action="/pre-registration"] button[type="submit"]')]);
  const reference = (await parent.textContent('.reference bdi'))!.trim();
  expect(reference).toMatch(/^P27-/);
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');

  // The director: each document next to what it proves, the missing proof named by the check.
  const director = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true })).newPage();
  await signInStaffPage(director, t.baseUrl, school.director.username, school.director.password);
  await director.goto(`${t.baseUrl}/staff/requests/${reference}?lang=${lang}`);
  expect((await director.textContent('#documents-check'))!.replace(/\s+/g, ' ')).toContain(`${tr('document.review.missing')} ${tr('document.kind.residenceProof')}`);
  const images = director.locator('img.document-image');
  const imageKinds = Object.entries(plan.at).filter(([, f]) => f.mimeType !== 'application/pdf').map(([k]) => k).sort();
  expect((await images.evaluateAll((els) => els.map((e) => (e as unknown as { closest(s: string): { getAttribute(a: string): string } }).closest('figure').getAttribute('data-kind')))).sort()).toEqual(imageKinds);
  // Every image loaded from the authenticated route, at a readable size (the re-encoded JPEG's own width).
  await eventually(async () => (await images.evaluateAll((els) => els.every((e) => (e as unknown as { complete: boolean; naturalWidth: number }).complete && (e as unknown as { naturalWidth: number }).naturalWidth > 0))) || null);
  const widths = await images.evaluateAll((els) => els.map((e) => (e as unknown as { naturalWidth: number }).naturalWidth));
  expect(widths.every((w) => w >= 1000)).toBe(true);
  const pdfKinds = Object.entries(plan.at).filter(([, f]) => f.mimeType === 'application/pdf').map(([k]) => k);
  for (const k of pdfKinds) expect(await director.locator(`#document-${k} a.document-download`).textContent()).toBe(tr('document.review.download'));
  // The guardian's CIN sits under the guardian's details, the birth certificate under the civil status.
  expect(await director.locator('#document-cinFront').count()).toBe(1);
  expect(await director.locator('#document-residenceProof [data-present]').count()).toBe(0);
  problems.push(...(await problemsOf(director, 1280)).map((p) => `review ${lang}: ${p}`));
  await shot(director, `review-${lang}-1280`);
  // Each image view is audited (one per image for this page load).
  const conn = t.orm.em.fork().getConnection();
  const views = async () => (await conn.execute<Array<{ kind: string }>>(`select details->>'kind' as kind from audit_log where reference = ? and action = 'document.view' order by id`, [reference])).map((r) => r.kind).sort();
  expect(await eventually(async () => { const v = await views(); return v.length >= imageKinds.length ? v : null; })).toEqual(imageKinds);

  // The correction naming the missing document.
  await director.click('#correction summary'); // the correction form is folded under the decision
  await director.fill('#message', lang === 'ar' ? 'المرجو إرسال إثبات السكنى.' : 'Merci d’envoyer le justificatif de résidence.');
  await director.check('input[name="documents[residenceProof]"][value="missing"]');
  await Promise.all([director.waitForURL(/correctionRequested=1/), director.click('form[action$="/correction"] button[type="submit"]')]);
  await eventually(async () => (await t.temporal.status(reference)).status === 'correctionRequested');

  // The parent (in another browser: proves the certificate number) opens the documents page, adds
  // the proof, sends the request back.
  await parent.context().close();
  parent = await (await browser.newContext({ viewport: { width: 360, height: 800 }, bypassCSP: true })).newPage();
  await parent.goto(`${t.baseUrl}/pre-registrations/${reference}?lang=${lang}`);
  await parent.fill('#birthCertificateNumber', certificate);
  await Promise.all([parent.waitForURL(/#manage$/), parent.click('form[action$="/unlock"] button[type="submit"]')]);
  await Promise.all([parent.waitForURL(/\/documents$/), parent.click('#documents-link')]);
  expect((await parent.textContent('#slot-residenceProof-requested'))!.trim()).toBe(`${tr('document.requestedBySchool')} ${tr('document.problem.missing')}`);
  problems.push(...(await problemsOf(parent, 360)).map((p) => `documents page ${lang}: ${p}`));
  await shot(parent, `parent-page-${lang}-360`);
  await parent.setInputFiles('#documents-residenceProof', plan.later);
  await Promise.all([parent.waitForURL(/added=1/), parent.click('form[action$="/documents/residenceProof"] button[type="submit"]')]);
  expect(await parent.textContent('#flash')).toBe(tr('document.added'));
  expect(await parent.locator('#slot-residenceProof-requested').count()).toBe(0);
  await Promise.all([parent.waitForURL(/corrected=1/), parent.click('#documents-send button[type="submit"]')]);
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');

  // The director sees every proof and approves; Massar registers the child.
  await director.goto(`${t.baseUrl}/staff/requests/${reference}?lang=${lang}`);
  expect((await director.textContent('#documents-check'))!.replace(/\s+/g, ' ')).toContain(tr('document.review.allPresent'));
  expect(await director.locator('#document-residenceProof[data-present]').count()).toBe(1);
  await shot(director, `review-complete-${lang}-1280`);
  await Promise.all([director.waitForURL(/decided=1/), director.click('button[value="approve"]')]);
  await eventually(async () => (await t.temporal.status(reference)).status === 'registered');
  expect(problems).toEqual([]);
  await parent.context().close();
  await director.context().close();
}, 120_000); // a browser through the whole flow and the pipeline: 25–30 s alone, over 60 s on 2 cores shared with a second test run
