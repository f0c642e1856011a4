/**
 * createMailer (nodemailer, SMTP) → the project's SMTP sandbox → a row in dev_outbox_message.
 * Real SMTP on a free port, real PostgreSQL from DATABASE_URL; rows are removed after.
 */
import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import { Pool } from 'pg';
import { loadConfig } from '../config';
import { startSmtpSandbox, type SmtpSandbox } from '../sandboxes/messaging/server';
import { createMailer, EmailRejectedError, EmailUnavailableError, type Mailer } from './email';
import { renderNotification } from './templates';

const databaseUrl = process.env.DATABASE_URL ?? loadConfig().DATABASE_URL;
const RUN = crypto.randomBytes(4).toString('hex');
const domain = `run-${RUN}.test.tasjil.ma`;

interface Row {
  channel: string;
  sender: string | null;
  recipient: string;
  subject: string | null;
  body: string;
  html: string | null;
  raw: string | null;
  meta: Record<string, unknown> & { headers: Record<string, string> };
}

let smtp: SmtpSandbox;
let pool: Pool;
let mailer: Mailer;

async function rowsFor(recipient: string): Promise<Row[]> {
  const { rows } = await pool.query<Row>(
    'select channel, sender, recipient, subject, body, html, raw, meta from dev_outbox_message where recipient = $1 order by id',
    [recipient],
  );
  return rows;
}

beforeAll(async () => {
  pool = new Pool({ connectionString: databaseUrl, max: 2 });
  smtp = await startSmtpSandbox({ port: 0, databaseUrl });
  mailer = createMailer(loadConfig({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), MAIL_FROM: 'Tasjil <no-reply@tasjil.men.gov.ma>' }));
});

afterAll(async () => {
  mailer?.close();
  await smtp?.close();
  await pool?.query('delete from dev_outbox_message where recipient like $1', [`%@${domain}`]);
  await pool?.end();
});

test('a rendered Arabic notification arrives as one row with the exact subject, recipient and bodies', async () => {
  const to = `parent-ar@${domain}`;
  const n = renderNotification('received', 'ar', {
    reference: 'P26-7K3QD-M2X9A',
    childFirstName: 'أمينة',
    schoolName: 'مدرسة الأطلس الابتدائية',
    statusUrl: 'http://127.0.0.1:3000/pre-registrations/P26-7K3QD-M2X9A?lang=ar',
    decisionDueOn: '2027-01-15',
  });
  const { messageId } = await mailer.send({
    to,
    subject: n.subject,
    text: n.text,
    html: n.html,
    headers: { 'X-Tasjil-Reference': 'P26-7K3QD-M2X9A', 'X-Tasjil-Event': 'received' },
  });
  expect(messageId).toMatch(/^<[^<>@\s]+@tasjil\.men\.gov\.ma>$/);

  const rows = await rowsFor(to);
  expect(rows).toHaveLength(1);
  const row = rows[0];
  expect(row.channel).toBe('email');
  expect(row.sender).toBe('no-reply@tasjil.men.gov.ma');
  expect(row.recipient).toBe(to);
  expect(row.subject).toBe('تم استلام طلب التسجيل الأولي رقم \u2066P26-7K3QD-M2X9A\u2069');
  expect(row.subject).toBe(n.subject);
  expect(row.body).toBe(n.text);
  expect(row.html).toBe(n.html);
  expect(row.raw).toContain(`Message-ID: ${messageId}`);
  expect(row.meta.messageId).toBe(messageId);
  expect(row.meta.from).toBe('"Tasjil" <no-reply@tasjil.men.gov.ma>');
  expect(row.meta.to).toBe(to);
  expect(row.meta.envelopeFrom).toBe('no-reply@tasjil.men.gov.ma');
  expect(row.meta.envelopeTo).toEqual([to]);
  expect(row.meta.headers).toEqual({
    'auto-submitted': 'auto-generated',
    'x-tasjil-reference': 'P26-7K3QD-M2X9A',
    'x-tasjil-event': 'received',
  });
});

test('a French message keeps its accents', async () => {
  const to = `parent-fr@${domain}`;
  await mailer.send({ to, subject: 'Demande de pré-inscription reçue — n° P26-AAAAA-BBBBB', text: 'Élève : Zoé\n', html: '<p>Élève : Zoé</p>' });
  const [row] = await rowsFor(to);
  expect(row.subject).toBe('Demande de pré-inscription reçue — n° P26-AAAAA-BBBBB');
  expect(row.body).toBe('Élève : Zoé\n');
  expect(row.html).toBe('<p>Élève : Zoé</p>');
});

test('one row per envelope recipient, with authentication accepted', async () => {
  const a = `a@${domain}`;
  const b = `b@${domain}`;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, auth: { user: 'any', pass: 'thing' } });
  try {
    await transport.sendMail({ from: 'x@tasjil.men.gov.ma', to: a, bcc: b, subject: 'Deux destinataires', text: 'corps' });
  } finally {
    transport.close();
  }
  const rows = [...(await rowsFor(a)), ...(await rowsFor(b))];
  expect(rows.map((r) => [r.recipient, r.subject, r.body.trim()])).toEqual([
    [a, 'Deux destinataires', 'corps'],
    [b, 'Deux destinataires', 'corps'],
  ]);
  expect(rows[0].meta.envelopeTo).toEqual([a, b]);
});

test('the SMTP server down is EmailUnavailableError, without the address in the message', async () => {
  const other = await startSmtpSandbox({ port: 0, databaseUrl });
  const port = other.port;
  await other.close();
  const down = createMailer(loadConfig({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port) }));
  const to = `nobody@${domain}`;
  try {
    const err = await down.send({ to, subject: 's', text: 't', html: '<p>t</p>' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmailUnavailableError);
    expect((err as EmailUnavailableError).retryable).toBe(true);
    expect((err as Error).message).toBe('SMTP server unavailable (ESOCKET)');
    expect((err as Error).message).not.toContain(to);
  } finally {
    down.close();
  }
});

test('an invalid recipient address is EmailRejectedError (not retryable), without the address', async () => {
  const err = await mailer.send({ to: 'not an address', subject: 's', text: 't', html: '<p>t</p>' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(EmailRejectedError);
  expect((err as EmailRejectedError).recipientRejected).toBe(true);
  expect((err as Error).message).not.toContain('not an address');
});

test('a recipient refused by the server (550) is EmailRejectedError; nothing is stored', async () => {
  const to = `nobody@${RUN}.invalid`;
  const err = await mailer.send({ to, subject: 's', text: 't', html: '<p>t</p>' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(EmailRejectedError);
  const rejected = err as EmailRejectedError;
  expect(rejected.retryable).toBe(false);
  expect(rejected.recipientRejected).toBe(true);
  expect(rejected.responseCode).toBe(550);
  expect(rejected.message).toBe('SMTP server refused the recipient (SMTP 550, EENVELOPE)');
  expect(await rowsFor(to)).toHaveLength(0);
});

test('a transient 451 is EmailUnavailableError; the retry stores the message once', async () => {
  const to = `retry@${domain}`;
  smtp.failNext(1);
  const err = await mailer.send({ to, subject: 'Retry', text: 't', html: '<p>t</p>' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(EmailUnavailableError);
  expect((err as EmailUnavailableError).responseCode).toBe(451);
  expect((err as Error).message).toBe('SMTP server unavailable (SMTP 451, EMESSAGE)');
  expect(await rowsFor(to)).toHaveLength(0);
  await mailer.send({ to, subject: 'Retry', text: 't', html: '<p>t</p>' });
  expect((await rowsFor(to)).map((r) => r.subject)).toEqual(['Retry']);
});

test('SMTP down then up: the same pooled mailer fails while down and delivers once it is back', async () => {
  const first = await startSmtpSandbox({ port: 0, databaseUrl });
  const port = first.port;
  const pooled = createMailer(loadConfig({ SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port) }));
  const to = `downup@${domain}`;
  try {
    await pooled.send({ to, subject: 'before', text: 't', html: '<p>t</p>' });
    await first.close();
    const err = await pooled.send({ to, subject: 'while down', text: 't', html: '<p>t</p>' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmailUnavailableError);
    const again = await startSmtpSandbox({ port, databaseUrl });
    try {
      await pooled.send({ to, subject: 'after', text: 't', html: '<p>t</p>' });
    } finally {
      await again.close();
    }
    expect((await rowsFor(to)).map((r) => r.subject)).toEqual(['before', 'after']);
  } finally {
    pooled.close();
  }
});
