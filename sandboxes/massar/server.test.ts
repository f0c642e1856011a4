/**
 * The sandbox Massar's HTTP surface, spoken to with plain fetch (the client's view is in
 * activities/massar.test.ts). PostgreSQL from DATABASE_URL, existing table massar_sandbox_student.
 */
import crypto from 'node:crypto';
import { Pool } from 'pg';
import { loadConfig } from '../../config';
import type { MassarStudentPayload } from '../../activities/massar';
import { generateMassarCode, startMassarSandbox, type MassarSandbox } from './server';

const databaseUrl = process.env.DATABASE_URL ?? loadConfig().DATABASE_URL;
const RUN = crypto.randomBytes(4).toString('hex').toUpperCase();
const KEY_PREFIX = `TEST-MS-${RUN}-`;
const clientId = 'sandbox-test';
const clientSecret = crypto.randomBytes(8).toString('hex');
const auth = 'Basic ' + Buffer.from(`${clientId}:${clientSecret}`).toString('base64');

let sandbox: MassarSandbox;
let pool: Pool;

function payload(reference: string): MassarStudentPayload {
  return {
    reference,
    schoolCode: '04101A0012',
    schoolYear: '2026-2027',
    level: 'preschool',
    child: { firstNameAr: 'يوسف', lastNameAr: 'بناني', firstNameLatin: 'Youssef', lastNameLatin: 'Bennani' },
    birthDate: '2022-01-03',
    birthDateHijri: '1443-05-30',
    birthPlace: 'فاس',
    birthCertificateNumber: '77/2022',
    birthCertificateDate: '2022-01-10',
    fatherLineage: 'كريم بن عمر بناني',
    motherLineage: 'سعاد بنت حسن التازي',
    guardianRole: 'mother',
    guardian: {
      firstNameAr: 'سعاد',
      lastNameAr: 'التازي',
      firstNameLatin: 'Souad',
      lastNameLatin: 'Tazi',
      cin: 'C987654',
      phone: '',
      email: '',
      address: '',
      profession: '',
    },
    residenceZoneCode: 'FES-01',
    communeCode: '231.01.05',
  };
}

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sandbox.url}/api/v1/students`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: auth, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

beforeAll(async () => {
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  sandbox = await startMassarSandbox({ port: 0, databaseUrl, clientId, clientSecret, failNext: { count: 1, status: 500 } });
});

afterAll(async () => {
  await sandbox?.close();
  await pool?.query('delete from massar_sandbox_student where idempotency_key like $1', [`${KEY_PREFIX}%`]);
  await pool?.end();
});

test('a fault given at start applies to the first student post only', async () => {
  const key = `${KEY_PREFIX}start`;
  const first = await post(payload(key), { 'Idempotency-Key': key });
  expect(first.status).toBe(500);
  expect(await first.json()).toEqual({ error: 'sandbox_fault', message: 'Injected fault: HTTP 500' });
  const second = await post(payload(key), { 'Idempotency-Key': key });
  expect(second.status).toBe(201);
});

test('GET /health answers ok', async () => {
  const res = await fetch(`${sandbox.url}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
});

test('listens on 127.0.0.1 by default', () => {
  expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

test('201 then 200 with the same code and createdAt; GET returns the record', async () => {
  const key = `${KEY_PREFIX}ok`;
  const a = await post(payload(key), { 'Idempotency-Key': key });
  expect(a.status).toBe(201);
  const created = (await a.json()) as { massarCode: string; createdAt: string };
  expect(Object.keys(created).sort()).toEqual(['createdAt', 'massarCode']);
  expect(created.massarCode).toMatch(/^[A-Z][0-9]{9}$/);

  const b = await post(payload(key), { 'Idempotency-Key': key });
  expect(b.status).toBe(200);
  expect(await b.json()).toEqual(created);

  const got = await fetch(`${sandbox.url}/api/v1/students/${created.massarCode}`, { headers: { Authorization: auth } });
  expect(got.status).toBe(200);
  expect(await got.json()).toEqual({ massarCode: created.massarCode, idempotencyKey: key, payload: payload(key), createdAt: created.createdAt });

  const anonymous = await fetch(`${sandbox.url}/api/v1/students/${created.massarCode}`);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="massar-sandbox", charset="UTF-8"');
});

test('the payload compares as JSON: key order does not make a conflict', async () => {
  const key = `${KEY_PREFIX}order`;
  const p = payload(key);
  expect((await post(p, { 'Idempotency-Key': key })).status).toBe(201);
  const reordered = Object.fromEntries(Object.entries(p).reverse());
  expect((await post(reordered, { 'Idempotency-Key': key })).status).toBe(200);
});

test('400 without Idempotency-Key, with a malformed key, with a key other than the reference', async () => {
  const key = `${KEY_PREFIX}k`;
  const missing = await post(payload(key));
  expect(missing.status).toBe(400);
  expect(await missing.json()).toEqual({ error: 'missing_idempotency_key', message: 'Header Idempotency-Key is required' });

  const malformed = await post(payload(key), { 'Idempotency-Key': 'has spaces in it' });
  expect(malformed.status).toBe(400);
  expect(((await malformed.json()) as { error: string }).error).toBe('invalid_idempotency_key');

  const mismatch = await post(payload(key), { 'Idempotency-Key': `${key}-other` });
  expect(mismatch.status).toBe(400);
  expect(await mismatch.json()).toEqual({ error: 'reference_mismatch', message: 'Idempotency-Key must equal the payload reference' });
});

test('400 for a body that is not JSON, for unknown fields and for missing fields', async () => {
  const key = `${KEY_PREFIX}bad`;
  const notJson = await post('{"reference":', { 'Idempotency-Key': key });
  expect(notJson.status).toBe(400);
  expect(await notJson.json()).toEqual({ error: 'invalid_json', message: 'Body must be valid JSON' });

  const extra = await post({ ...payload(key), nickname: 'x' }, { 'Idempotency-Key': key });
  expect(extra.status).toBe(400);
  const extraBody = (await extra.json()) as { details: { path: string; message: string }[] };
  expect(extraBody.details).toHaveLength(1);
  expect(extraBody.details[0].path).toBe('(body)');

  const { child: _child, ...withoutChild } = payload(key);
  const missing = await post(withoutChild, { 'Idempotency-Key': key });
  expect(missing.status).toBe(400);
  const missingBody = (await missing.json()) as { error: string; details: { path: string }[] };
  expect(missingBody.error).toBe('invalid_payload');
  expect(missingBody.details.map((d) => d.path)).toEqual(['child']);
});

test('401 with a wrong secret, before any validation', async () => {
  const res = await post({}, { Authorization: 'Basic ' + Buffer.from(`${clientId}:nope`).toString('base64') });
  expect(res.status).toBe(401);
  expect(await res.json()).toEqual({ error: 'unauthorized', message: 'Missing or invalid client credentials' });
});

test('fail-next counts down, then the service answers again; reset and state', async () => {
  const set = await fetch(`${sandbox.url}/__sandbox/fail-next`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ count: 2 }),
  });
  expect(set.status).toBe(200);
  const key = `${KEY_PREFIX}fault`;
  const r1 = await post(payload(key), { 'Idempotency-Key': key });
  expect(r1.status).toBe(503);
  expect(r1.headers.get('retry-after')).toBe('1');
  expect((await post(payload(key), { 'Idempotency-Key': key })).status).toBe(503);
  expect((await post(payload(key), { 'Idempotency-Key': key })).status).toBe(201);

  await fetch(`${sandbox.url}/__sandbox/fail-next`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"count":5}' });
  const state = await fetch(`${sandbox.url}/__sandbox/state`);
  expect(((await state.json()) as { fault: { count: number } }).fault.count).toBe(5);
  await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
  expect((await post(payload(key), { 'Idempotency-Key': key })).status).toBe(200);

  const invalid = await fetch(`${sandbox.url}/__sandbox/fail-next`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ count: -1 }),
  });
  expect(invalid.status).toBe(400);
});

test('unknown routes and unknown codes answer 404', async () => {
  expect((await fetch(`${sandbox.url}/nope`)).status).toBe(404);
  expect((await fetch(`${sandbox.url}/api/v1/students/not-a-code`, { headers: { Authorization: auth } })).status).toBe(404);
});

test('generateMassarCode draws one capital letter and nine digits', () => {
  const codes = Array.from({ length: 2000 }, generateMassarCode);
  for (const c of codes) expect(c).toMatch(/^[A-Z][0-9]{9}$/);
  expect(new Set(codes.map((c) => c[0])).size).toBeGreaterThan(20);
  expect(new Set(codes).size).toBe(codes.length);
});
