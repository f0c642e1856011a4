/**
 * MassarClient against a real sandbox Massar (HTTP on a free port, PostgreSQL from DATABASE_URL,
 * table massar_sandbox_student from the migrations). Keys are unique per run; rows are removed after.
 */
import crypto from 'node:crypto';
import { Pool } from 'pg';
import { loadConfig } from '../config';
import { startMassarSandbox, type MassarSandbox } from '../sandboxes/massar/server';
import {
  MassarClient,
  MassarRejectedError,
  MassarUnavailableError,
  type MassarStudentPayload,
} from './massar';

const databaseUrl = process.env.DATABASE_URL ?? loadConfig().DATABASE_URL;
const RUN = crypto.randomBytes(4).toString('hex').toUpperCase();
const KEY_PREFIX = `TEST-MC-${RUN}-`;
let seq = 0;
const newKey = () => `${KEY_PREFIX}${++seq}`;

function payload(reference: string, overrides: Partial<MassarStudentPayload> = {}): MassarStudentPayload {
  return {
    reference,
    schoolCode: '04101A0012',
    schoolYear: '2026-2027',
    level: 'primary1',
    child: { firstNameAr: 'أمينة', lastNameAr: 'العلوي', firstNameLatin: 'Amina', lastNameLatin: 'El Alaoui' },
    birthDate: '2020-05-14',
    birthDateHijri: '1441-09-21',
    birthPlace: 'الرباط',
    birthCertificateNumber: '1234/2020',
    birthCertificateDate: '2020-05-20',
    fatherLineage: 'محمد بن أحمد العلوي',
    motherLineage: 'فاطمة بنت علي الإدريسي',
    guardianRole: 'father',
    guardian: {
      firstNameAr: 'محمد',
      lastNameAr: 'العلوي',
      firstNameLatin: 'Mohammed',
      lastNameLatin: 'El Alaoui',
      cin: 'AB123456',
      phone: '+212612345678',
      email: 'parent@example.ma',
      address: '12 زنقة الأطلس، حي أكدال، الرباط',
      profession: 'أستاذ',
    },
    residenceZoneCode: 'RBT-AGDAL-01',
    communeCode: '441.01.01',
    ...overrides,
  };
}

let sandbox: MassarSandbox;
let client: MassarClient;
let pool: Pool;
const clientId = `tasjil-test-${RUN}`;
const clientSecret = crypto.randomBytes(12).toString('hex');

async function postFault(body: Record<string, unknown>, path = '/__sandbox/fail-next'): Promise<void> {
  const res = await fetch(sandbox.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

async function rowCount(key: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('select count(*) as n from massar_sandbox_student where idempotency_key = $1', [key]);
  return Number(rows[0].n);
}

beforeAll(async () => {
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  sandbox = await startMassarSandbox({ port: 0, databaseUrl, clientId, clientSecret });
  client = new MassarClient({ baseUrl: sandbox.url + '/', clientId, clientSecret, timeoutMs: 5000 });
});

afterEach(async () => {
  await fetch(sandbox.url + '/__sandbox/reset', { method: 'POST' });
});

afterAll(async () => {
  await sandbox?.close();
  await pool?.query('delete from massar_sandbox_student where idempotency_key like $1', [`${KEY_PREFIX}%`]);
  await pool?.end();
});

describe('MassarClient.exportStudent against the sandbox Massar', () => {
  test('first export creates a code (201), the repeat returns the same code (200)', async () => {
    const key = newKey();
    const first = await client.exportStudent(payload(key), key);
    expect(first.created).toBe(true);
    expect(first.massarCode).toMatch(/^[A-Z][0-9]{9}$/);

    const again = await client.exportStudent(payload(key), key);
    expect(again).toEqual({ massarCode: first.massarCode, created: false });
    expect(await rowCount(key)).toBe(1);

    const { rows } = await pool.query<{ massar_code: string; payload: MassarStudentPayload }>(
      'select massar_code, payload from massar_sandbox_student where idempotency_key = $1',
      [key],
    );
    expect(rows[0].massar_code).toBe(first.massarCode);
    expect(rows[0].payload).toEqual(payload(key));
  });

  test('the same key exported concurrently yields one student and one code', async () => {
    const key = newKey();
    const results = await Promise.all(Array.from({ length: 6 }, () => client.exportStudent(payload(key), key)));
    expect(new Set(results.map((r) => r.massarCode)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await rowCount(key)).toBe(1);
  });

  test('different keys get different codes', async () => {
    const a = newKey();
    const b = newKey();
    const [ra, rb] = await Promise.all([client.exportStudent(payload(a), a), client.exportStudent(payload(b), b)]);
    expect(ra.massarCode).not.toBe(rb.massarCode);
  });

  test('the same key with a different payload is refused with 409 (MassarRejectedError, not retryable)', async () => {
    const key = newKey();
    const first = await client.exportStudent(payload(key), key);
    const changed = payload(key, { birthPlace: 'سلا' });
    const err = await client.exportStudent(changed, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MassarRejectedError);
    const rejected = err as MassarRejectedError;
    expect(rejected.name).toBe('MassarRejectedError');
    expect(rejected.status).toBe(409);
    expect(rejected.code).toBe('idempotency_conflict');
    expect(rejected.retryable).toBe(false);
    expect(rejected.message).toBe('Massar refused the request (HTTP 409): This Idempotency-Key was already used with a different payload');
    // The first export is untouched.
    expect(await client.exportStudent(payload(key), key)).toEqual({ massarCode: first.massarCode, created: false });
  });

  test('wrong credentials are refused with 401 (MassarRejectedError) and store nothing', async () => {
    const key = newKey();
    const wrong = new MassarClient({ baseUrl: sandbox.url, clientId, clientSecret: 'not-the-secret' });
    const err = await wrong.exportStudent(payload(key), key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MassarRejectedError);
    expect((err as MassarRejectedError).status).toBe(401);
    expect((err as MassarRejectedError).message).toBe('Massar refused the request (HTTP 401): Missing or invalid client credentials');
    expect(await rowCount(key)).toBe(0);
  });

  test('an invalid payload is refused with 400 and per-field details naming no values', async () => {
    const key = newKey();
    const bad = payload(key, { birthDate: '14/05/2020', guardian: { ...payload(key).guardian, cin: 'ab-12' } });
    const err = await client.exportStudent(bad, key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MassarRejectedError);
    const rejected = err as MassarRejectedError;
    expect(rejected.status).toBe(400);
    expect(rejected.code).toBe('invalid_payload');
    expect(rejected.details).toEqual([
      { path: 'birthDate', message: 'must be a date YYYY-MM-DD' },
      { path: 'guardian.cin', message: 'must be one or two capital letters then digits' },
    ]);
    expect(JSON.stringify(rejected.details)).not.toContain('ab-12');
    expect(await rowCount(key)).toBe(0);
  });

  test('503 from Massar is MassarUnavailableError (retryable); the retry creates the student once', async () => {
    const key = newKey();
    await postFault({ count: 2, status: 503 });
    for (let i = 0; i < 2; i += 1) {
      const err = await client.exportStudent(payload(key), key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MassarUnavailableError);
      expect((err as MassarUnavailableError).name).toBe('MassarUnavailableError');
      expect((err as MassarUnavailableError).status).toBe(503);
      expect((err as MassarUnavailableError).retryable).toBe(true);
      expect((err as Error).message).toBe('Massar is unavailable (HTTP 503): Injected fault: HTTP 503');
    }
    expect(await rowCount(key)).toBe(0);
    const ok = await client.exportStudent(payload(key), key);
    expect(ok.created).toBe(true);
    expect(await rowCount(key)).toBe(1);
  });

  test('429 is retryable, another 4xx is not', async () => {
    const key = newKey();
    await postFault({ count: 1, status: 429 });
    const tooMany = await client.exportStudent(payload(key), key).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(MassarUnavailableError);
    expect((tooMany as MassarUnavailableError).status).toBe(429);

    await postFault({ count: 1, status: 422, message: 'Child already registered elsewhere' });
    const refused = await client.exportStudent(payload(key), key).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MassarRejectedError);
    expect((refused as MassarRejectedError).status).toBe(422);
    expect((refused as Error).message).toBe('Massar refused the request (HTTP 422): Child already registered elsewhere');
  });

  test('a timeout is MassarUnavailableError; the slow request still lands and the retry gets its code', async () => {
    const key = newKey();
    const impatient = new MassarClient({ baseUrl: sandbox.url, clientId, clientSecret, timeoutMs: 150 });
    await postFault({ count: 1, delayMs: 600 }, '/__sandbox/delay-next');
    const err = await impatient.exportStudent(payload(key), key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MassarUnavailableError);
    expect((err as MassarUnavailableError).status).toBeUndefined();
    expect((err as Error).message).toBe('Massar did not answer within 150 ms');
    // The server finishes the slow request: wait until the student exists, then the retry sees it.
    for (let i = 0; i < 50 && (await rowCount(key)) === 0; i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(await rowCount(key)).toBe(1);
    const retry = await client.exportStudent(payload(key), key);
    expect(retry.created).toBe(false);
  });

  test('an unreachable Massar is MassarUnavailableError', async () => {
    const other = await startMassarSandbox({ port: 0, databaseUrl, clientId, clientSecret });
    const url = other.url;
    await other.close();
    const down = new MassarClient({ baseUrl: url, clientId, clientSecret, timeoutMs: 2000 });
    const key = newKey();
    const err = await down.exportStudent(payload(key), key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MassarUnavailableError);
    expect((err as Error).message).toBe('Massar could not be reached (ECONNREFUSED)');
  });

  test('an answer without a valid code is MassarUnavailableError', async () => {
    const fakeFetch: typeof fetch = async () =>
      new Response(JSON.stringify({ massarCode: 'g12345678', createdAt: new Date().toISOString() }), {
        status: 201,
        headers: { 'Content-Type': 'application/json' },
      });
    const odd = new MassarClient({ baseUrl: 'http://127.0.0.1:1', clientId, clientSecret, fetch: fakeFetch });
    const err = await odd.exportStudent(payload('X'), 'X').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MassarUnavailableError);
    expect((err as Error).message).toBe('Massar answered without a valid student code (expected one capital letter and nine digits)');
  });

  test('getStudent returns the stored record, null for an unknown code', async () => {
    const key = newKey();
    const { massarCode } = await client.exportStudent(payload(key), key);
    const record = await client.getStudent(massarCode);
    expect(record).not.toBeNull();
    expect(record!.massarCode).toBe(massarCode);
    expect(record!.idempotencyKey).toBe(key);
    expect(record!.payload).toEqual(payload(key));
    expect(Number.isNaN(Date.parse(record!.createdAt))).toBe(false);

    const { rows } = await pool.query<{ massar_code: string }>('select massar_code from massar_sandbox_student');
    const taken = new Set(rows.map((r) => r.massar_code));
    let unknown = 'Z000000000';
    while (taken.has(unknown)) unknown = `Z${crypto.randomInt(1e9).toString().padStart(9, '0')}`;
    expect(await client.getStudent(unknown)).toBeNull();
  });
});
