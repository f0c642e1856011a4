/**
 * BEFORE measurement (current UI): clicks and page loads for a director to decide 20 requests
 * (18 approvals, one correction, one rejection) at 1280 px, and where the supervisor dashboard's
 * late-schools table starts (px from the top of the page).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium, SHOTS } from './support/browser';
import { signInStaffPage } from './support/staff';
import { gregorianToHijri } from '../domain/hijri';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';

let t: TestApp;
let browser: Browser;
let photo: Buffer;
let demo: Awaited<ReturnType<typeof demoSchool>>;

beforeAll(async () => {
  t = await startTestApp();
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  photo = await testPhoto();
  demo = await demoSchool(t);
}, 60000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

const sql = <T extends Array<Record<string, unknown>> = Array<Record<string, unknown>>>(q: string, params: unknown[] = []) => t.orm.em.fork().getConnection().execute<T>(q, params);

/** A school of its own (in the demo school's commune, zone and directorate), 100 seats, and its director (the demo director's password and TOTP secret). */
async function newSchool(tag: string): Promise<{ code: string; zone: string; otherZone: string; username: string }> {
  const code = `UX${tag}${String(randomInt(0, 1e6)).padStart(6, '0')}`;
  await sql(`insert into school (code, name_ar, name_fr, address_ar, address_fr, kind, commune_code, directorate_code, is_demo)
             select ?, 'مدرسة السرعة ' || ?, 'École vitesse ' || ?, address_ar, address_fr, 'school', commune_code, directorate_code, false from school where code = ?`, [code, tag, tag, demo.schoolCode]);
  await sql('insert into school_zone (school_code, residence_zone_code) values (?, ?)', [code, demo.zoneCode]);
  await sql(`insert into school_capacity (school_code, school_year_code, level, seats) select ?, code, 'primary1', 100 from school_year where is_current`, [code]);
  const username = `director.${code.toLowerCase()}`;
  await sql(`insert into staff_user (id, username, password_hash, display_name, role, school_code, active, created_at, totp_secret, totp_enrolled_at)
             select gen_random_uuid(), ?, password_hash, 'Directrice ' || ?, 'director', ?, true, now(), totp_secret, totp_enrolled_at from staff_user where username = ?`,
  [username, tag, code, demo.director.username]);
  const [other] = await sql<Array<{ code: string }>>(
    `select z.code from residence_zone z where z.commune_code = ? and z.code <> ? order by z.code limit 1`, [demo.communeCode, demo.zoneCode]);
  return { code, zone: demo.zoneCode, otherZone: other.code, username };
}

/** Submits one request (API); `outOfZone` gives a residence outside the school's zones. */
async function submit(school: { code: string; zone: string; otherZone: string }, outOfZone = false): Promise<string> {
  const base = validSubmission({ schoolCode: school.code, zoneCode: outOfZone ? school.otherZone : school.zone, communeCode: demo.communeCode });
  const birthDate = new Date(Date.UTC(2020, 5, 1) + randomInt(0, 300) * 86400000).toISOString().slice(0, 10);
  const body = {
    ...base,
    civilStatus: { ...base.civilStatus, birthDate, birthDateHijri: gregorianToHijri(birthDate), birthCertificateNumber: `${randomInt(1, 99999)}/${birthDate.slice(0, 4)}`, birthCertificateDate: birthDate },
    father: { ...base.father, cin: `K${randomInt(100000, 999999)}`, email: `ux${randomInt(1, 1e9)}@example.ma`, phone: `0661${String(randomInt(0, 1e6)).padStart(6, '0')}` },
    photo: { data: photo.toString('base64') },
  };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { reference: string }).reference;
}

async function twentyRequests(school: { code: string; zone: string; otherZone: string }): Promise<string[]> {
  const refs: string[] = [];
  for (let i = 0; i < 20; i++) refs.push(await submit(school, i >= 18));
  await eventually(async () => {
    const [r] = await sql<Array<{ n: number }>>(`select count(*)::int as n from pre_registration where school_code = ? and status = 'underReview' and age_check is not null`, [school.code]);
    return r.n === 20;
  }, 90000);
  return refs;
}

/** Counts the clicks made through it and the page loads of the main frame. */
function meter(page: Page) {
  const m = { clicks: 0, loads: 0 };
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) m.loads += 1; });
  return {
    m,
    async click(selector: string, navigates = true) {
      m.clicks += 1;
      if (navigates) await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
      else await page.click(selector);
    },
  };
}

test('BEFORE: a director decides 20 requests (18 approvals, 1 correction, 1 rejection)', async () => {
  const school = await newSchool('B');
  await twentyRequests(school);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signInStaffPage(page, t.baseUrl, school.username, demo.director.password);
  expect(new URL(page.url()).pathname).toBe('/staff/requests');
  const { m, click } = meter(page);
  // The queue's first row (px from top), as the director sees it after signing in.
  const firstRowTop = await page.evaluate(() => (globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): { top: number } } } }).document.querySelector('#queue tbody tr')!.getBoundingClientRect().top);
  // Bulk approval: each ready request ticked one by one.
  const boxes = await page.locator('#queue input[name="references"]').count();
  for (let i = 0; i < boxes; i++) { m.clicks += 1; await page.locator('#queue input[name="references"]').nth(i).check(); }
  await click('form[action="/staff/requests/bulk-approve"] button[type="submit"]');
  const approved = Number(await page.getAttribute('#bulk-summary', 'data-approved'));
  await click('a[href="/staff/requests"]');
  // The two others: the "attention" view, open, correction; back, attention, open, reject.
  await click('a[href*="view=attention"]');
  await click('#queue tbody tr:first-child a');
  await page.fill('#message', 'يرجى تصحيح عنوان السكن.');
  await click('form[action$="/correction"] button[type="submit"]');
  await click('a[href="/staff/requests"]');
  await click('a[href*="view=attention"]');
  await click('#queue tbody tr:first-child a');
  m.clicks += 1; await page.locator('input[name="reasons"]').first().check();
  await click('button[value="reject"]');
  const [counts] = await sql<Array<{ approved: number; correction: number; rejected: number }>>(
    `select count(*) filter (where status in ('approved', 'exportFailed', 'registered'))::int as approved, count(*) filter (where status = 'correctionRequested')::int as correction,
            count(*) filter (where status = 'rejected')::int as rejected from pre_registration where school_code = ?`, [school.code]);
  console.log(`BEFORE director: selectable ${boxes}, bulk approved ${approved}, clicks ${m.clicks}, page loads ${m.loads}, first row top ${firstRowTop}px, decided ${JSON.stringify(counts)}`);

  // One by one (open, approve, back to the list) for comparison: 3 clicks and 3 page loads each.
  await page.close();
}, 240000);

test('BEFORE: the supervisor dashboard\'s late schools table, px from the top', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signInStaffPage(page, t.baseUrl, `supervisor.${demo.directorateCode}`, demo.director.password);
  const top = await page.evaluate(() => {
    const d = (globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): { top: number } } | null } }).document;
    return d.querySelector('#oldest')!.getBoundingClientRect().top + (globalThis as unknown as { scrollY: number }).scrollY;
  });
  console.log(`BEFORE supervisor: #oldest at ${top}px`);
  await page.screenshot({ path: path.join(SHOTS, 'before-supervisor-dashboard-1280.png'), fullPage: true });
});
