/**
 * The preRegistration workflow against the real Temporal dev server and PostgreSQL: automatic
 * checks, approve → Massar → registered, reject with reasons, and the Update validator refusing
 * invalid or late decisions.
 */
import { randomUUID } from 'node:crypto';
import { PreRegistration, PreRegistrationEvent } from '../entities';
import { DecisionRefused, sendDecision, submitPreRegistration } from '../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;

beforeAll(async () => {
  t = await startTestApp({ web: false });
  photo = await testPhoto();
  school = await demoSchool(t);
});
afterAll(async () => { await t?.stop(); });

let seq = 0;
/** Submits a distinct child (unique certificate number and names) and waits until it is under review. */
async function submitUnderReview(overrides: Record<string, unknown> = {}) {
  seq += 1;
  const base = validSubmission(school);
  const body = {
    ...base,
    civilStatus: { ...base.civilStatus, birthCertificateNumber: `WF-${Date.now()}-${seq}` },
    child: { ...base.child, firstNameLatin: `Test${'abcdefghij'[seq % 10]}`, firstNameAr: ['سعيد', 'كريم', 'يوسف', 'أمين', 'هشام', 'رضا', 'نبيل', 'طارق', 'زكرياء', 'إلياس'][seq % 10] },
    ...overrides,
  };
  const r = await submitPreRegistration({ em: t.orm.em.fork(), temporal: t.temporal }, body, photo, randomUUID());
  if (!r.ok) throw new Error(`submission refused: ${JSON.stringify(r.errors)}`);
  const state = await eventually(async () => {
    const s = await t.temporal.status(r.reference);
    return s.status === 'underReview' ? s : null;
  });
  return { reference: r.reference, state };
}

const director = () => `director-test-${randomUUID()}`;

test('approve: checks pass, Massar code, registered, timeline in order', async () => {
  const { reference, state } = await submitUnderReview();
  expect(state.checks).toEqual({ age: 'eligible', zone: 'inZone', duplicate: 'none', hijriConsistency: 'consistent' });
  const by = director();
  await expect(sendDecision(t.temporal, reference, { decision: 'approve', decidedBy: by })).resolves.toEqual({ status: 'approved' });
  const result = await t.temporal.handle(reference).result();
  expect(result.status).toBe('registered');
  expect(result.massarCode).toMatch(/^[A-Z][0-9]{9}$/);

  const em = t.orm.em.fork();
  const pr = await em.findOneOrFail(PreRegistration, { reference });
  expect(pr.status).toBe('registered');
  expect(pr.massarCode).toBe(result.massarCode);
  expect(pr.decision).toBe('approve');
  expect(pr.decidedBy).toBe(by);
  expect(pr.ageCheck).toBe('eligible');
  const events = await em.find(PreRegistrationEvent, { preRegistration: pr }, { orderBy: { id: 'asc' } });
  const keys = events.map((e) => e.eventKey);
  // Checks and the queue in one activity, then "received" (email and SMS in parallel, either first);
  // the decision may come while "received" is being sent.
  expect(keys.slice(0, 3)).toEqual(['status:submitted', 'checks', 'status:underReview']);
  expect([...keys].sort()).toEqual([
    'checks', 'decision', 'notification:received:email', 'notification:received:sms', 'notification:registered:email',
    'notification:registered:sms', 'status:registered', 'status:submitted', 'status:underReview',
  ]);
  const at = (k: string) => keys.indexOf(k);
  expect(at('decision')).toBeLessThan(at('status:registered'));
  expect(Math.min(at('notification:registered:email'), at('notification:registered:sms'))).toBeGreaterThan(at('status:registered'));
});

test('reject: reasons recorded, workflow ends rejected', async () => {
  const { reference } = await submitUnderReview();
  await expect(sendDecision(t.temporal, reference, { decision: 'reject', reasons: ['underAge', 'zoneMismatch'], decidedBy: director() }))
    .resolves.toEqual({ status: 'rejected' });
  const result = await t.temporal.handle(reference).result();
  expect(result).toMatchObject({ status: 'rejected', rejectionReasons: ['underAge', 'zoneMismatch'], massarCode: null });
  const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
  expect(pr.status).toBe('rejected');
  expect(pr.rejectionReasons).toEqual(['underAge', 'zoneMismatch']);
  expect(pr.massarCode).toBeNull();
});

test('the validator refuses a rejection without a reason, a second decision, and an unknown reason', async () => {
  const { reference } = await submitUnderReview();
  const refused = (p: Promise<unknown>) => p.then(() => 'accepted', (e) => (e instanceof DecisionRefused ? e.code : `other: ${String(e)}`));
  expect(await refused(sendDecision(t.temporal, reference, { decision: 'reject', reasons: [], decidedBy: director() }))).toBe('invalidDecision');
  expect(await refused(sendDecision(t.temporal, reference, { decision: 'reject', reasons: ['notACode' as never], decidedBy: director() }))).toBe('invalidDecision');
  expect((await t.temporal.status(reference)).status).toBe('underReview');
  expect(await refused(sendDecision(t.temporal, reference, { decision: 'approve', decidedBy: director() }))).toBe('accepted');
  expect(await refused(sendDecision(t.temporal, reference, { decision: 'reject', reasons: ['underAge'], decidedBy: director() }))).toBe('alreadyDecided');
  await t.temporal.handle(reference).result();
  expect(await refused(sendDecision(t.temporal, reference, { decision: 'reject', reasons: ['underAge'], decidedBy: director() }))).toBe('workflowEnded');
});

test('two directors deciding at once: exactly one decision is recorded', async () => {
  const { reference } = await submitUnderReview();
  const results = await Promise.allSettled([
    sendDecision(t.temporal, reference, { decision: 'approve', decidedBy: 'director-a' }),
    sendDecision(t.temporal, reference, { decision: 'reject', reasons: ['duplicate'], decidedBy: 'director-b' }),
  ]);
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  expect((loser.reason as DecisionRefused).code).toBe('alreadyDecided');
  const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
  expect(['director-a', 'director-b']).toContain(pr.decidedBy);
  await t.temporal.handle(reference).result();
});

test('automatic checks: tolerance band, out of zone and possible duplicate are flagged', async () => {
  // 2027-2028: eligible if born by 2021-12-31, tolerance 2022-01-01 – 2022-03-31.
  const base = validSubmission(school);
  const tolerance = await submitUnderReview({ civilStatus: { ...base.civilStatus, birthDate: '2022-02-10', birthDateHijri: (await import('../domain/hijri')).gregorianToHijri('2022-02-10'), birthCertificateDate: '2022-02-15', birthCertificateNumber: `TOL-${Date.now()}` } });
  expect(tolerance.state.checks?.age).toBe('tolerance');

  const other = await t.orm.em.fork().getConnection().execute<{ code: string; commune_code: string }[]>(
    `select z.code, z.commune_code from residence_zone z where z.is_demo and not exists (select 1 from school_zone sz where sz.residence_zone_code = z.code and sz.school_code = ?) order by z.code limit 1`,
    [school.schoolCode],
  );
  const out = await submitUnderReview({ residence: { communeCode: other[0].commune_code, residenceZoneCode: other[0].code } });
  expect(out.state.checks?.zone).toBe('outOfZone');

  const certificate = `DUP-${Date.now()}`;
  const child = { ...base.child, firstNameAr: 'مهدي', firstNameLatin: 'Mehdi' };
  const first = await submitUnderReview({ child, civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate } });
  expect(first.state.checks?.duplicate).toBe('none');
  // The same certificate number and birth date is the same child: the first request is given back (one child, one request).
  const same = await submitPreRegistration({ em: t.orm.em.fork(), temporal: t.temporal }, { ...base, child, civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate } }, photo, randomUUID());
  expect(same).toEqual({ ok: true, reference: first.reference, status: 'underReview', created: false, existing: true });
  // Same name and birth date under another certificate number: a possible duplicate for the director.
  const second = await submitUnderReview({ child, civilStatus: { ...base.civilStatus, birthCertificateNumber: `${certificate}-B` } });
  expect(second.state.checks?.duplicate).toBe('possibleDuplicate');
  const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference: second.reference });
  expect(pr.checks?.duplicate.candidates).toContain(first.reference);
});

test('the same submission token twice gives one request and one workflow', async () => {
  const token = randomUUID();
  const base = validSubmission(school);
  const body = { ...base, civilStatus: { ...base.civilStatus, birthCertificateNumber: `IDEM-${Date.now()}` } };
  const a = await submitPreRegistration({ em: t.orm.em.fork(), temporal: t.temporal }, body, photo, token);
  const b = await submitPreRegistration({ em: t.orm.em.fork(), temporal: t.temporal }, body, photo, token);
  expect(a.ok && b.ok).toBe(true);
  if (!a.ok || !b.ok) return;
  expect(b.reference).toBe(a.reference);
  expect([a.created, b.created]).toEqual([true, false]);
  expect(await t.orm.em.fork().count(PreRegistration, { submissionToken: token })).toBe(1);
  // Visibility is eventually consistent (the server engine's SQL visibility lags the start): wait
  // until the run is listed, then there must be exactly one.
  const listRuns = async () => {
    const runs: string[] = [];
    for await (const w of t.temporal.client.workflow.list({ query: `WorkflowId = 'preRegistration-${a.reference}'` })) runs.push(w.runId);
    return runs;
  };
  await eventually(async () => (await listRuns()).length > 0, 15000);
  expect(await listRuns()).toHaveLength(1);
  expect((await t.temporal.client.workflow.getHandle(`preRegistration-${a.reference}`).describe()).runId).toBe((await listRuns())[0]);
});
