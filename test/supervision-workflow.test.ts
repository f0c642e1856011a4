/**
 * Supervision on the real Temporal dev server: decision deadlines with short durations (reminder to
 * the director, escalation to the directorate, parent told of the delay), histories stored
 * encrypted with no personal field in clear, and the Web UI's codec endpoint (supervisors only).
 */
import { randomUUID } from 'node:crypto';
import { PreRegistration, PreRegistrationEvent } from '../entities';
import { sendDecision, submitPreRegistration } from '../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser } from './support/http';
import { signInStaff } from './support/staff';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;

beforeAll(async () => {
  t = await startTestApp();
  photo = await testPhoto();
  school = await demoSchool(t);
});
afterAll(async () => { await t?.stop(); });

async function submit(deadlines?: { reminderAfterMs: number; escalateAfterMs: number }, overrides: Record<string, unknown> = {}) {
  const base = validSubmission(school);
  const body = { ...base, civilStatus: { ...base.civilStatus, birthCertificateNumber: `SUP-${randomUUID().slice(0, 8)}` }, ...overrides };
  const r = await submitPreRegistration({ em: t.orm.em.fork(), temporal: t.temporal, deadlines }, body, photo, randomUUID());
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  await eventually(async () => (await t.temporal.status(r.reference)).status === 'underReview');
  return r.reference;
}

const outbox = (recipient: string) => t.orm.em.fork().getConnection().execute<Array<{ subject: string; body: string }>>(
  'select subject, body from dev_outbox_message where recipient = ? order by id', [recipient],
);

test('no decision in time: the director is reminded, then the directorate alerted and the parent told', async () => {
  const reference = await submit({ reminderAfterMs: 1500, escalateAfterMs: 3000 });
  const state = await eventually(async () => {
    const s = await t.temporal.status(reference);
    return s.escalated ? s : null;
  }, 20000);
  expect(state).toMatchObject({ status: 'underReview', reminded: true, escalated: true });
  const em = t.orm.em.fork();
  const pr = await em.findOneOrFail(PreRegistration, { reference });
  expect(pr.escalatedAt).toBeInstanceOf(Date);
  const keys = (await em.find(PreRegistrationEvent, { preRegistration: pr }, { orderBy: { id: 'asc' } })).map((e) => e.eventKey);
  expect(keys.indexOf('reminder')).toBeGreaterThan(keys.indexOf('status:underReview'));
  expect(keys.indexOf('escalated')).toBeGreaterThan(keys.indexOf('reminder'));
  const directorMail = await eventually(async () => {
    const rows = await outbox(`${school.director.username.toLowerCase()}@demo.tasjil.test`);
    return rows.find((r) => r.subject.includes(reference));
  });
  expect(directorMail.body).toContain(reference);
  const supervisorMail = await eventually(async () => {
    const rows = await outbox(`supervisor.${school.directorateCode.toLowerCase()}@demo.tasjil.test`);
    return rows.find((r) => r.subject.includes(reference));
  });
  expect(supervisorMail.subject).toContain('alerte');
  // A decision still closes the request normally.
  await sendDecision(t.temporal, reference, { decision: 'approve', decidedBy: 'director-test' });
  expect((await t.temporal.handle(reference).result()).status).toBe('registered');
});

test('a decision before the deadline: no reminder', async () => {
  const reference = await submit({ reminderAfterMs: 60000, escalateAfterMs: 120000 });
  await sendDecision(t.temporal, reference, { decision: 'reject', reasons: ['incompleteFile'], decidedBy: 'director-test' });
  const result = await t.temporal.handle(reference).result();
  expect(result).toMatchObject({ status: 'rejected', reminded: false, escalated: false });
});

test('the stored history holds no personal data in clear; the supervisor-only codec endpoint decodes it', async () => {
  const note = 'استثناء: الأسرة انتقلت حديثا إلى الحي، الأب محمد العلوي';
  const outside = await t.orm.em.fork().getConnection().execute<{ code: string; commune_code: string }[]>(
    `select z.code, z.commune_code from residence_zone z where z.is_demo and not exists (select 1 from school_zone sz where sz.residence_zone_code = z.code and sz.school_code = ?) order by z.code limit 1`,
    [school.schoolCode],
  );
  const reference = await submit(undefined, { residence: { communeCode: outside[0].commune_code, residenceZoneCode: outside[0].code } });
  await expect(sendDecision(t.temporal, reference, { decision: 'approve', decidedBy: 'director-test' })).rejects.toMatchObject({ code: 'derogationNoteRequired' });
  await sendDecision(t.temporal, reference, { decision: 'approve', note, decidedBy: 'director-test' });
  await t.temporal.handle(reference).result();

  // Every payload stored by Temporal is encrypted; none decodes to text holding personal data.
  const rawHistory = await t.temporal.rawHistory(reference);
  const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
  const stored: Array<{ metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }> = [];
  const collect = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) { n.forEach(collect); return; }
    for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
      if (k === 'searchAttributes') continue;
      if (k === 'markerRecordedEventAttributes') continue; // patch markers: the patch id, written by the SDK's core
      if (k === 'payloads' && Array.isArray(v)) stored.push(...(v as typeof stored));
      else collect(v);
    }
  };
  collect(rawHistory.events);
  expect(stored.length).toBeGreaterThan(10);
  expect(new Set(stored.map((p) => Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString()))).toEqual(new Set(['binary/encrypted']));
  const clear = stored.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('\n');
  for (const personal of [note, reference, pr.childFirstNameAr, pr.childFirstNameLatin, pr.father.cin, pr.birthCertificateNumber, pr.contactEmail, pr.massarCode!]) {
    expect(clear.includes(personal)).toBe(false);
  }
  // Decrypted for supervisors: the Massar code and the note are there again.
  const decoded = JSON.stringify(await t.temporal.history(reference));
  expect(decoded).toContain(Buffer.from(JSON.stringify({ massarCode: pr.massarCode })).toString('base64'));

  // The Web UI's codec endpoint: anonymous 401, director 403, supervisor decodes.
  const history = await t.temporal.rawHistory(reference);
  const started = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads!;
  const body = JSON.stringify({ payloads: started.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')])),
    data: Buffer.from(p.data as Uint8Array).toString('base64'),
  })) });
  const anonymous = await fetch(`${t.baseUrl}/codec/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  expect(anonymous.status).toBe(401);
  const signIn = async (username: string) => {
    const b = new Browser(t.baseUrl);
    const r = await signInStaff(b, username, school.director.password);
    expect(r.status).toBe(303);
    return b;
  };
  const director = await signIn(school.director.username);
  expect((await director.request('/codec/decode', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body })).status).toBe(403);
  const supervisor = await signIn(`supervisor.${school.directorateCode}`);
  const res = await supervisor.request('/codec/decode', { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: t.config.TEMPORAL_UI_URL }, body });
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe(new URL(t.config.TEMPORAL_UI_URL).origin);
  const json = await res.json() as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
  const input = JSON.parse(Buffer.from(json.payloads[0].data, 'base64').toString('utf8')) as { reference: string; schoolCode: string };
  expect(input).toMatchObject({ reference, schoolCode: school.schoolCode });
});
