/**
 * In a real browser (Debian's Chromium driven by playwright-core): a parent goes from the home page
 * through the residence chooser to the form, submits, and follows the request; a director signs in
 * and approves; the parent sees `registered` with the Massar code. Screenshots at 360 px go to
 * test-output/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, SHOTS } from './support/browser';
import { signInStaffPage } from './support/staff';
import { gregorianToHijri } from '../domain/hijri';
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

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

test('a parent submits in the browser, a director approves, the parent sees the Massar code', async () => {
  const school = await demoSchool(t);
  const [{ academy_code: academy }] = await t.orm.em.fork().getConnection().execute<{ academy_code: string }[]>(
    'select academy_code from provincial_directorate where code = ?', [school.directorateCode],
  );
  const parent = await browser.newPage({ viewport: { width: 360, height: 800 } });
  await parent.goto(`${t.baseUrl}/`);
  expect(await parent.getAttribute('html', 'dir')).toBe('rtl');
  await shot(parent, 'parent-home-360');
  await parent.click('#start-without-account');

  // Each choice reloads the page (app.js submits on change; without JS the button does).
  for (const [id, value] of [['academy', academy], ['directorate', school.directorateCode], ['commune', school.communeCode], ['zone', school.zoneCode]]) {
    await Promise.all([parent.waitForURL(new RegExp(`${id}=`)), parent.selectOption(`#${id}`, value)]);
  }
  await shot(parent, 'parent-form-360');
  await parent.check(`input[name="schoolCode"][value="${school.schoolCode}"]`);
  const certificate = `BR-${Date.now()}`;
  const fill = async (fields: Record<string, string>) => {
    for (const [id, value] of Object.entries(fields)) await parent.fill(`#${id}`, value);
  };
  await fill({
    'child-firstNameAr': 'سلمى', 'child-lastNameAr': 'الإدريسي', 'child-firstNameLatin': 'Salma', 'child-lastNameLatin': 'El Idrissi',
    'civilStatus-birthDate': '2021-03-14', 'civilStatus-birthDateHijri': gregorianToHijri('2021-03-14'), 'civilStatus-birthPlace': 'الرباط',
    'civilStatus-birthCertificateNumber': certificate, 'civilStatus-birthCertificateDate': '2021-03-20',
    'civilStatus-fatherLineage': 'يوسف بن عبد الله الإدريسي', 'civilStatus-motherLineage': 'نادية بنت محمد',
    'father-firstNameAr': 'يوسف', 'father-lastNameAr': 'الإدريسي', 'father-firstNameLatin': 'Youssef', 'father-lastNameLatin': 'El Idrissi',
    'father-cin': 'K 345678', 'father-phone': '06 61 23 45 67', 'father-email': 'youssef.idrissi@example.ma', 'father-address': 'زنقة المعمورة، الرباط',
    'mother-firstNameAr': 'نادية', 'mother-lastNameAr': 'بناني', 'mother-firstNameLatin': 'Nadia', 'mother-lastNameLatin': 'Bennani',
  });
  await parent.setInputFiles('#photo', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await testPhoto() });
  await parent.check('#privacyNoticeVersion');
  await Promise.all([parent.waitForURL(/\/pre-registrations\/P27-/), parent.click('form[action="/pre-registration"] button[type="submit"]')]);
  const reference = (await parent.textContent('.reference bdi'))!.trim();
  expect(reference).toMatch(/^P27-/);
  await shot(parent, 'parent-confirmation-360');

  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');

  const director = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signInStaffPage(director, t.baseUrl, school.director.username, school.director.password);
  expect(new URL(director.url()).pathname).toBe('/staff/requests');
  await Promise.all([director.waitForURL(new RegExp(reference)), director.click(`a[href="/staff/requests/${reference}"]`)]);
  expect(await director.textContent('#status')).not.toBe('');
  await shot(director, 'director-review-1280');
  await Promise.all([director.waitForURL(/decided=1/), director.click('button[value="approve"]')]);

  await eventually(async () => (await t.temporal.status(reference)).status === 'registered');
  // The Massar code shows after the birth certificate number (the reference alone shows the status):
  // another browser unlocks with it; the session that submitted the form holds the file and sees it at once.
  const other = await browser.newPage({ viewport: { width: 360, height: 800 } });
  await other.goto(`${t.baseUrl}/pre-registrations/${reference}`);
  expect(await other.getAttribute('#status', 'data-status')).toBe('registered');
  expect(await other.locator('#massar-code').count()).toBe(0);
  await other.fill('#birthCertificateNumber', certificate);
  await Promise.all([other.waitForURL(/#manage$/), other.click('form[action$="/unlock"] button[type="submit"]')]);
  expect((await other.textContent('#massar-code'))!.trim()).toMatch(/^[A-Z][0-9]{9}$/);
  await other.close();
  await parent.goto(`${t.baseUrl}/pre-registrations/${reference}`);
  expect(await parent.getAttribute('#status', 'data-status')).toBe('registered');
  expect((await parent.textContent('#massar-code'))!.trim()).toMatch(/^[A-Z][0-9]{9}$/);
  await shot(parent, 'parent-status-registered-360');

  await parent.goto(`${t.baseUrl}/pre-registrations/${reference}?lang=fr`);
  expect(await parent.getAttribute('html', 'dir')).toBe('ltr');
  expect(await parent.getAttribute('html', 'lang')).toBe('fr');

  // The directorate's supervisor: dashboard, then the request's readable history.
  const supervisor = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signInStaffPage(supervisor, t.baseUrl, `supervisor.${school.directorateCode}`, school.director.password);
  expect(new URL(supervisor.url()).pathname).toBe('/staff/supervision/');
  expect(await supervisor.locator('svg[role="img"]').count()).toBeGreaterThan(0);
  await shot(supervisor, 'supervisor-dashboard-1280');
  // The history in words first; the raw events (decoded) behind a link.
  await supervisor.goto(`${t.baseUrl}/staff/requests/${reference}/history`);
  const story = await supervisor.locator('#story li[data-kind]').evaluateAll((items) => items.map((i) => i.getAttribute('data-kind')));
  expect(story[0]).toBe('submitted');
  expect(story).toContain('approved');
  expect(story[story.length - 1]).toBe('completed');
  await shot(supervisor, 'supervisor-history-1280');
  await Promise.all([supervisor.waitForURL(/\/history\/events$/), supervisor.click('#raw-events')]);
  const kinds = await supervisor.locator('#history tr[data-kind]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kind')));
  expect(kinds[0]).toBe('started');
  expect(kinds).toContain('updateAccepted');
  expect(kinds[kinds.length - 1]).toBe('completed');
  await shot(supervisor, 'supervisor-history-events-1280');
});
