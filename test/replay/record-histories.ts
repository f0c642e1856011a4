/**
 * Records one workflow history per path of the lifecycle with the CURRENT `workflows/` code, into
 * test/fixtures/histories/<prefix>-<path>.json (prefix: `RECORD_PREFIX`, e.g. `v1`). Run it after a
 * workflow change that adds a path or changes the commands a path makes (next to a `patched()`):
 *
 *   RECORD_PREFIX=v2 npm run record:histories
 *
 * It drives the real test stack (PostgreSQL, Temporal dev server, sandboxes) through the same
 * services the doors call, waits for each workflow to end, and saves `fetchHistory()` as Temporal's
 * JSON. Payloads stay encrypted by the codec (development key): no personal data in clear (checked
 * below). Not part of `npm test` (its file name does not end in .test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TasjilTemporal } from '../../temporal/client';
import { gregorianToHijri } from '../../domain/hijri';
import {
  requestCorrection, sendDecision, submitCorrection, submitParentEdit, submitPreRegistration, withdrawPreRegistration,
} from '../../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from '../support/app';
import { uniqueSuffix } from '../support/stack';
import { HISTORIES_DIR, historyToFixture } from './histories';

jest.setTimeout(180_000);

const PREFIX = process.env.RECORD_PREFIX || 'v1';
let t: TestApp;
let temporal: TasjilTemporal;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;
/** Clear values that must never appear in a fixture (names, numbers, contact of the test children). */
const personal = new Set<string>();

beforeAll(async () => {
  t = await startTestApp({ web: false });
  photo = await testPhoto();
  school = await demoSchool(t);
  // Short activity timeouts, as the fault suite uses (they are workflow input: part of the history).
  temporal = { ...t.temporal, start: (input) => t.temporal.start({ ...input, timeouts: { database: '10s', massar: '4s', notification: '10s' } }) };
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
});
afterAll(async () => {
  await fetch(`${t.config.MASSAR_BASE_URL}/__sandbox/reset`, { method: 'POST' }).catch(() => undefined);
  await t?.stop();
});

let seq = 0;
function child() {
  seq += 1;
  const base = validSubmission(school);
  const birthDate = `2021-03-${String(seq + 10).padStart(2, '0')}`;
  const body = {
    ...base,
    child: { ...base.child, firstNameLatin: `Replay${'abcdefghij'[seq % 10]}` },
    civilStatus: { ...base.civilStatus, birthDate, birthDateHijri: gregorianToHijri(birthDate), birthCertificateDate: birthDate, birthCertificateNumber: `RP-${uniqueSuffix()}` },
    father: { ...base.father, email: `replay-${uniqueSuffix()}@example.ma` },
  };
  for (const v of [body.child.firstNameLatin, body.child.lastNameLatin, body.child.firstNameAr, body.civilStatus.birthCertificateNumber, body.father.cin, body.father.email, body.father.phone, body.father.address]) personal.add(v);
  return body;
}

async function submit(deadlines?: { reminderAfterMs: number; escalateAfterMs: number }) {
  const body = child();
  const r = await submitPreRegistration({ em: t.orm.em.fork(), temporal, deadlines }, body, photo, randomUUID());
  if (!r.ok) throw new Error(`submission refused: ${JSON.stringify(r.errors)}`);
  await untilStatus(r.reference, 'underReview');
  return { reference: r.reference, body };
}

const untilStatus = (reference: string, status: string, timeoutMs = 60_000) =>
  eventually(async () => ((await temporal.status(reference)).status === status ? true : null), timeoutMs);
const director = () => `director-replay-${uniqueSuffix()}`;

/** Waits for the workflow to end, then saves its history; checks no personal value is in clear. */
async function save(name: string, reference: string) {
  await temporal.handle(reference).result().catch(() => undefined);
  const json = historyToFixture(await temporal.rawHistory(reference));
  for (const v of personal) expect(json.includes(v)).toBe(false);
  fs.writeFileSync(path.join(HISTORIES_DIR, `${PREFIX}-${name}.json`), json);
}

test('approve → registered', async () => {
  const { reference } = await submit();
  await sendDecision(temporal, reference, { decision: 'approve', decidedBy: director() });
  await save('approve', reference);
});

test('reject with reasons', async () => {
  const { reference } = await submit();
  await sendDecision(temporal, reference, { decision: 'reject', reasons: ['underAge', 'zoneMismatch'], decidedBy: director() });
  await save('reject', reference);
});

test('correction round trip, then approve', async () => {
  const { reference, body } = await submit();
  await requestCorrection({ em: t.orm.em.fork(), temporal }, reference, 'صورة غير واضحة', director());
  personal.add('Replayz');
  const r = await submitCorrection({ em: t.orm.em.fork(), temporal }, reference, { ...body, child: { ...body.child, firstNameLatin: 'Replayz' } }, undefined);
  expect(r).toEqual({ ok: true, status: 'underReview' });
  await sendDecision(temporal, reference, { decision: 'approve', decidedBy: director() });
  await save('correction', reference);
});

test('parent edit before opening, open, then approve', async () => {
  const { reference, body } = await submit();
  personal.add('Replayy');
  const r = await submitParentEdit({ em: t.orm.em.fork(), temporal }, reference, { ...body, child: { ...body.child, firstNameLatin: 'Replayy' } }, undefined);
  expect(r).toEqual({ ok: true, status: 'underReview' });
  await temporal.open(reference, director());
  await sendDecision(temporal, reference, { decision: 'approve', decidedBy: director() });
  await save('parent-edit', reference);
});

test('withdrawal', async () => {
  const { reference } = await submit();
  await withdrawPreRegistration(temporal, reference);
  await save('withdraw', reference);
});

test('Massar refuses the export, staff retry, registered', async () => {
  const { reference } = await submit();
  const fault = await fetch(`${t.config.MASSAR_BASE_URL}/__sandbox/fail-next`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ count: 1, status: 400, message: 'birthCertificateNumber: unknown civil-status act' }),
  });
  expect(fault.ok).toBe(true);
  await sendDecision(temporal, reference, { decision: 'approve', decidedBy: director() });
  await untilStatus(reference, 'exportFailed');
  await temporal.retryExport(reference, director());
  await save('export-retry', reference);
});

test('deadlines: director reminded, directorate alerted, parent told, then reject', async () => {
  const { reference } = await submit({ reminderAfterMs: 1500, escalateAfterMs: 3000 });
  await eventually(async () => (await temporal.status(reference)).escalated, 30_000);
  await sendDecision(temporal, reference, { decision: 'reject', reasons: ['incompleteFile'], decidedBy: director() });
  await save('deadlines', reference);
});

test('retention run (anonymizeExpired)', async () => {
  const workflowId = `replay-retention-${uniqueSuffix()}`;
  await temporal.client.workflow.execute('anonymizeExpired', { taskQueue: t.config.TEMPORAL_TASK_QUEUE, workflowId });
  fs.writeFileSync(path.join(HISTORIES_DIR, `${PREFIX}-retention.json`), historyToFixture(await temporal.client.workflow.getHandle(workflowId).fetchHistory()));
});
