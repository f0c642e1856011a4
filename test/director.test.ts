/**
 * The director's workspace through real HTTP (pages and API) against the real stack: scope rules
 * (including guessed and unknown references), every `arabicSearch` case of cases.json through the
 * queue search, filters / saved views / counts, concurrent decisions, derogation note and
 * over-capacity confirmation, the correction round trip, bulk approval, exports (CSV parsed
 * exactly, XLSX opened with exceljs) and the append-only audit log.
 */
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { gregorianToHijri } from '../domain/hijri';
import { matchesSearch } from '../domain/names';
import { PreRegistration } from '../entities';
import { submitCorrection } from '../web/services/preRegistrations';
import { EXPORT_COLUMNS } from '../web/services/exports';
import { eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';
import { signInStaff, staffApiToken } from './support/staff';

interface Place { schoolCode: string; zoneCode: string; communeCode: string }
const A: Place = { schoolCode: '01151A01', zoneCode: '01.151.05.01-Z01', communeCode: '01.151.05.01' }; // Chefchaouen
const A_OUT_OF_ZONE: Place = { schoolCode: '01151A01', zoneCode: '01.151.05.09-Z01', communeCode: '01.151.05.09' }; // a zone of another school
const SATELLITE: Place = { schoolCode: '01151S01', zoneCode: '01.151.05.09-Z02', communeCode: '01.151.05.09' };
const PASSWORD = 'Tasjil-Demo-2027';
const cases = (JSON.parse(fs.readFileSync(path.join(__dirname, 'acceptance', 'cases.json'), 'utf8')) as {
  arabicSearch: { cases: Array<{ stored: string; query: string; match: boolean }> };
}).arabicSearch.cases;

let t: TestApp;
let photo: Buffer;
let B: Place; // a school of another academy (Rabat)

beforeAll(async () => {
  t = await startTestApp();
  photo = await testPhoto();
  const rows = await t.orm.em.fork().getConnection().execute<Array<{ school_code: string; zone_code: string; commune_code: string }>>(
    `select s.code as school_code, z.code as zone_code, z.commune_code from school s join school_zone sz on sz.school_code = s.code
       join residence_zone z on z.code = sz.residence_zone_code where s.code = '04421A01' order by z.code limit 1`,
  );
  B = { schoolCode: rows[0].school_code, zoneCode: rows[0].zone_code, communeCode: rows[0].commune_code };
});
afterAll(async () => { await t?.stop(); });

const AR_FIRST = ['ياسين', 'آدم', 'يوسف', 'ريان', 'إلياس', 'أيوب', 'هبة', 'سلمى', 'مريم', 'نور'];
/**
 * A family name of this run's own (Arabic letters for a random number): the duplicate check keys on
 * name + birth date across the whole database, where earlier suites leave children with the same
 * first names and 2020–2021 birth dates; one of them met would make a "ready" request a possible
 * duplicate. Tests that name the child themselves keep their names.
 */
const FAMILY_NAME = `المدير ${[...String(randomInt(1e5, 1e6))].map((d) => 'ابتثجحخدذر'[Number(d)]).join('')}`;
const randomBirthDate = () => new Date(Date.UTC(2020, 0, 1) + randomInt(0, 480) * 86400000).toISOString().slice(0, 10);
const tokens = new Map<string, string>();
/** `Bearer <token>` of a demo account's API token (made once per username). */
const bearer = async (u: string) => `Bearer ${tokens.get(u) ?? tokens.set(u, await staffApiToken(t.orm, u)).get(u)!}`;

/** Submits a request through the API (unique certificate, CIN and birth date); returns its reference. */
async function submit(place: Place, child: Partial<Record<'firstNameAr' | 'lastNameAr' | 'firstNameLatin' | 'lastNameLatin', string>> = {}, cin?: string): Promise<{ reference: string; cin: string; certificate: string; body: Record<string, unknown> }> {
  const base = validSubmission(place);
  const birthDate = randomBirthDate();
  const certificate = `${randomInt(1, 99999)}/${birthDate.slice(0, 4)}`;
  const fatherCin = cin ?? `K${randomInt(100000, 999999)}`;
  const body = {
    ...base,
    child: { ...base.child, firstNameAr: AR_FIRST[randomInt(0, AR_FIRST.length)], lastNameAr: FAMILY_NAME, ...child },
    civilStatus: { ...base.civilStatus, birthDate, birthDateHijri: gregorianToHijri(birthDate), birthCertificateNumber: certificate, birthCertificateDate: birthDate },
    father: { ...base.father, cin: fatherCin, email: `d${randomInt(1, 1e9)}@example.ma`, phone: `0661${String(randomInt(0, 1e6)).padStart(6, '0')}` },
  };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body, photo: { data: photo.toString('base64') } }),
  });
  if (res.status !== 201) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return { reference: ((await res.json()) as { reference: string }).reference, cin: fatherCin, certificate, body };
}

async function row(reference: string): Promise<PreRegistration> {
  return t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
}
async function statusIs(reference: string, ...statuses: string[]): Promise<PreRegistration> {
  return eventually(async () => { const r = await row(reference); return statuses.includes(r.status) && r.ageCheck ? r : null; }, 45000);
}

const sessions = new Map<string, Browser>();
/** A signed-in browser for a demo account (cached per username). */
async function as(username: string, fresh = false): Promise<Browser> {
  if (!fresh && sessions.has(username)) return sessions.get(username)!;
  const b = new Browser(t.baseUrl);
  const res = await signInStaff(b, username, PASSWORD);
  expect(res.status).toBe(303);
  await res.text();
  if (!fresh) sessions.set(username, b);
  return b;
}
async function page(b: Browser, url: string): Promise<{ status: number; html: string }> {
  const res = await b.get(url);
  return { status: res.status, html: await res.text() };
}
async function csrfFor(b: Browser, url = '/staff/requests'): Promise<string> {
  return inputValue((await page(b, url)).html, '_csrf')!;
}
const inQueue = (html: string, reference: string) => html.includes(`data-reference="${reference}"`);
const search = async (b: Browser, q: string) => (await page(b, `/staff/requests?q=${encodeURIComponent(q)}`)).html;

describe('queue search', () => {
  test('every arabicSearch case of cases.json through the director\'s queue search', async () => {
    const director = await as('director.01151A01');
    for (const c of cases) {
      const latin = /[A-Za-z]/.test(c.stored);
      const [first, ...rest] = c.stored.split(' ');
      const child = latin
        ? { firstNameLatin: first, lastNameLatin: rest.join(' ') || 'Idrissi', firstNameAr: 'هيلين', lastNameAr: 'بنعلي' }
        : { firstNameAr: first, lastNameAr: rest.join(' ') || 'البقالي' };
      const { reference } = await submit(A, child);
      expect(matchesSearch(c.stored, c.query)).toBe(c.match); // the domain rule agrees
      const html = await search(director, c.query);
      expect([c.stored, c.query, inQueue(html, reference)]).toEqual([c.stored, c.query, c.match]);
    }
  });

  test('search by reference, CIN, certificate number and Latin name (case and accents ignored); never outside the scope', async () => {
    const cin = `KZ${randomInt(100000, 999999)}`;
    const mine = await submit(A, { firstNameLatin: 'Zoubida', lastNameLatin: 'Ouazzani' }, cin);
    const theirs = await submit(B, {}, cin);
    const director = await as('director.01151A01');
    for (const q of [mine.reference, mine.reference.toLowerCase(), cin.toLowerCase(), mine.certificate, 'ZOUBIDA ouazz', 'Zoubïda']) {
      const html = await search(director, q);
      expect([q, inQueue(html, mine.reference)]).toEqual([q, true]);
      expect(inQueue(html, theirs.reference)).toBe(false);
    }
    expect(inQueue(await search(director, theirs.reference), theirs.reference)).toBe(false);
    expect(inQueue(await search(director, 'Zoubidax'), mine.reference)).toBe(false);
    // infix is not a token prefix: same rule as matchesSearch
    expect(inQueue(await search(director, 'oubida'), mine.reference)).toBe(false);
  });
});

describe('scope', () => {
  test('pages and API: another school\'s reference and an unknown one answer 404; supervisors see their directorate / academy only', async () => {
    const a = await submit(A);
    const sat = await submit(SATELLITE);
    await statusIs(a.reference, 'underReview');
    const unknown = 'P27-00000-00000';
    const rabat = await as('director.04421A01');
    const csrf = await csrfFor(rabat);
    for (const ref of [a.reference, unknown, sat.reference]) {
      expect((await rabat.get(`/staff/requests/${ref}`)).status).toBe(404);
      expect((await rabat.get(`/staff/requests/${ref}/photo`)).status).toBe(404);
      expect((await rabat.get(`/staff/requests/${ref}/history`)).status).toBe(404);
      expect((await rabat.postForm(`/staff/requests/${ref}/decision`, { _csrf: csrf, decision: 'approve' })).status).toBe(404);
      expect((await rabat.postForm(`/staff/requests/${ref}/correction`, { _csrf: csrf, message: 'x' })).status).toBe(404);
      const api = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${ref}/decision`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: await bearer('director.04421A01') }, body: JSON.stringify({ decision: 'approve' }),
      });
      expect(api.status).toBe(404);
    }
    expect(inQueue((await page(rabat, '/staff/requests')).html, a.reference)).toBe(false);
    const exportOther = await rabat.get('/staff/exports/approved.csv?school=01151A01');
    expect(exportOther.status).toBe(404);

    // The group school's director sees its satellite unit, not the neighbouring school; and vice versa.
    expect((await (await as('director.01151G01')).get(`/staff/requests/${sat.reference}`)).status).toBe(200);
    expect((await (await as('director.01151G01')).get(`/staff/requests/${a.reference}`)).status).toBe(404);
    expect((await (await as('director.01151A01')).get(`/staff/requests/${sat.reference}`)).status).toBe(404);
    expect((await (await as('director.01151A01')).get(`/staff/requests/${a.reference}`)).status).toBe(200);
    // Supervisors: the directorate and academy of Chefchaouen see it, Rabat's academy does not; admin sees all.
    expect((await (await as('supervisor.01.151')).get(`/staff/requests/${a.reference}`)).status).toBe(200);
    expect((await (await as('academy.01')).get(`/staff/requests/${a.reference}`)).status).toBe(200);
    expect((await (await as('academy.04')).get(`/staff/requests/${a.reference}`)).status).toBe(404);
    expect((await (await as('supervisor.04.421')).get(`/staff/requests/${a.reference}`)).status).toBe(404);
    expect((await (await as('admin')).get(`/staff/requests/${a.reference}`)).status).toBe(200);
    // Supervisors cannot decide (403 in scope; 404 out of scope comes first).
    const sup = await as('supervisor.01.151');
    expect((await sup.postForm(`/staff/requests/${a.reference}/decision`, { _csrf: await csrfFor(sup), decision: 'approve' })).status).toBe(403);
    // Unknown reference through the API with valid credentials, in scope user.
    const api = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${unknown}/decision`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: await bearer('director.01151A01') }, body: JSON.stringify({ decision: 'approve' }),
    });
    expect(api.status).toBe(404);
  });
});

describe('decisions', () => {
  test('two directors approve the same request at once: one decision recorded, the other sees "already decided"', async () => {
    const { reference } = await submit(A);
    await statusIs(reference, 'underReview');
    const one = await as('director.01151A01', true);
    const two = await as('director.01151A01', true);
    const [c1, c2] = await Promise.all([csrfFor(one, `/staff/requests/${reference}`), csrfFor(two, `/staff/requests/${reference}`)]);
    const [r1, r2] = await Promise.all([
      one.postForm(`/staff/requests/${reference}/decision`, { _csrf: c1, decision: 'approve', note: '' }),
      two.postForm(`/staff/requests/${reference}/decision`, { _csrf: c2, decision: 'reject', reasons: ['incompleteFile'], note: '' }),
    ]);
    const statuses = [r1.status, r2.status].sort();
    expect(statuses).toEqual([303, 409]);
    const loser = r1.status === 409 ? r1 : r2;
    expect(await loser.text()).toContain('data-refusal="alreadyDecided"');
    const final = await statusIs(reference, 'approved', 'registered', 'rejected');
    expect(final.decision).toBe(r1.status === 303 ? 'approve' : 'reject');
    const audits = await t.orm.em.fork().getConnection().execute<Array<{ action: string }>>(
      `select action from audit_log where reference = ? and action like 'decision.%' order by id`, [reference],
    );
    expect(audits.filter((a) => a.action === 'decision.submitted')).toHaveLength(1);
    expect(audits.filter((a) => a.action === 'decision.refused')).toHaveLength(1);
  });

  test('approving out of zone needs a derogation note; approving beyond capacity asks for confirmation', async () => {
    const out = await submit(A_OUT_OF_ZONE);
    const ok = await submit(A);
    await statusIs(out.reference, 'underReview');
    await statusIs(ok.reference, 'underReview');
    const director = await as('director.01151A01');
    const review = await page(director, `/staff/requests/${out.reference}`);
    expect(review.html).toContain('data-derogation-required');
    const csrf = inputValue(review.html, '_csrf')!;
    const noNote = await director.postForm(`/staff/requests/${out.reference}/decision`, { _csrf: csrf, decision: 'approve', note: '' });
    expect(noNote.status).toBe(400);
    expect(await noNote.text()).toContain('id="decision-error"');
    expect((await row(out.reference)).status).toBe('underReview');
    const withNote = await director.postForm(`/staff/requests/${out.reference}/decision`, { _csrf: csrf, decision: 'approve', note: 'Frère déjà scolarisé dans l\'école' });
    expect(withNote.status).toBe(303);
    await statusIs(out.reference, 'approved', 'registered');

    // Capacity: make the school full, approve → confirmation; confirm → recorded.
    const conn = t.orm.em.fork().getConnection();
    const [cap] = await conn.execute<Array<{ id: number; seats: number }>>(
      `select c.id, c.seats from school_capacity c join school_year y on y.code = c.school_year_code and y.is_current where c.school_code = ? and c.level = 'primary1'`, [A.schoolCode],
    );
    const [{ n }] = await conn.execute<Array<{ n: string }>>(
      `select count(*) as n from pre_registration where school_code = ? and level = 'primary1' and school_year = '2027-2028' and status in ('approved','exportFailed','registered')`, [A.schoolCode],
    );
    await conn.execute('update school_capacity set seats = ? where id = ?', [Number(n), cap.id]);
    try {
      const list = await page(director, '/staff/requests');
      expect(list.html).toMatch(new RegExp(`data-school="${A.schoolCode}" data-level="primary1">[\\s\\S]*?data-seats-left="0"`));
      const r = await page(director, `/staff/requests/${ok.reference}`);
      const first = await director.postForm(`/staff/requests/${ok.reference}/decision`, { _csrf: inputValue(r.html, '_csrf')!, decision: 'approve', note: '' });
      expect(first.status).toBe(200);
      const confirmHtml = await first.text();
      expect(confirmHtml).toContain('id="confirm-over-capacity"');
      expect(confirmHtml).toContain('name="confirmOverCapacity" value="1"');
      expect((await row(ok.reference)).status).toBe('underReview');
      const confirmed = await director.postForm(`/staff/requests/${ok.reference}/decision`, { _csrf: inputValue(r.html, '_csrf')!, decision: 'approve', note: '', confirmOverCapacity: '1' });
      expect(confirmed.status).toBe(303);
      await statusIs(ok.reference, 'approved', 'registered');
    } finally {
      await conn.execute('update school_capacity set seats = ? where id = ?', [cap.seats, cap.id]);
    }
  });

  test('correction round trip: the director asks, the parent corrects, checks re-run, back to the queue', async () => {
    const sub = await submit(A, { firstNameLatin: 'Rida' });
    const before = await statusIs(sub.reference, 'underReview');
    const director = await as('director.01151A01');
    const review = await page(director, `/staff/requests/${sub.reference}`);
    const empty = await director.postForm(`/staff/requests/${sub.reference}/correction`, { _csrf: inputValue(review.html, '_csrf')!, message: '  ' });
    expect(empty.status).toBe(400);
    const res = await director.postForm(`/staff/requests/${sub.reference}/correction`, { _csrf: inputValue(review.html, '_csrf')!, message: 'المرجو تصحيح الاسم الشخصي باللاتينية' });
    expect(res.status).toBe(303);
    const waiting = await eventually(async () => { const r = await row(sub.reference); return r.status === 'correctionRequested' ? r : null; });
    expect(waiting.correctionMessage).toBe('المرجو تصحيح الاسم الشخصي باللاتينية');
    expect(inQueue((await page(director, '/staff/requests?status=correctionRequested')).html, sub.reference)).toBe(true);

    const corrected = { ...sub.body, child: { ...(sub.body.child as object), firstNameLatin: 'Ridae' } };
    const result = await submitCorrection({ em: t.orm.em.fork(), temporal: t.temporal }, sub.reference, corrected, undefined);
    expect(result.ok).toBe(true);
    const after = await eventually(async () => {
      const r = await row(sub.reference);
      return r.status === 'underReview' && r.checks && r.checks.ranAt !== before.checks!.ranAt ? r : null;
    }, 45000);
    expect(after.childFirstNameLatin).toBe('Ridae');
    expect(inQueue(await search(director, 'ridae'), sub.reference)).toBe(true);
    const audits = await t.orm.em.fork().getConnection().execute<Array<{ ip: string | null }>>(
      `select ip from audit_log where reference = ? and action = 'correction.requested'`, [sub.reference],
    );
    expect(audits).toHaveLength(1);
    expect(audits[0].ip).toBeTruthy();
  });
});

describe('bulk approval, filters, exports and audit', () => {
  let ready1: string; let ready2: string; let outOfZone: string; let foreign: string;
  const names = { firstNameAr: 'أسماء', lastNameAr: 'الإدريسي', firstNameLatin: 'Asmae', lastNameLatin: 'El Idrissi, "Jr"' };

  beforeAll(async () => {
    const subs = await Promise.all([submit(A, { ...names, lastNameLatin: 'El Idrissi' }), submit(A), submit(A_OUT_OF_ZONE), submit(B)]);
    [ready1, ready2, outOfZone, foreign] = subs.map((s) => s.reference);
    for (const r of [ready1, ready2, outOfZone, foreign]) await statusIs(r, 'underReview');
  });

  test('saved views, check filters, status filter, date range and counts', async () => {
    const director = await as('director.01151A01');
    const ready = await page(director, '/staff/requests?view=ready');
    expect(inQueue(ready.html, ready1)).toBe(true);
    expect(inQueue(ready.html, outOfZone)).toBe(false);
    expect(ready.html).toContain(`name="references" value="${ready1}"`);
    const attention = await page(director, '/staff/requests?view=attention');
    expect(inQueue(attention.html, outOfZone)).toBe(true);
    expect(inQueue(attention.html, ready1)).toBe(false);
    expect(attention.html).not.toContain(`name="references" value="${outOfZone}"`);
    const out = await page(director, '/staff/requests?check=outOfZone');
    expect(inQueue(out.html, outOfZone)).toBe(true);
    expect(inQueue(out.html, ready1)).toBe(false);
    const eligible = await page(director, '/staff/requests?check=eligible&status=underReview');
    expect(inQueue(eligible.html, ready1)).toBe(true);
    const today = new Date().toLocaleDateString('en-CA', { timeZone: 'Africa/Casablanca' });
    const tomorrow = new Date(Date.now() + 86400000).toLocaleDateString('en-CA', { timeZone: 'Africa/Casablanca' });
    expect(inQueue((await page(director, `/staff/requests?from=${today}&to=${today}`)).html, ready1)).toBe(true);
    expect(inQueue((await page(director, `/staff/requests?from=${tomorrow}`)).html, ready1)).toBe(false);
    const sorted = await page(director, '/staff/requests?sort=reference&dir=asc');
    const refs = [...sorted.html.matchAll(/<tr data-reference="([^"]+)"/g)].map((m) => m[1]);
    expect(refs).toEqual([...refs].sort());
    // Counts agree with the database for the director's scope.
    const all = await page(director, '/staff/requests');
    const count = (key: string) => Number(new RegExp(`data-count="${key}">(\\d+)<`).exec(all.html)![1]);
    const [db] = await t.orm.em.fork().getConnection().execute<Array<Record<string, string>>>(
      `select count(*) as all, count(*) filter (where status = 'underReview') as ur, count(*) filter (where zone_check = 'outOfZone') as ooz
         from pre_registration where school_code = ? and status <> 'draft'`, [A.schoolCode],
    );
    expect([count('all'), count('status:underReview'), count('check:outOfZone')]).toEqual([Number(db.all), Number(db.ur), Number(db.ooz)]);
  });

  test('bulk approve: requests whose checks all pass are approved (one Update each), the others skipped with a reason', async () => {
    const director = await as('director.01151A01');
    const res = await director.postForm('/staff/requests/bulk-approve', { _csrf: await csrfFor(director), references: [ready1, ready2, outOfZone, foreign, 'P27-00000-00000'] });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-approved="2" data-skipped="3"');
    expect(html).toContain(`<li data-reference="${outOfZone}" data-reason="checksNotPassing">`);
    expect(html).toContain(`<li data-reference="${foreign}" data-reason="notFound">`);
    await statusIs(ready1, 'approved', 'registered');
    await statusIs(ready2, 'approved', 'registered');
    expect((await row(outOfZone)).status).toBe('underReview');
    expect((await row(foreign)).status).toBe('underReview');
    // Again: already decided.
    const again = await director.postForm('/staff/requests/bulk-approve', { _csrf: await csrfFor(director), references: [ready1] });
    expect(await again.text()).toContain('data-approved="0" data-skipped="1"');
  });

  test('exports: CSV (BOM, exact columns, Arabic intact) and XLSX (cells incl. Arabic) of the approved list, audited', async () => {
    await statusIs(ready1, 'approved', 'registered');
    const director = await as('director.01151A01');
    const csvRes = await director.get('/staff/exports/approved.csv');
    expect(csvRes.status).toBe(200);
    expect(csvRes.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    const bytes = Buffer.from(await csvRes.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = text.slice(0, -2).split('\r\n');
    expect(lines[0]).toBe(EXPORT_COLUMNS.join(','));
    const parsed = lines.slice(1).map(parseCsvLine);
    for (const p of parsed) expect(p).toHaveLength(EXPORT_COLUMNS.length);
    const col = (name: string) => EXPORT_COLUMNS.indexOf(name as never);
    const mine = parsed.find((p) => p[col('reference')] === ready1)!;
    expect(mine).toBeDefined();
    expect(mine[col('lastNameAr')]).toBe('الإدريسي');
    expect(mine[col('firstNameAr')]).toBe('أسماء');
    expect(mine[col('lastNameLatin')]).toBe('El Idrissi');
    expect(mine[col('schoolCode')]).toBe(A.schoolCode);
    expect(mine[col('level')]).toBe('primary1');
    expect(mine[col('schoolYear')]).toBe('2027-2028');
    expect(['approved', 'registered']).toContain(mine[col('status')]);
    expect(parsed.some((p) => p[col('reference')] === outOfZone)).toBe(false);
    expect(parsed.some((p) => p[col('reference')] === foreign)).toBe(false);
    expect(parsed.every((p) => p[col('schoolCode')] === A.schoolCode)).toBe(true);
    const fromDb = await row(ready1);
    expect(mine[col('birthDate')]).toBe(fromDb.birthDate);
    expect(mine[col('birthCertificateNumber')]).toBe(fromDb.birthCertificateNumber);
    expect(mine[col('guardianCin')]).toBe(fromDb.father.cin);

    const xlsxRes = await director.get('/staff/exports/approved.xlsx');
    expect(xlsxRes.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await xlsxRes.arrayBuffer()) as never);
    const ws = wb.getWorksheet('approved')!;
    expect(ws.getRow(1).values).toEqual([undefined, ...EXPORT_COLUMNS]);
    let found = 0;
    ws.eachRow((r, i) => {
      if (i === 1 || r.getCell(1).value !== ready1) return;
      found += 1;
      expect(r.getCell(col('lastNameAr') + 1).value).toBe('الإدريسي');
      expect(r.getCell(col('firstNameAr') + 1).value).toBe('أسماء');
      expect(r.getCell(col('birthDate') + 1).value).toBe(fromDb.birthDate);
    });
    expect(found).toBe(1);
    expect(ws.rowCount).toBe(lines.length);

    const audits = await t.orm.em.fork().getConnection().execute<Array<{ action: string; ip: string | null; details: { count: number; schoolCodes: string[] } }>>(
      `select action, ip, details from audit_log where action like 'export.%' order by id desc limit 2`,
    );
    expect(audits.map((a) => a.action).sort()).toEqual(['export.csv', 'export.xlsx']);
    expect(audits[0].ip).toBeTruthy();
    expect(audits[0].details.count).toBe(parsed.length);
  });

  test('audit log: supervisors see their scope\'s entries (who, what, from where); directors cannot; the table is append-only', async () => {
    const director = await as('director.01151A01');
    expect((await director.get(`/staff/requests/${ready1}`)).status).toBe(200);
    expect((await director.get('/staff/audit')).status).toBe(403);
    const sup = await page(await as('supervisor.01.151'), `/staff/audit?reference=${ready1}`);
    expect(sup.status).toBe(200);
    expect(sup.html).toContain(`data-action="preRegistration.view" data-reference="${ready1}"`);
    expect(sup.html).toContain(`data-action="decision.submitted" data-reference="${ready1}"`);
    const exports = await page(await as('supervisor.01.151'), '/staff/audit?action=export.csv');
    expect(exports.html).toContain('data-action="export.csv"');
    const rabat = await page(await as('academy.04'), `/staff/audit?reference=${ready1}`);
    expect(rabat.html).not.toContain(`data-reference="${ready1}"`);
    const conn = t.orm.em.fork().getConnection();
    await expect(conn.execute(`update audit_log set action = 'x' where reference = ?`, [ready1])).rejects.toThrow(/append-only/);
    await expect(conn.execute(`delete from audit_log where reference = ?`, [ready1])).rejects.toThrow(/append-only/);
  });
});

/** RFC 4180 line parser (no line breaks inside fields in these exports). */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i += 1;
      for (;;) {
        const j = line.indexOf('"', i);
        v += line.slice(i, j);
        if (line[j + 1] === '"') { v += '"'; i = j + 2; } else { i = j + 1; break; }
      }
      out.push(v);
    } else {
      const j = line.indexOf(',', i);
      out.push(line.slice(i, j === -1 ? undefined : j));
      i = j === -1 ? line.length : j;
    }
    if (i >= line.length) break;
    i += 1; // comma
  }
  return out;
}
