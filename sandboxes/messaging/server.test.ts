/**
 * The messaging sandbox's wire protocols spoken to directly: the Twilio Messages API over plain
 * fetch (form-encoded, Basic auth, Twilio error shapes) and SMTP with a raw nodemailer transport.
 * PostgreSQL from DATABASE_URL, existing table dev_outbox_message.
 */
import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import { Pool } from 'pg';
import { loadConfig } from '../../config';
import { rfc2822, startSmsSandbox, startSmtpSandbox, type SmsSandbox, type SmtpSandbox } from './server';

const databaseUrl = process.env.DATABASE_URL ?? loadConfig().DATABASE_URL;
const accountSid = 'AC' + crypto.randomBytes(16).toString('hex');
const authToken = crypto.randomBytes(16).toString('hex');
const basic = 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64');
const RUN = crypto.randomBytes(4).toString('hex');

let sms: SmsSandbox;
let smtp: SmtpSandbox;
let pool: Pool;

function sendForm(fields: Record<string, string>, opts: { auth?: string; account?: string } = {}): Promise<Response> {
  return fetch(`${sms.url}/2010-04-01/Accounts/${opts.account ?? accountSid}/Messages.json`, {
    method: 'POST',
    headers: { Authorization: opts.auth ?? basic, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

beforeAll(async () => {
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  sms = await startSmsSandbox({ port: 0, databaseUrl, accountSid, authToken });
  smtp = await startSmtpSandbox({ port: 0, databaseUrl });
});

afterAll(async () => {
  await sms?.close();
  await smtp?.close();
  await pool?.query(`delete from dev_outbox_message where (channel = 'sms' and meta->>'accountSid' = $1) or recipient like $2`, [
    accountSid,
    `%@run-${RUN}.test`,
  ]);
  await pool?.end();
});

describe('Twilio-compatible SMS endpoint', () => {
  test('201 with a Twilio-shaped message resource, stored with its segment count', async () => {
    const to = `+2127${crypto.randomInt(10_000_000, 99_999_999)}`;
    const before = Date.now();
    const res = await sendForm({ To: to, From: '+212600000000', Body: 'Tasjil : votre demande est enregistrée.' });
    expect(res.status).toBe(201);
    const m = (await res.json()) as Record<string, unknown>;
    expect(m.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(m).toEqual({
      account_sid: accountSid,
      api_version: '2010-04-01',
      body: 'Tasjil : votre demande est enregistrée.',
      date_created: m.date_created,
      date_sent: null,
      date_updated: m.date_created,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: '+212600000000',
      messaging_service_sid: null,
      num_media: '0',
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      sid: m.sid,
      status: 'queued',
      subresource_uris: {
        media: `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}/Media.json`,
        feedback: `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}/Feedback.json`,
      },
      to,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}.json`,
    });
    expect(m.date_created).toMatch(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(Date.parse(m.date_created as string)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);

    const { rows } = await pool.query('select channel, sender, recipient, body, meta from dev_outbox_message where recipient = $1', [to]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ channel: 'sms', sender: '+212600000000', recipient: to, body: 'Tasjil : votre demande est enregistrée.' });
    expect(rows[0].meta).toMatchObject({ sid: m.sid, numSegments: 1, encoding: 'GSM-7', units: 39 });

    const got = await fetch(`${sms.url}${m.uri as string}`, { headers: { Authorization: basic } });
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual({ ...m, status: 'delivered', date_sent: m.date_created });
  });

  test('401 in Twilio shape without or with wrong credentials', async () => {
    const res = await sendForm({ To: '+212612345678', From: '+212600000000', Body: 'x' }, { auth: 'Basic ' + Buffer.from(`${accountSid}:bad`).toString('base64') });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      code: 20003,
      detail: 'Your AccountSid or AuthToken was incorrect.',
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    });
    const none = await fetch(`${sms.url}/2010-04-01/Accounts/${accountSid}/Messages.json`, { method: 'POST' });
    expect(none.status).toBe(401);
  });

  test('another account in the path is 404 20404', async () => {
    const res = await sendForm({ To: '+212612345678', From: '+212600000000', Body: 'x' }, { account: 'AC' + '0'.repeat(32) });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: number }).code).toBe(20404);
  });

  test.each([
    ['To missing', 21604, { From: '+212600000000', Body: 'x' }, "A 'To' phone number is required."],
    ['To not E.164', 21211, { To: '0612345678', From: '+212600000000', Body: 'x' }, "The 'To' number 0612345678 is not a valid phone number."],
    ['From missing', 21603, { To: '+212612345678', Body: 'x' }, "A 'From' phone number is required."],
    ['From invalid', 21212, { To: '+212612345678', From: 'not valid!', Body: 'x' }, "The 'From' number not valid! is not a valid phone number, shortcode, or alphanumeric sender ID."],
    ['Body missing', 21602, { To: '+212612345678', From: '+212600000000' }, 'Message body is required.'],
    ['Body too long', 21617, { To: '+212612345678', From: '+212600000000', Body: 'x'.repeat(1601) }, 'The concatenated message body exceeds the 1600 character limit.'],
  ])('validation error: %s → %i', async (_label, code, fields, message) => {
    const res = await sendForm(fields as Record<string, string>);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status: 400 });
  });

  test('an alphanumeric sender ID is accepted as From', async () => {
    const res = await sendForm({ To: '+212612345670', From: 'TASJIL', Body: 'x' });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { from: string }).from).toBe('TASJIL');
  });

  test('an unknown message SID is 404', async () => {
    const res = await fetch(`${sms.url}/2010-04-01/Accounts/${accountSid}/Messages/SM${'0'.repeat(32)}.json`, { headers: { Authorization: basic } });
    expect(res.status).toBe(404);
  });

  test('GET /health', async () => {
    const res = await fetch(`${sms.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('rfc2822 writes dates the way Twilio does', () => {
    expect(rfc2822(new Date('2026-04-02T08:05:09Z'))).toBe('Thu, 02 Apr 2026 08:05:09 +0000');
  });
});

describe('SMTP sandbox', () => {
  test('stores subject, text, html, raw source and useful headers; one row per recipient', async () => {
    const to = `one@run-${RUN}.test`;
    const cc = `two@run-${RUN}.test`;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false });
    try {
      const info = await transport.sendMail({
        from: '"Tasjil" <no-reply@tasjil.men.gov.ma>',
        to,
        cc,
        subject: 'تم استلام الطلب',
        text: 'نص الرسالة\n',
        html: '<p dir="rtl">نص الرسالة</p>',
        headers: { 'X-Tasjil-Event': 'received', 'Content-Language': 'ar' },
        attachments: [{ filename: 'note.txt', content: 'hello' }],
      });
      const { rows } = await pool.query(
        'select sender, recipient, subject, body, html, raw, meta from dev_outbox_message where recipient in ($1, $2) order by recipient',
        [to, cc],
      );
      expect(rows.map((r: { recipient: string }) => r.recipient)).toEqual([to, cc]);
      for (const r of rows) {
        expect(r.sender).toBe('no-reply@tasjil.men.gov.ma');
        expect(r.subject).toBe('تم استلام الطلب');
        expect(r.body).toBe('نص الرسالة\n');
        expect(r.html).toBe('<p dir="rtl">نص الرسالة</p>');
        expect(r.raw).toContain(`Message-ID: ${info.messageId}`);
        expect(r.meta).toMatchObject({
          messageId: info.messageId,
          from: '"Tasjil" <no-reply@tasjil.men.gov.ma>',
          to,
          cc,
          envelopeFrom: 'no-reply@tasjil.men.gov.ma',
          envelopeTo: [to, cc],
          headers: { 'x-tasjil-event': 'received', 'content-language': 'ar' },
          attachments: [{ filename: 'note.txt', contentType: 'text/plain', size: 5 }],
        });
      }
    } finally {
      transport.close();
    }
  });
});
