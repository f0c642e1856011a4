/**
 * Supervision dashboards over real HTTP, PostgreSQL and Temporal: exact figures on a known set of
 * requests inserted in the Casablanca-Anfa directorate (06.141.01.00, used by no other test file),
 * scope (directors 403, another directorate's request invisible), exact CSV files, the inline SVG
 * chart, and the raw history download (in scope: JSON attachment, audited; out of scope: 404).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Request, Response, NextFunction } from 'express';
import pino from 'pino';
import { createApp } from '../web/app';
import { supervisionRouter } from '../web/routes/supervision';
import { submitPreRegistration } from '../web/services/preRegistrations';
import { todayInCasablanca } from '../domain/dates';
import { closeServer, startTestApp, testPhoto, validSubmission, eventually, type TestApp } from './support/app';
import { Browser } from './support/http';
import { signInStaff } from './support/staff';

const PASSWORD = 'Tasjil-Demo-2027';
const YEAR = '2027-2028';
const DIR = '06.141.01.00';
const A01 = { school: '061410100A01', commune: '06.141.01.03', zone: '06.141.01.03-Z01' };
const A02 = { school: '061410100A02', commune: '06.141.01.03', zone: '06.141.01.03-Z02' };
const A03 = { school: '061410100A03', commune: '06.141.01.01', zone: '06.141.01.01-Z01' };
const A04 = { school: '061410100A04', commune: '06.141.01.07', zone: '06.141.01.07-Z01' };
const RABAT = { school: '04421A04' };

let t: TestApp;
let server: Server;
let baseUrl = '';
let closeApp: () => Promise<void>;
let today = '';
const BOM = '\uFEFF';

interface Row { ref: string; at: { school: string; commune?: string; zone?: string }; status: string; daysAgo: number; level?: string; year?: string; reasons?: string[] }

/** Inserts one request directly (no workflow), submitted at noon (Casablanca) `daysAgo` days before today. */
async function insert(r: Row): Promise<void> {
  const conn = t.orm.em.fork().getConnection();
  let { commune, zone } = r.at;
  if (!commune || !zone) {
    const [z] = await conn.execute<Array<{ zone: string; commune: string }>>(
      'select z.code as zone, z.commune_code as commune from school_zone sz join residence_zone z on z.code = sz.residence_zone_code where sz.school_code = ? order by z.code limit 1', [r.at.school]);
    commune = z.commune; zone = z.zone;
  }
  const person = JSON.stringify({ firstNameAr: 'أحمد', lastNameAr: 'الإدريسي', firstNameLatin: 'Ahmed', lastNameLatin: 'Idrissi', cin: 'BE123456', profession: 'تاجر', address: 'الدار البيضاء', phone: '+212600000001', email: 'ahmed@example.ma' });
  const decision = r.status === 'rejected' ? 'reject' : ['approved', 'exportFailed', 'registered'].includes(r.status) ? 'approve' : null;
  await conn.execute(
    `insert into pre_registration (id, reference, submission_token, status, school_year, level, school_code, commune_code, residence_zone_code,
       child_first_name_ar, child_last_name_ar, child_first_name_latin, child_last_name_latin, birth_date, birth_date_hijri, birth_place,
       birth_certificate_number, birth_certificate_date, father_lineage, mother_lineage, guardian_role, father, mother, tutor, siblings,
       contact_email, contact_phone, language, search_text, duplicate_keys, decision, rejection_reasons, workflow_id, submitted_at, updated_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'سلمى', 'الإدريسي', 'Salma', 'Idrissi', '2021-03-01', '1442-07-17', 'الدار البيضاء',
       '777/2021', '2021-03-10', 'أحمد بن محمد', 'خديجة بنت علي', 'father', ?::jsonb, ?::jsonb, null, '[]'::jsonb,
       'ahmed@example.ma', '+212600000001', 'ar', 'salma idrissi', '{}'::text[], ?, ?::text[], ?,
       ((?::date - ?::int) + time '12:00') at time zone 'Africa/Casablanca', ((?::date - ?::int) + time '12:00') at time zone 'Africa/Casablanca')`,
    [randomUUID(), r.ref, randomUUID().replace(/-/g, ''), r.status, r.year ?? YEAR, r.level ?? 'primary1', r.at.school, commune, zone,
      person, person, decision, `{${(r.reasons ?? []).join(',')}}`, `pre-registration-${r.ref}`, today, r.daysAgo, today, r.daysAgo],
  );
}

const day = (n: number) => new Date(Date.parse(`${today}T00:00:00Z`) - n * 86400000).toISOString().slice(0, 10);

async function signIn(username: string): Promise<Browser> {
  const b = new Browser(baseUrl);
  const res = await signInStaff(b, username, PASSWORD);
  expect(res.status).toBe(303);
  return b;
}

async function csv(b: Browser, table: string): Promise<string[]> {
  const res = await b.get(`/staff/supervision/${table}.csv`);
  if (res.status !== 200) throw new Error(`${table}.csv: ${res.status} ${res.headers.get('location')} ${await res.text()}`);
  expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
  expect(res.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="tasjil-${table}-${YEAR}\\.csv"$`));
  const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
  expect(text.startsWith(BOM)).toBe(true);
  expect(text.endsWith('\r\n')).toBe(true);
  return text.slice(1, -2).split('\r\n');
}

beforeAll(async () => {
  t = await startTestApp({ web: false });
  // Until web/app.ts mounts the router, mount it here on the real app, before its 404 handler.
  const { app, close } = createApp({ config: { ...t.config, PORT: 0 }, orm: t.orm, temporal: t.temporal, log: pino({ level: 'silent' }) });
  const pass = (_req: Request, _res: Response, next: NextFunction) => next();
  app.use('/staff/supervision', supervisionRouter({ config: t.config, orm: t.orm, temporal: t.temporal, log: pino({ level: 'silent' }) }, { withCsrf: pass, protect: pass }));
  const stack = (app as unknown as { router: { stack: unknown[] } }).router.stack;
  stack.splice(stack.length - 3, 0, stack.pop());
  closeApp = close;
  server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  today = todayInCasablanca(new Date());

  const rows: Row[] = [
    { ref: 'DSH-A01-W1', at: A01, status: 'underReview', daysAgo: 1 },
    { ref: 'DSH-A01-W2', at: A01, status: 'underReview', daysAgo: 0 },
    { ref: 'DSH-A01-W3', at: A01, status: 'correctionRequested', daysAgo: 5 },
    { ref: 'DSH-A01-W4', at: A01, status: 'underReview', daysAgo: 10 },
    { ref: 'DSH-A01-AP1', at: A01, status: 'approved', daysAgo: 12 },
    { ref: 'DSH-A01-RG1', at: A01, status: 'registered', daysAgo: 12 },
    { ref: 'DSH-A01-RJ1', at: A01, status: 'rejected', daysAgo: 3, reasons: ['underAge', 'incompleteFile'] },
    { ref: 'DSH-A02-W5', at: A02, status: 'underReview', daysAgo: 20 },
    { ref: 'DSH-A02-RJ2', at: A02, status: 'rejected', daysAgo: 3, reasons: ['underAge'] },
    { ref: 'DSH-A02-WD1', at: A02, status: 'withdrawn', daysAgo: 1 },
    { ref: 'DSH-A02-SU1', at: A02, status: 'submitted', daysAgo: 0 },
    { ref: 'DSH-A03-AP2', at: A03, status: 'approved', daysAgo: 5, level: 'preschool' },
    { ref: 'DSH-A03-EF1', at: A03, status: 'exportFailed', daysAgo: 5 },
    // Not counted: another school year, a draft, another directorate.
    { ref: 'DSH-A01-OLD', at: A01, status: 'underReview', daysAgo: 2, year: '2026-2027' },
    { ref: 'DSH-A01-DRAFT', at: A01, status: 'draft', daysAgo: 2 },
    { ref: 'DSH-RABAT-W', at: RABAT, status: 'underReview', daysAgo: 30 },
  ];
  for (const r of rows) await insert(r);
}, 120000);

afterAll(async () => {
  if (server) await closeServer(server);
  if (closeApp) await closeApp();
  if (t) await t.stop();
});

describe('supervision dashboard', () => {
  test('a director gets 403 (page and CSV); unauthenticated users go to sign-in', async () => {
    expect((await new Browser(baseUrl).get('/staff/supervision/')).status).toBe(303);
    const b = await signIn(`director.${A01.school}`);
    expect((await b.get('/staff/supervision/')).status).toBe(403);
    expect((await b.get('/staff/supervision/schools.csv')).status).toBe(403);
  });

  test('the provincial supervisor sees exact figures, the SVG chart and its data table', async () => {
    const b = await signIn(`supervisor.${DIR}`);
    const res = await b.get('/staff/supervision/?lang=fr');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<svg [^>]*role="img"[^>]*aria-labelledby="daily-chart-title daily-chart-desc"/);
    expect(html).toContain('<title id="daily-chart-title">Demandes envoyées par jour</title>');
    expect(html).not.toMatch(/<script(?! src="\/static\/app\.js")/);
    expect((html.match(/<rect class="bar"/g) ?? []).length).toBeGreaterThanOrEqual(21);
    expect(html).toContain(`<tr data-date="${day(5)}"><th scope="row"><bdi dir="ltr">${day(5)}</bdi></th><td><bdi dir="ltr">3</bdi></td></tr>`);
    expect(html).toMatch(new RegExp(`<tr data-code="${DIR.replace(/\./g, '\\.')}"><td><bdi dir="ltr">${DIR.replace(/\./g, '\\.')}</bdi></td><th scope="row">Casablanca-Anfa</th><td data-col="total"><bdi dir="ltr">13</bdi></td>`));
    expect(html).not.toContain('data-code="04421A04"');
    // Arabic page: labels from the catalogue.
    const ar = await (await b.get('/staff/supervision/?lang=ar')).text();
    expect(ar).toContain('الطلبات في انتظار القرار حسب الأقدمية');
  });

  test('trouble first: the page opens on the late directorates and schools against the school year\'s deadlines (7 and 14 days), zero-request schools included', async () => {
    const b = await signIn(`supervisor.${DIR}`);
    const html = await (await b.get('/staff/supervision/?lang=fr')).text();
    // The first section of the page is the late list, before the tables by directorate and school.
    expect([...html.matchAll(/<section aria-labelledby="([^"]+)"/g)].map((x) => x[1])).toEqual(
      ['late-title', 'documents-title', 'by-directorate', 'by-school', 'decisions-title', 'waiting-title', 'daily-title', 'seats-title']);
    const rows = (id: string) => [...(new RegExp(`<table id="${id}"[\\s\\S]*?</table>`).exec(html)?.[0] ?? '').matchAll(/<tr data-code="([^"]+)" data-severity="([^"]+)"[^>]*>([\s\S]*?)<\/tr>/g)]
      .map((x) => [x[1], x[2], [...x[3].matchAll(/<(?:td|th)[^>]*>([\s\S]*?)<\/(?:td|th)>/g)].map((c) => c[1].replace(/<[^>]+>/g, '').replace(/&#x27;/g, "'").trim())]);
    // A02: one request waiting 20 days (> 14); A01: one waiting 10 days (> 7); A04: no request at all; A03 is on time.
    expect(rows('late-schools')).toEqual([
      [A02.school, 'overdue', ['Délai d\'alerte dépassé', A02.school, 'École primaire Zerktouni', '1', '1', '1', 'depuis 20 jours', '4']],
      [A01.school, 'late', ['En retard', A01.school, 'École primaire Abdelmoumen', '0', '1', '3', 'depuis 10 jours', '7']],
      [A04.school, 'noRequests', ['Aucune demande', A04.school, 'École primaire Prince Moulay Abdallah', '0', '0', '0', '—', '0']],
    ]);
    expect(rows('late-directorates')).toEqual([[DIR, 'overdue', ['Délai d\'alerte dépassé', DIR, 'Casablanca-Anfa', '1', '1', '1', '1', '2']]]);
    const ar = await (await b.get('/staff/supervision/?lang=ar')).text();
    expect(ar).toContain('<span class="tag severity-tag-noRequests">بدون أي طلب</span>');
  });

  test('CSV files: counts by status, decisions, reasons, waiting, oldest, daily, seats — exact', async () => {
    const b = await signIn(`supervisor.${DIR}`);
    const names = new Map((await t.orm.em.fork().getConnection().execute<Array<{ code: string; name_ar: string; name_fr: string }>>(
      `select code, name_ar, name_fr from school where directorate_code = ? union all select code, name_ar, name_fr from provincial_directorate where code = ?`, [DIR, DIR],
    )).map((r) => [r.code, `${r.name_ar},${r.name_fr}`]));
    const statuses = 'submitted,underReview,correctionRequested,approved,exportFailed,registered,rejected,withdrawn';
    expect(await csv(b, 'directorates')).toEqual([`directorate_code,name_ar,name_fr,total,${statuses}`, `${DIR},${names.get(DIR)},13,1,4,1,2,1,1,2,1`]);
    expect(await csv(b, 'schools')).toEqual([
      `school_code,name_ar,name_fr,directorate_code,total,${statuses}`,
      `${A01.school},${names.get(A01.school)},${DIR},7,0,3,1,1,0,1,1,0`,
      `${A02.school},${names.get(A02.school)},${DIR},4,1,1,0,0,0,0,1,1`,
      `${A03.school},${names.get(A03.school)},${DIR},2,0,0,0,1,1,0,0,0`,
    ]);
    expect(await csv(b, 'decisions')).toEqual(['directorate_code,name_ar,name_fr,approved,rejected,approval_rate_percent', `${DIR},${names.get(DIR)},4,2,67`]);
    expect(await csv(b, 'reasons')).toEqual(['reason_code,text_ar,text_fr,count', "underAge,عدم استيفاء السن القانوني,L'enfant n'a pas atteint l'âge légal,2", 'incompleteFile,ملف غير مكتمل,Dossier incomplet,1']);
    expect(await csv(b, 'waiting')).toEqual(['age_days,count', '0-2,2', '3-7,1', '8-14,1', '15+,1']);
    expect(await csv(b, 'oldest')).toEqual([
      'school_code,name_ar,name_fr,waiting,oldest_submitted_on,oldest_age_days',
      `${A02.school},${names.get(A02.school)},1,${day(20)},20`,
      `${A01.school},${names.get(A01.school)},4,${day(10)},10`,
    ]);
    const daily = await csv(b, 'daily');
    expect(daily[0]).toBe('date,submissions');
    const perDay = new Map(daily.slice(1).map((l) => l.split(',') as [string, string]));
    expect(Object.fromEntries([0, 1, 3, 5, 10, 12, 20].map((n) => [day(n), perDay.get(day(n))]))).toEqual(
      { [day(0)]: '2', [day(1)]: '2', [day(3)]: '2', [day(5)]: '3', [day(10)]: '1', [day(12)]: '2', [day(20)]: '1' },
    );
    expect([...perDay.values()].reduce((s, n) => s + Number(n), 0)).toBe(13);
    expect(daily[daily.length - 1].startsWith(`${today},`)).toBe(true);
    expect(await csv(b, 'seats')).toEqual([
      'school_code,name_ar,name_fr,level,seats,used,left',
      `${A01.school},${names.get(A01.school)},primary1,150,2,148`, `${A01.school},${names.get(A01.school)},preschool,100,0,100`,
      `${A02.school},${names.get(A02.school)},primary1,120,0,120`, `${A02.school},${names.get(A02.school)},preschool,80,0,80`,
      `${A03.school},${names.get(A03.school)},primary1,90,1,89`, `${A03.school},${names.get(A03.school)},preschool,60,1,59`,
      `${A04.school},${names.get(A04.school)},primary1,150,0,150`, `${A04.school},${names.get(A04.school)},preschool,100,0,100`,
    ]);
    expect((await b.get('/staff/supervision/nothing.csv')).status).toBe(404);
  });

  test('academy supervisor and administrator see the same directorate figures; another academy does not', async () => {
    for (const user of ['academy.06', 'admin']) {
      const b = await signIn(user);
      const lines = await csv(b, 'directorates');
      expect(lines.find((l) => l.startsWith(`${DIR},`))?.split(',').slice(3)).toEqual(['13', '1', '4', '1', '2', '1', '1', '2', '1']);
    }
    const other = await signIn('academy.04');
    expect((await csv(other, 'directorates')).some((l) => l.startsWith(`${DIR},`))).toBe(false);
    expect((await csv(other, 'schools')).some((l) => l.startsWith(A01.school))).toBe(false);
  });

  test('raw history download: JSON attachment in scope (audited with the address), 404 out of scope', async () => {
    const body = validSubmission({ schoolCode: A04.school, zoneCode: A04.zone, communeCode: A04.commune });
    const r = await submitPreRegistration({ em: t.orm.em.fork(), temporal: t.temporal }, body, await testPhoto(), randomUUID());
    if (!r.ok) throw new Error('submission refused');
    const reference = r.reference;
    await eventually(async () => (await t.temporal.history(reference)).events?.length);

    const b = await signIn(`supervisor.${DIR}`);
    const res = await b.get(`/staff/supervision/requests/${reference}/history.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${reference}-history.json"`);
    const json = await res.json() as { events: Array<{ eventType: string; eventId: string }> };
    expect(json.events.length).toBeGreaterThan(0);
    expect(json.events[0].eventType).toMatch(/WORKFLOW_EXECUTION_STARTED$/);
    const audit = await t.orm.em.fork().getConnection().execute<Array<{ ip: string; actor_role: string }>>(
      `select ip, actor_role from audit_log where action = 'preRegistration.historyDownload' and reference = ?`, [reference]);
    expect(audit).toEqual([{ ip: '127.0.0.1', actor_role: 'provincialSupervisor' }]);

    const outside = await signIn('supervisor.04.421');
    expect((await outside.get(`/staff/supervision/requests/${reference}/history.json`)).status).toBe(404);
    expect((await b.get('/staff/supervision/requests/P27-NOPE0-NOPE0/history.json')).status).toBe(404);
    expect((await b.get('/staff/supervision/requests/DSH-RABAT-W/history.json')).status).toBe(404);
  });
});
