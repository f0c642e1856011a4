/**
 * notifyParent against the real SMTP and SMS sandboxes and PostgreSQL, called directly (no
 * workflow): exactly once per (request, event, occurrence, channel), the pending row written
 * before sending, permanent failures recorded per channel while the other channel still goes out,
 * transient failures thrown for Temporal to retry, and what staff see (notificationsFor).
 */
import { randomInt, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { createNotificationActivities } from '../activities/notifications';
import { createMailer, EmailUnavailableError, type Mailer } from '../activities/email';
import { createSmsSender } from '../activities/sms';
import { renderNotification, smsSegments } from '../activities/templates';
import { Notification, PreRegistration, PreRegistrationEvent } from '../entities';
import type { TasjilTemporal } from '../temporal/client';
import { submitPreRegistration } from '../web/services/preRegistrations';
import { notificationsFor } from '../web/services/notifications';
import { helpers } from '../web/views/helpers';
import { demoSchool, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;
let mailer: Mailer;

beforeAll(async () => {
  t = await startTestApp({ web: false, withWorker: false });
  photo = await testPhoto();
  school = await demoSchool(t);
  mailer = createMailer(t.config);
});
afterAll(async () => {
  mailer?.close();
  await t?.stop();
});

interface OutboxRow { channel: string; recipient: string; subject: string | null; body: string }
const outbox = (recipient: string) => t.orm.em.fork().getConnection().execute<OutboxRow[]>(
  'select channel, recipient, subject, body from dev_outbox_message where recipient = ? order by id', [recipient],
);

/** Stores a request without starting its workflow (the activity is called directly). */
async function storeRequest(opts: { email?: string; language?: 'ar' | 'fr' } = {}) {
  const phone = `0612${String(randomInt(100_000, 999_999))}`;
  const email = opts.email ?? `notif-${randomUUID().slice(0, 8)}@example.ma`;
  const base = validSubmission(school);
  const body = {
    ...base,
    language: opts.language ?? 'ar',
    civilStatus: { ...base.civilStatus, birthCertificateNumber: `NT-${randomUUID().slice(0, 12)}` },
    father: { ...base.father, phone, email },
  };
  const noStart = { ...t.temporal, start: async () => ({ workflowId: 'none', started: false }) } as TasjilTemporal;
  const r = await submitPreRegistration({ em: t.orm.em.fork(), temporal: noStart }, body, photo, randomUUID());
  if (!r.ok) throw new Error(`submission refused: ${JSON.stringify(r.errors)}`);
  return { reference: r.reference, email, phone: `+212${phone.slice(1)}` };
}

const activity = (m: Mailer = mailer) =>
  createNotificationActivities({ orm: t.orm, config: t.config, mailer: m, sms: createSmsSender(t.config) }).notifyParent;

const rowsOf = async (reference: string) => {
  const em = t.orm.em.fork();
  const pr = await em.findOneOrFail(PreRegistration, { reference });
  // The channels are sent in parallel: rows in (event, occurrence, channel) order, not insertion order.
  return { pr, rows: await em.find(Notification, { preRegistration: pr }, { orderBy: { event: 'asc', occurrence: 'asc', channel: 'asc' } }) };
};

test('sends email and SMS once; a retried activity sends nothing again; ids and segments stored', async () => {
  const { reference, email, phone } = await storeRequest();
  const notify = activity();
  await expect(notify(reference, 'received', 0)).resolves.toEqual({ email: 'sent', sms: 'sent' });
  await expect(notify(reference, 'received', 0)).resolves.toEqual({ email: 'sent', sms: 'sent' });
  expect(await outbox(email)).toHaveLength(1);
  const sms = await outbox(phone);
  expect(sms).toHaveLength(1);

  const { pr, rows } = await rowsOf(reference);
  expect(rows.map((r) => [r.event, r.occurrence, r.channel, r.status, r.attempts])).toEqual([
    ['received', 0, 'email', 'sent', 1],
    ['received', 0, 'sms', 'sent', 1],
  ]);
  expect(rows[0].idempotencyKey).toBe(`${pr.id}:received:0:email`);
  expect(rows[0].recipient).toBe(email);
  expect(rows[0].providerMessageId).toMatch(/^<.+@.+>$/);
  expect(rows[1].providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
  expect(rows[1].segments).toBe(smsSegments(sms[0].body).segments);
  expect(rows[1].sentAt).toBeInstanceOf(Date);
});

test('each occurrence of a repeated event is its own notification, with the director message', async () => {
  const { reference, email } = await storeRequest({ language: 'fr' });
  const em = t.orm.em.fork();
  const pr = await em.findOneOrFail(PreRegistration, { reference }, { populate: ['school'] });
  pr.correctionMessage = "Merci de corriger le numéro de l'acte de naissance.";
  await em.flush();
  const notify = activity();
  await notify(reference, 'correctionRequested', 1);
  await notify(reference, 'correctionRequested', 2);
  await notify(reference, 'correctionRequested', 2);
  const mails = await outbox(email);
  expect(mails).toHaveLength(2);
  const expected = renderNotification('correctionRequested', 'fr', {
    reference, childFirstName: pr.childFirstNameLatin, schoolName: pr.school.nameFr,
    correctionMessage: pr.correctionMessage, statusUrl: `${t.config.publicBaseUrl}/pre-registrations/${reference}?lang=fr`,
  });
  expect(mails[0].subject).toBe(expected.subject);
  expect(mails[0].body).toContain("Merci de corriger le numéro de l'acte de naissance.");
  const events = await em.find(PreRegistrationEvent, { preRegistration: pr, type: 'notification' }, { orderBy: { id: 'asc' } });
  const keys = events.map((e) => e.eventKey);
  expect(keys.slice(0, 2).sort()).toEqual(['notification:correctionRequested:1:email', 'notification:correctionRequested:1:sms']);
  expect(keys.slice(2).sort()).toEqual(['notification:correctionRequested:2:email', 'notification:correctionRequested:2:sms']);
});

test('an invalid address fails for good (recorded, in the timeline), the SMS still goes out, no resend', async () => {
  const { reference, email, phone } = await storeRequest({ email: `nobody-${randomUUID().slice(0, 8)}@example.invalid` });
  const notify = activity();
  await expect(notify(reference, 'received', 0)).resolves.toEqual({ email: 'failed', sms: 'sent' });
  await expect(notify(reference, 'received', 0)).resolves.toEqual({ email: 'failed', sms: 'sent' });
  expect(await outbox(email)).toHaveLength(0);
  expect(await outbox(phone)).toHaveLength(1);
  const { pr, rows } = await rowsOf(reference);
  expect(rows[0]).toMatchObject({ channel: 'email', status: 'failed', attempts: 1 });
  expect(rows[0].error).toMatch(/SMTP 550/);
  expect(rows[0].error).not.toContain(email);
  const ev = await t.orm.em.fork().findOneOrFail(PreRegistrationEvent, { preRegistration: pr, eventKey: 'notification:received:email' });
  expect(ev.details).toMatchObject({ status: 'failed', channel: 'email' });
  const views = await notificationsFor(t.orm.em.fork(), pr.id);
  expect(views.map((v) => [v.channel, v.status])).toEqual([['email', 'failed'], ['sms', 'sent']]);
  expect(views[0].error).toMatch(/recipient/);
});

test('an invalid number fails for good (Twilio 21211), the email still goes out', async () => {
  const { reference, email } = await storeRequest();
  const em = t.orm.em.fork();
  await em.getConnection().execute(`update pre_registration set contact_phone = '+15005550001' where reference = ?`, [reference]);
  await expect(activity()(reference, 'received', 0)).resolves.toEqual({ email: 'sent', sms: 'failed' });
  expect(await outbox(email)).toHaveLength(1);
  const { rows } = await rowsOf(reference);
  expect(rows[1]).toMatchObject({ channel: 'sms', status: 'failed' });
  expect(rows[1].error).toMatch(/21211/);
  expect(rows[1].error).not.toContain('15005550001');
});

test('a transient failure is thrown after the other channel was sent; the retry sends only the missing one', async () => {
  const { reference, email, phone } = await storeRequest();
  let failures = 1;
  const flaky: Mailer = {
    async send(msg) {
      if (failures > 0) { failures -= 1; throw new EmailUnavailableError('SMTP server unavailable (ECONNREFUSED)', { code: 'ECONNREFUSED' }); }
      return mailer.send(msg);
    },
    close() {},
  };
  const notify = activity(flaky);
  await expect(notify(reference, 'received', 0)).rejects.toBeInstanceOf(EmailUnavailableError);
  let { rows } = await rowsOf(reference);
  expect(rows.map((r) => [r.channel, r.status])).toEqual([['email', 'pending'], ['sms', 'sent']]);
  await expect(notify(reference, 'received', 0)).resolves.toEqual({ email: 'sent', sms: 'sent' });
  expect(await outbox(email)).toHaveLength(1);
  expect(await outbox(phone)).toHaveLength(1);
  ({ rows } = await rowsOf(reference));
  expect(rows.map((r) => [r.channel, r.status, r.attempts])).toEqual([['email', 'sent', 2], ['sms', 'sent', 1]]);
});

test('no address and no mobile: both channels skipped, nothing recorded', async () => {
  const { reference } = await storeRequest();
  await t.orm.em.fork().getConnection().execute(`update pre_registration set contact_email = '', contact_phone_is_mobile = false where reference = ?`, [reference]);
  await expect(activity()(reference, 'received', 0)).resolves.toEqual({ email: 'skipped', sms: 'skipped' });
  expect((await rowsOf(reference)).rows).toHaveLength(0);
});

describe('staff views: notification and export status, reconciliation page', () => {
  // Rendered with the app's helpers and catalogue, as express-handlebars does (body only, no layout).
  const views = path.join(__dirname, '..', 'web', 'views');
  const hb = Handlebars.create();
  hb.registerHelper(helpers);
  for (const name of ['notificationStatus', 'exportStatus']) hb.registerPartial(name, fs.readFileSync(path.join(views, 'partials', `${name}.hbs`), 'utf8'));
  const render = (source: string, context: Record<string, unknown>) => hb.compile(source)(context);

  test('notificationStatus lists each notification, a permanent failure with its reason, in both languages', async () => {
    const { reference } = await storeRequest({ email: `bad-${randomUUID().slice(0, 8)}@example.invalid` });
    await activity()(reference, 'received', 0);
    const { pr } = await rowsOf(reference);
    const notifications = await notificationsFor(t.orm.em.fork(), pr.id);
    const fr = render('{{> notificationStatus notifications=notifications}}', { lang: 'fr', notifications });
    expect(fr).toContain('Notifications des parents');
    expect(fr).toContain('Demande reçue');
    expect(fr).toContain('Échec définitif (adresse ou numéro invalide)');
    expect(fr).toMatch(/SMTP 550/);
    expect(fr).toContain('Envoyée');
    const ar = render('{{> notificationStatus notifications=notifications}}', { lang: 'ar', notifications });
    expect(ar).toContain('إشعارات أولياء الأمور');
    expect(ar).toContain('فشل');
    expect(render('{{> notificationStatus notifications=notifications}}', { lang: 'fr', notifications: [] })).toContain('Aucune notification');
  });

  test('exportStatus: code, refusal with reason and retry form, pending', () => {
    const failed = render('{{> exportStatus pr=pr}}', { lang: 'fr', csrfToken: 'tok', pr: { reference: 'P27-AAAAA-BBBBB', status: 'exportFailed', exportError: 'Massar refused the request (HTTP 400)' } });
    expect(failed).toContain('Massar a refusé l&#x27;export.');
    expect(failed).toContain('Massar refused the request (HTTP 400)');
    expect(failed).toContain('action="/staff/reconciliation/P27-AAAAA-BBBBB/retry-export"');
    expect(failed).toContain('name="_csrf" value="tok"');
    expect(render('{{> exportStatus pr=pr}}', { lang: 'ar', pr: { status: 'registered', massarCode: 'G123456789' } })).toContain('<bdi dir="ltr">G123456789</bdi>');
    expect(render('{{> exportStatus pr=pr}}', { lang: 'fr', pr: { status: 'approved' } })).toContain('Export en cours');
  });

  test('reconciliation page: age, reason and a retry button for refused exports only', () => {
    const page = render(fs.readFileSync(path.join(views, 'reconciliation', 'index.hbs'), 'utf8'), {
      lang: 'fr', csrfToken: 'tok', failedCount: 1, rows: [
        { reference: 'P27-AAAAA-BBBBB', status: 'exportFailed', childName: 'Amina X', school: 'École A', decidedAt: new Date(), ageDays: 2, ageHours: 5, exportError: 'HTTP 400: invalid' },
        { reference: 'P27-CCCCC-DDDDD', status: 'approved', childName: 'Omar Y', school: 'École A', decidedAt: new Date(), ageDays: 0, ageHours: 1, exportError: null },
      ],
    });
    expect(page).toContain('Rapprochement avec Massar');
    expect(page).toContain('<bdi dir="ltr">2</bdi> jours <bdi dir="ltr">5</bdi> heures');
    expect(page).toContain('HTTP 400: invalid');
    expect(page).toContain('Export en cours, relancé automatiquement');
    expect(page.match(/retry-export/g)).toHaveLength(1);
  });
});
