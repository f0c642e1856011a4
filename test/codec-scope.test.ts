/**
 * The Temporal Web UI's codec endpoint decodes only the payloads of requests in the signed-in
 * supervisor's scope (issue 11, item 11). The payloads are the real ones Temporal stored for two
 * requests (the workflow inputs, encrypted by the client), one in Rabat and one in
 * Casablanca-Anfa, sent as the UI sends them (remote codec protocol, X-Namespace, cookies).
 */
import { randomInt } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { gregorianToHijri } from '../domain/hijri';
import { codecFromConfig } from '../temporal/codec';
import { eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser } from './support/http';
import { signInStaff } from './support/staff';

let t: TestApp;
let rabat: { reference: string; payload: JsonPayload };
let casablanca: { reference: string; payload: JsonPayload };

interface JsonPayload { metadata: Record<string, string>; data: string }
const sql = <T extends Array<Record<string, unknown>>>(q: string, p: unknown[] = []) => t.orm.em.fork().getConnection().execute<T>(q, p);

/** Submits a request to `schoolCode`; returns its reference and the encrypted input payload Temporal stored. */
async function submitted(schoolCode: string): Promise<{ reference: string; payload: JsonPayload }> {
  const [place] = await sql<Array<{ zone: string; commune: string }>>(
    'select z.code as zone, z.commune_code as commune from school_zone sz join residence_zone z on z.code = sz.residence_zone_code where sz.school_code = ? order by z.code limit 1', [schoolCode]);
  const base = validSubmission({ schoolCode, zoneCode: place.zone, communeCode: place.commune });
  const birthDate = '2021-02-11';
  const body = {
    ...base,
    civilStatus: { ...base.civilStatus, birthDate, birthDateHijri: gregorianToHijri(birthDate), birthCertificateNumber: `${randomInt(1, 99999)}/2021`, birthCertificateDate: birthDate },
    father: { ...base.father, cin: `K${randomInt(100000, 999999)}` },
    photo: { data: (await testPhoto()).toString('base64') },
  };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  const { reference } = await res.json() as { reference: string };
  // The workflow is started right after the answer (the intake starter): wait for its history.
  const history = await eventually(() => t.temporal.rawHistory(reference), 30000);
  const [p] = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads!;
  return {
    reference,
    payload: {
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString('base64')])),
      data: Buffer.from(p.data as Uint8Array).toString('base64'),
    },
  };
}

beforeAll(async () => {
  t = await startTestApp({ withWorker: false });
  rabat = await submitted('04421A01');
  casablanca = await submitted('061410100A01');
});
afterAll(async () => {
  // The Casablanca-Anfa directorate's figures belong to test/dashboard.test.ts (exact counts): this
  // suite's request there goes, with its workflow, whichever suite runs first.
  if (t && casablanca) {
    await t.temporal.handle(casablanca.reference).terminate('test clean-up').catch(() => undefined);
    const conn = t.orm.em.fork().getConnection();
    for (const table of ['pre_registration_event', 'notification', 'pre_registration_revision']) {
      await conn.execute(`delete from ${table} where pre_registration_id in (select id from pre_registration where reference = ?)`, [casablanca.reference]);
    }
    await conn.execute('delete from pre_registration where reference = ?', [casablanca.reference]);
    const [left] = await conn.execute<Array<{ n: number }>>('select count(*)::int as n from pre_registration where reference = ?', [casablanca.reference]);
    expect(left.n).toBe(0);
  }
  await t?.stop();
});

const sessions = new Map<string, Browser>();
async function as(username: string): Promise<Browser> {
  if (sessions.has(username)) return sessions.get(username)!;
  const b = new Browser(t.baseUrl);
  expect((await signInStaff(b, username, 'Tasjil-Demo-2027')).status).toBe(303);
  sessions.set(username, b);
  return b;
}
/** POST /codec/decode as the Temporal UI does it (JSON, X-Namespace, the UI's Origin, the user's cookies). */
async function decode(b: Browser | null, payloads: JsonPayload[], namespace = t.config.TEMPORAL_NAMESPACE): Promise<{ status: number; payloads: JsonPayload[] }> {
  const init = { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': namespace, Origin: new URL(t.config.TEMPORAL_UI_URL).origin }, body: JSON.stringify({ payloads }) };
  const res = b ? await b.request('/codec/decode', init) : await fetch(`${t.baseUrl}/codec/decode`, init);
  const json = res.status === 200 ? await res.json() as { payloads: JsonPayload[] } : { payloads: [] };
  return { status: res.status, payloads: json.payloads };
}
/** The decoded JSON of a payload, or 'encrypted' when it came back as sent. */
const read = (p: JsonPayload) => (Buffer.from(p.metadata.encoding, 'base64').toString() === 'binary/encrypted' ? 'encrypted' : JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')));

test("a supervisor of Rabat decodes Rabat's request and not Casablanca's (left encrypted, byte for byte)", async () => {
  const res = await decode(await as('supervisor.04.421'), [rabat.payload, casablanca.payload]);
  expect(res.status).toBe(200);
  expect(read(res.payloads[0])).toMatchObject({ reference: rabat.reference, schoolCode: '04421A01' });
  expect(res.payloads[1]).toEqual(casablanca.payload);
  const audit = await sql<Array<{ details: Record<string, unknown> }>>(
    "select a.details from audit_log a join staff_user u on u.id::text = a.actor_id where u.username = 'supervisor.04.421' and a.action = 'codec.decode' order by a.id desc limit 1");
  expect(audit[0].details).toEqual({ payloads: 2, decoded: 1, withheld: 1 });
});

test("Casablanca's supervisors (directorate and academy) decode Casablanca's, not Rabat's; the administrator decodes both", async () => {
  for (const username of ['supervisor.06.141.01.00', 'academy.06']) {
    const res = await decode(await as(username), [rabat.payload, casablanca.payload]);
    expect([res.status, read(res.payloads[0])]).toEqual([200, 'encrypted']);
    expect(read(res.payloads[1])).toMatchObject({ reference: casablanca.reference, schoolCode: '061410100A01' });
  }
  const admin = await decode(await as('admin'), [rabat.payload, casablanca.payload]);
  expect(admin.payloads.map((p) => read(p).reference)).toEqual([rabat.reference, casablanca.reference]);
});

test('a payload naming no request, or naming one out of scope beside one in scope, stays encrypted; another namespace gets nothing decoded', async () => {
  const codec = codecFromConfig(t.config);
  const toJson = (p: { metadata?: Record<string, Uint8Array | null> | null; data?: Uint8Array | null }): JsonPayload => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  });
  const [anonymous, both] = (await codec.encode([
    defaultPayloadConverter.toPayload({ note: 'aucune référence' }),
    defaultPayloadConverter.toPayload({ references: [rabat.reference, casablanca.reference] }),
  ])).map(toJson);
  const sup = await decode(await as('supervisor.04.421'), [anonymous, both, rabat.payload]);
  expect(sup.payloads.map(read)).toEqual(['encrypted', 'encrypted', expect.objectContaining({ reference: rabat.reference })]);
  expect((await decode(await as('admin'), [anonymous])).payloads.map(read)).toEqual([{ note: 'aucune référence' }]);
  const elsewhere = await decode(await as('supervisor.04.421'), [rabat.payload], 'another-namespace');
  expect(elsewhere.payloads).toEqual([rabat.payload]);
});

test('not signed in: 401; a director: 403; CORS answers the Temporal UI origin only, with credentials', async () => {
  expect((await decode(null, [rabat.payload])).status).toBe(401);
  expect((await decode(await as('director.04421A01'), [rabat.payload])).status).toBe(403);
  const ui = new URL(t.config.TEMPORAL_UI_URL).origin;
  const pre = await fetch(`${t.baseUrl}/codec/decode`, { method: 'OPTIONS', headers: { Origin: ui, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
  expect(pre.status).toBe(204);
  expect([pre.headers.get('access-control-allow-origin'), pre.headers.get('access-control-allow-credentials'), pre.headers.get('access-control-allow-headers')])
    .toEqual([ui, 'true', 'Content-Type, X-Namespace, Authorization']);
  const foreign = await fetch(`${t.baseUrl}/codec/decode`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
  expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
});
