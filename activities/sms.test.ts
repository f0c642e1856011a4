/**
 * createSmsSender (official twilio client, base URL rewritten) → the Twilio-compatible SMS sandbox
 * → a row in dev_outbox_message. Real HTTP on a free port, real PostgreSQL from DATABASE_URL.
 */
import crypto from 'node:crypto';
import { Pool } from 'pg';
import twilio from 'twilio';
import { loadConfig } from '../config';
import { startSmsSandbox, type SmsSandbox } from '../sandboxes/messaging/server';
import { BaseUrlRequestClient, createSmsSender, rebase, SmsRejectedError, SmsUnavailableError, type SmsSender } from './sms';
import { renderNotification } from './templates';

const databaseUrl = process.env.DATABASE_URL ?? loadConfig().DATABASE_URL;
const accountSid = 'AC' + crypto.randomBytes(16).toString('hex');
const authToken = crypto.randomBytes(16).toString('hex');
const FROM = '+212600000000';
/** A fresh Moroccan mobile number per call, so each test finds its own rows. */
const number = () => `+2126${crypto.randomInt(10_000_000, 99_999_999)}`;

let sandbox: SmsSandbox;
let pool: Pool;
let sender: SmsSender;

function config(overrides: Record<string, string> = {}) {
  return loadConfig({
    TWILIO_ACCOUNT_SID: accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_FROM: FROM,
    TWILIO_API_BASE_URL: sandbox.url,
    ...overrides,
  });
}

async function rowsFor(recipient: string) {
  const { rows } = await pool.query<{ channel: string; sender: string; recipient: string; subject: string | null; body: string; meta: Record<string, unknown> }>(
    'select channel, sender, recipient, subject, body, meta from dev_outbox_message where recipient = $1 order by id',
    [recipient],
  );
  return rows;
}

beforeAll(async () => {
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  sandbox = await startSmsSandbox({ port: 0, databaseUrl, accountSid, authToken });
  sender = createSmsSender(config());
});

afterAll(async () => {
  await sandbox?.close();
  await pool?.query(`delete from dev_outbox_message where channel = 'sms' and meta->>'accountSid' = $1`, [accountSid]);
  await pool?.end();
});

test('an Arabic SMS goes through the twilio client to the sandbox and is stored with its exact body', async () => {
  const to = number();
  const { sms } = renderNotification('registered', 'ar', {
    reference: 'P26-7K3QD-M2X9A',
    childFirstName: 'أمينة',
    schoolName: 'مدرسة الأطلس الابتدائية',
    massarCode: 'G123456789',
    statusUrl: 'http://127.0.0.1:3000/pre-registrations/P26-7K3QD-M2X9A?lang=ar',
    originalsDueBy: '2027-07-15',
  });
  const result = await sender.send({ to, body: sms });
  expect(result.sid).toMatch(/^SM[0-9a-f]{32}$/);
  expect(result.status).toBe('queued');
  expect(result.numSegments).toBe(2);

  const rows = await rowsFor(to);
  expect(rows).toHaveLength(1);
  expect(rows[0].channel).toBe('sms');
  expect(rows[0].sender).toBe(FROM);
  expect(rows[0].recipient).toBe(to);
  expect(rows[0].subject).toBeNull();
  expect(rows[0].body).toBe(sms);
  expect(rows[0].body).toBe(
    'تسجيل: سُجل أمينة في مدرسة الأطلس الابتدائية. احضروا قبل \u206615/07/2027\u2069 بأصل رسم الولادة وبطاقة الولي.',
  );
  expect(rows[0].meta).toMatchObject({ sid: result.sid, accountSid, numSegments: 2, encoding: 'UCS-2', messagingServiceSid: null });
});

test('a Messaging Service SID as TWILIO_FROM is sent as MessagingServiceSid', async () => {
  const to = number();
  const mg = 'MG' + 'a'.repeat(32);
  const viaService = createSmsSender(config({ TWILIO_FROM: mg }));
  const result = await viaService.send({ to, body: 'Tasjil : test' });
  expect(result.status).toBe('accepted');
  expect(result.numSegments).toBe(1);
  const [row] = await rowsFor(to);
  expect(row.sender).toBe(mg);
  expect(row.meta.messagingServiceSid).toBe(mg);
});

test('the same client reads the message back (GET Messages/{sid}.json through the base URL)', async () => {
  const to = number();
  const { sid } = await sender.send({ to, body: 'Bonjour' });
  const client = twilio(accountSid, authToken, { httpClient: new BaseUrlRequestClient(sandbox.url) });
  const message = await client.messages(sid).fetch();
  expect(message.sid).toBe(sid);
  expect(message.to).toBe(to);
  expect(message.from).toBe(FROM);
  expect(message.body).toBe('Bonjour');
  expect(message.status).toBe('delivered');
  expect(message.numSegments).toBe('1');
  expect(message.dateCreated).toBeInstanceOf(Date);
});

test('an invalid number is SmsRejectedError 21211, invalidRecipient, without the number in the message', async () => {
  const err = await sender.send({ to: '0612345678', body: 'x' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SmsRejectedError);
  const rejected = err as SmsRejectedError;
  expect(rejected.status).toBe(400);
  expect(rejected.twilioCode).toBe(21211);
  expect(rejected.invalidRecipient).toBe(true);
  expect(rejected.retryable).toBe(false);
  expect(rejected.message).toBe('Twilio refused the SMS (HTTP 400, Twilio error 21211)');
  expect(await rowsFor('0612345678')).toHaveLength(0);
});

test("Twilio's magic not-a-mobile number is a permanent per-number failure (21614)", async () => {
  const err = await sender.send({ to: '+15005550009', body: 'x' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SmsRejectedError);
  expect((err as SmsRejectedError).twilioCode).toBe(21614);
  expect((err as SmsRejectedError).invalidRecipient).toBe(true);
  expect((err as Error).message).not.toContain('5550009');
});

test('an empty body is SmsRejectedError 21602, not an invalid recipient', async () => {
  const err = await sender.send({ to: number(), body: '' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SmsRejectedError);
  expect((err as SmsRejectedError).twilioCode).toBe(21602);
  expect((err as SmsRejectedError).invalidRecipient).toBe(false);
});

test('Twilio 500 is SmsUnavailableError (retryable); the retry stores the SMS once', async () => {
  const to = number();
  const set = await fetch(`${sandbox.url}/__sandbox/fail-next`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"count":1}' });
  expect(set.status).toBe(200);
  const err = await sender.send({ to, body: 'Tasjil' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SmsUnavailableError);
  expect((err as SmsUnavailableError).status).toBe(500);
  expect((err as SmsUnavailableError).retryable).toBe(true);
  expect((err as Error).message).toBe('Twilio is unavailable (HTTP 500, Twilio error 20500)');
  expect(await rowsFor(to)).toHaveLength(0);
  await sender.send({ to, body: 'Tasjil' });
  expect((await rowsFor(to)).map((r) => r.body)).toEqual(['Tasjil']);
});

test('a wrong auth token is SmsUnavailableError 401 / 20003 (configuration, retried after a fix)', async () => {
  const wrong = createSmsSender(config({ TWILIO_AUTH_TOKEN: 'wrong' }));
  const err = await wrong.send({ to: number(), body: 'x' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SmsUnavailableError);
  expect((err as SmsUnavailableError).status).toBe(401);
  expect((err as SmsUnavailableError).twilioCode).toBe(20003);
});

test('an unreachable endpoint is SmsUnavailableError with the socket error code only', async () => {
  const other = await startSmsSandbox({ port: 0, databaseUrl, accountSid, authToken });
  const url = other.url;
  await other.close();
  const down = createSmsSender(config({ TWILIO_API_BASE_URL: url }));
  const to = number();
  const err = await down.send({ to, body: 'x' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SmsUnavailableError);
  expect((err as Error).message).toBe('Twilio could not be reached (ECONNREFUSED)');
});

test('rebase keeps path and query, replaces scheme, host and port, prepends a base path', () => {
  expect(rebase('https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=5', new URL('http://127.0.0.1:3020'))).toBe(
    'http://127.0.0.1:3020/2010-04-01/Accounts/AC1/Messages.json?PageSize=5',
  );
  expect(rebase('https://api.sydney.au1.twilio.com/2010-04-01/X.json', new URL('http://mock.local:9/twilio/'))).toBe(
    'http://mock.local:9/twilio/2010-04-01/X.json',
  );
});

test('with TWILIO_API_BASE_URL empty the stock client is used (requests would go to api.twilio.com)', () => {
  // Only the construction is checked: this test never reaches the network.
  expect(() => createSmsSender(config({ TWILIO_API_BASE_URL: '' }))).not.toThrow();
  expect(() => new BaseUrlRequestClient('ftp://example.org')).toThrow('TWILIO_API_BASE_URL must be an http or https URL');
});
