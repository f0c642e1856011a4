/**
 * The parent edits a submitted request until the school opens it, against the real Temporal dev
 * server and PostgreSQL: the edit reaches the running workflow (Update `parentEdit`, only the
 * revision id travels), which applies it and re-runs the automatic checks; staff opening the
 * request (review page, staff API GET, or a decision) ends the edits — once, idempotently; an edit
 * racing with the opening either lands before the director sees the page or is refused; opening an
 * ended request never breaks the page.
 */
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { gregorianToHijri } from '../domain/hijri';
import { PreRegistration, PreRegistrationEvent, PreRegistrationRevision } from '../entities';
import { DecisionRefused, submitParentEdit, withdrawPreRegistration } from '../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser } from './support/http';
import { signInStaff, staffApiToken } from './support/staff';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;
let outOfZone: { communeCode: string; residenceZoneCode: string };
let director: Browser;
let directorId: string;

beforeAll(async () => {
  t = await startTestApp();
  photo = await testPhoto();
  school = await demoSchool(t, 'first');
  const other = await t.orm.em.fork().getConnection().execute<Array<{ code: string; commune_code: string }>>(
    `select z.code, z.commune_code from residence_zone z where z.is_demo
        and not exists (select 1 from school_zone sz where sz.residence_zone_code = z.code and sz.school_code = ?) order by z.code limit 1`,
    [school.schoolCode],
  );
  outOfZone = { communeCode: other[0].commune_code, residenceZoneCode: other[0].code };
  director = new Browser(t.baseUrl);
  const res = await signInStaff(director, school.director.username, school.director.password);
  expect(res.status).toBe(303);
  const [{ id }] = await sql<Array<{ id: string }>>('select id from staff_user where username = ?', [school.director.username]);
  directorId = id;
});
afterAll(async () => { await t?.stop(); });

const sql = <T extends Array<Record<string, unknown>>>(q: string, p: unknown[] = []) => t.orm.em.fork().getConnection().execute<T>(q, p);
const row = (reference: string) => t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
const events = async (reference: string, type?: string) => {
  const em = t.orm.em.fork();
  const pr = await em.findOneOrFail(PreRegistration, { reference });
  return em.find(PreRegistrationEvent, { preRegistration: pr, ...(type ? { type } : {}) }, { orderBy: { id: 'asc' } });
};
const revisions = async (reference: string) => {
  const em = t.orm.em.fork();
  const pr = await em.findOneOrFail(PreRegistration, { reference });
  return em.find(PreRegistrationRevision, { preRegistration: pr }, { orderBy: { createdAt: 'asc' } });
};
const deps = () => ({ em: t.orm.em.fork(), temporal: t.temporal });
const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (e) => (e instanceof DecisionRefused ? e.code : `other: ${String(e)}`));

let seq = 0;
/**
 * A distinct child: its own certificate number and a September 2021 birth date no other suite
 * uses (duplicate keys are name + birth date: other files' requests must not look like these).
 */
function child() {
  seq += 1;
  const base = validSubmission(school);
  const birthDate = `2021-09-${String(seq).padStart(2, '0')}`;
  return {
    ...base,
    child: { ...base.child, firstNameLatin: `Edit${'abcdefghijklmnopqrstuvwxyz'[seq % 26]}` },
    civilStatus: { ...base.civilStatus, birthDate, birthDateHijri: gregorianToHijri(birthDate), birthCertificateDate: birthDate, birthCertificateNumber: `PE-${Date.now()}-${seq}` },
  };
}

/** Submits a distinct child through the API and waits until the workflow has it under review. */
async function submitted() {
  const body = child();
  const certificate = body.civilStatus.birthCertificateNumber;
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }, body: JSON.stringify({ ...body, photo: { data: photo.toString('base64') } }),
  });
  expect(res.status).toBe(201);
  const { reference } = await res.json() as { reference: string };
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
  return { reference, certificate, body };
}

const put = (reference: string, certificate: string, payload: unknown) => fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`, {
  method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Birth-Certificate-Number': certificate }, body: JSON.stringify(payload),
});

test('an edit before opening reaches the workflow: data replaced, checks re-run (now out of zone), timeline and revision recorded', async () => {
  const { reference, certificate, body } = await submitted();
  expect((await t.temporal.status(reference)).checks?.zone).toBe('inZone');
  const publicView = await (await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`)).json() as { editable: boolean; openedAt: string | null };
  expect(publicView).toMatchObject({ editable: true, openedAt: null });

  const invalid = await put(reference, certificate, { ...body, child: { ...body.child, firstNameLatin: 'ياسين' } });
  expect(invalid.status).toBe(400);
  const errors = (await invalid.json() as { errors: Array<{ field: string; message: { ar: string; fr: string } }> }).errors;
  expect(errors.find((e) => e.field === 'child.firstNameLatin')?.message).toEqual({ ar: expect.any(String), fr: expect.any(String) });
  expect(await revisions(reference)).toHaveLength(0); // nothing stored for an invalid edit

  const edited = { ...body, child: { ...body.child, firstNameLatin: 'Yacine' }, residence: outOfZone };
  const ok = await put(reference, certificate, edited);
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ reference, status: 'underReview' }); // answered once the checks ran again

  const pr = await row(reference);
  expect(pr.childFirstNameLatin).toBe('Yacine');
  expect(pr.residenceZone.code).toBe(outOfZone.residenceZoneCode);
  expect(pr.searchText).toContain('yacine');
  expect(pr.zoneCheck).toBe('outOfZone');
  expect(pr.checks?.zone.result).toBe('outOfZone');
  expect(pr.openedAt ?? null).toBeNull();
  const state = await t.temporal.status(reference);
  expect(state).toMatchObject({ status: 'underReview', edits: 1, opened: false });
  expect(state.checks?.zone).toBe('outOfZone');

  const edits = await events(reference, 'edited');
  expect(edits).toHaveLength(1);
  expect(edits[0].actor).toBe('parent');
  const keys = (await events(reference)).map((e) => e.eventKey);
  expect(keys).toEqual(expect.arrayContaining(['checks', 'checks:1', 'status:underReview', 'status:underReview:edit:1']));
  expect(keys.indexOf('checks:1')).toBeGreaterThan(keys.indexOf(edits[0].eventKey));
  const [revision] = await revisions(reference);
  expect(revision).toMatchObject({ status: 'applied', photoKey: null });
  expect(revision.appliedAt).toBeInstanceOf(Date);
  expect(revision.data.child.firstNameLatin).toBe('Yacine');

  // The workflow history carries the revision id only: no name, no certificate number, no CIN.
  const history = await t.temporal.history(reference);
  const accepted = (history.events ?? []).map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input)
    .filter((input) => input?.name === 'parentEdit');
  expect(accepted).toHaveLength(1);
  expect((accepted[0]!.args?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p as never))).toEqual([{ revisionId: revision.id }]);
  const decoded = JSON.stringify((history.events ?? []).flatMap((e) => {
    const found: unknown[] = [];
    const walk = (x: unknown) => {
      if (!x || typeof x !== 'object') return;
      if ('data' in x && 'metadata' in x) { try { found.push(defaultPayloadConverter.fromPayload(x as never)); } catch { /* not JSON */ } return; }
      for (const v of Object.values(x)) walk(v);
    };
    walk(e);
    return found;
  }));
  for (const personal of ['Yacine', certificate, body.father.cin, body.child.firstNameAr]) expect(decoded).not.toContain(personal);
});

test('the director opening the review page ends the edits: opened once, later edits refused and the row unchanged', async () => {
  const { reference, certificate, body } = await submitted();
  const page = await director.get(`/staff/requests/${reference}`);
  expect(page.status).toBe(200);
  await page.text();
  const pr = await row(reference);
  expect(pr.openedAt).toBeInstanceOf(Date);
  expect(pr.openedBy).toBe(directorId);
  const opened = await events(reference, 'opened');
  expect(opened).toHaveLength(1);
  expect(opened[0].actor).toBe(directorId);
  expect((await t.temporal.status(reference)).opened).toBe(true);

  expect((await director.get(`/staff/requests/${reference}`)).status).toBe(200);
  await t.temporal.open(reference, 'someone-else'); // the Update itself is idempotent too
  expect(await events(reference, 'opened')).toHaveLength(1);
  expect((await row(reference)).openedAt?.getTime()).toBe(pr.openedAt!.getTime());

  // The parent sees it on the status page, with its date.
  const status = await (await fetch(`${t.baseUrl}/pre-registrations/${reference}`)).text();
  expect(status).toContain('شرعت المؤسسة في دراسة الطلب');
  const statusFr = await (await fetch(`${t.baseUrl}/pre-registrations/${reference}?lang=fr`)).text();
  expect(statusFr).toContain('commencé à examiner la demande');

  const late = await put(reference, certificate, { ...body, child: { ...body.child, firstNameLatin: 'Toolate' } });
  expect(late.status).toBe(409);
  const refused = await late.json() as { error: string; message: { ar: string; fr: string } };
  expect(refused).toEqual({ error: 'alreadyOpened', message: { ar: 'لا يمكن تعديل الطلب: شرعت المؤسسة في دراسته.', fr: "La demande ne peut plus être modifiée\u00a0: l'établissement a commencé à l'examiner." } });
  expect((await row(reference)).childFirstNameLatin).toBe(body.child.firstNameLatin);
  expect((await revisions(reference)).map((r) => r.status)).toEqual(['refused']);
  expect(await events(reference, 'edited')).toHaveLength(0);
  expect((await t.temporal.status(reference)).edits).toBe(0);
});

test('an edit racing with the opening: applied before the page shows, or refused — never half-done', async () => {
  const outcomes: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const { reference, body } = await submitted();
    const name = `Racer${'abc'[i]}`;
    const [edit, page] = await Promise.all([
      refusal(submitParentEdit(deps(), reference, { ...body, child: { ...body.child, firstNameLatin: name } }, undefined)),
      director.get(`/staff/requests/${reference}`).then(async (r) => ({ status: r.status, html: await r.text() })),
    ]);
    expect(page.status).toBe(200);
    const pr = await row(reference);
    const [revision] = await revisions(reference);
    expect(await events(reference, 'opened')).toHaveLength(1);
    if (edit === 'accepted') {
      expect(page.html).toContain(name); // the director's page waited for the edit
      expect(pr.childFirstNameLatin).toBe(name);
      expect(revision.status).toBe('applied');
      expect(await events(reference, 'edited')).toHaveLength(1);
    } else {
      expect(edit).toBe('alreadyOpened');
      expect(page.html).not.toContain(name);
      expect(pr.childFirstNameLatin).toBe(body.child.firstNameLatin);
      expect(revision.status).toBe('refused');
      expect(await events(reference, 'edited')).toHaveLength(0);
    }
    outcomes.push(edit);
  }
  expect(outcomes.every((o) => o === 'accepted' || o === 'alreadyOpened')).toBe(true);
  if (process.env.TASJIL_TEST_VERBOSE === '1') console.log('race outcomes', outcomes);
});

test('an edit accepted while the checks still run: opening waits for it, the page shows the edited data', async () => {
  const base = child();
  const body = { ...base, child: { ...base.child, firstNameLatin: 'Anas' } };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...body, photo: { data: photo.toString('base64') } }),
  });
  const { reference } = await res.json() as { reference: string };
  const edit = submitParentEdit(deps(), reference, { ...body, child: { ...body.child, firstNameLatin: 'Anass' } }, photo);
  // Once the workflow has accepted the edit, the director opens the page.
  await eventually(async () => (await t.temporal.history(reference)).events?.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'parentEdit'), 15000);
  const page = await director.get(`/staff/requests/${reference}`);
  const html = await page.text();
  expect(page.status).toBe(200);
  expect(html).toContain('Anass');
  expect(await edit).toEqual({ ok: true, status: 'underReview' });
  const pr = await row(reference);
  expect(pr.childFirstNameLatin).toBe('Anass');
  const [revision] = await revisions(reference);
  expect(revision.photoKey).toMatch(/^[0-9a-f]{32}$/);
  expect(pr.photoKey).toBe(revision.photoKey); // the new photo replaced the old one
  const keys = (await events(reference)).map((e) => e.eventKey);
  expect(keys.indexOf(`edited:${revision.id}`)).toBeGreaterThan(keys.indexOf('status:underReview')); // applied after the initial checks
  expect(keys.indexOf('opened')).toBeGreaterThan(-1);
  expect((await t.temporal.status(reference)).checks).toEqual({ age: 'eligible', zone: 'inZone', duplicate: 'none', hijriConsistency: 'consistent' });
});

test('a decision through the API without opening the page marks the request opened; the staff API GET opens too', async () => {
  const auth = `Bearer ${await staffApiToken(t.orm, school.director.username)}`;
  const { reference, body } = await submitted();
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}/decision`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth }, body: JSON.stringify({ decision: 'reject', reasons: ['duplicate'] }),
  });
  expect(res.status).toBe(200);
  const pr = await row(reference);
  expect(pr.openedAt).toBeInstanceOf(Date);
  expect(pr.openedBy).toBe(directorId);
  expect(await refusal(submitParentEdit(deps(), reference, { ...body, child: { ...body.child, firstNameLatin: 'Afterwards' } }, undefined))).toBe('alreadyOpened');
  expect((await row(reference)).childFirstNameLatin).toBe(body.child.firstNameLatin);

  const second = await submitted();
  expect((await fetch(`${t.baseUrl}/api/v1/pre-registrations/${second.reference}`, { headers: { Authorization: 'Bearer tsj_not-a-token' } })).status).toBe(401);
  expect(await events(second.reference, 'opened')).toHaveLength(0);
  const staffView = await fetch(`${t.baseUrl}/api/v1/pre-registrations/${second.reference}`, { headers: { Authorization: auth } });
  expect(staffView.status).toBe(200);
  expect(await staffView.json()).toMatchObject({ reference: second.reference, editable: false, openedAt: expect.any(String) });
  const opened = await events(second.reference, 'opened');
  expect(opened.map((e) => e.actor)).toEqual([directorId]);
  expect((await t.temporal.status(second.reference)).opened).toBe(true);
});

test('opening an ended request never fails the page (withdrawn; workflow gone while the row still says underReview)', async () => {
  const withdrawn = await submitted();
  await withdrawPreRegistration(t.temporal, withdrawn.reference);
  await t.temporal.handle(withdrawn.reference).result();
  const page = await director.get(`/staff/requests/${withdrawn.reference}`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain(withdrawn.reference);
  expect((await row(withdrawn.reference)).openedAt ?? null).toBeNull();
  expect(await refusal(submitParentEdit(deps(), withdrawn.reference, withdrawn.body, undefined))).toBe('alreadyOpened');

  const gone = await submitted();
  await t.temporal.handle(gone.reference).terminate('test: the workflow is gone');
  const page2 = await director.get(`/staff/requests/${gone.reference}`);
  expect(page2.status).toBe(200);
  expect(await page2.text()).toContain(gone.reference);
  expect((await row(gone.reference)).openedAt ?? null).toBeNull();
  // The parent's edit to an ended workflow is refused and its revision marked so.
  expect(await refusal(submitParentEdit(deps(), gone.reference, gone.body, undefined))).toBe('alreadyOpened');
  expect((await revisions(gone.reference)).map((r) => r.status)).toEqual(['refused']);
});
