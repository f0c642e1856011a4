/**
 * Help centre and help requests over real HTTP, on the real stack (PostgreSQL, Temporal worker,
 * SMTP and SMS sandboxes): the help centre's data (age rule, tolerance band and dates of the current
 * campaign, green number as a tel: link), the links of every form step, the staff editor (limits,
 * roles, audit), the "ask for help" door (routing, limits with both languages, CSRF, throttle per
 * address and per contact), the ticket page (no personal data), the staff queue's scope, the answer
 * delivered once through the notifications, closing, the rectification after a decision from the
 * parents' space, and the supervisors' counts.
 */
import { randomUUID } from 'node:crypto';
import { HelpRequest, ParentAccount, PreRegistration } from '../entities';
import { parseAccountIdentifier } from '../domain/account';
import { signUp } from '../web/services/accounts';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';
import { signInStaff } from './support/staff';
import { translator } from '../web/i18n';

const frPrimary = translator('fr')('level.primary1') as string;

let t: TestApp;
let school: Awaited<ReturnType<typeof demoSchool>>;
let other: Awaited<ReturnType<typeof demoSchool>>;
let reference: string;
const PASSWORD = 'Tasjil-Demo-2027';
let ipSeq = 0;
/** A client with its own address (the app trusts X-Forwarded-For from loopback in this suite). */
const client = () => new Browser(t.baseUrl, { 'X-Forwarded-For': `203.0.113.${(ipSeq += 1)}` });

beforeAll(async () => {
  t = await startTestApp({ env: { TRUST_PROXY: 'loopback', HELP_REQUESTS_PER_HOUR: '3' } });
  school = await demoSchool(t, 'first');
  other = await demoSchool(t, 'second');
  reference = await submit(school, `${Math.floor(Math.random() * 9000) + 1000}/2021`);
}, 120000);

afterAll(async () => {
  await t?.stop();
});

async function submit(s: typeof school, certificate: string, email = `help-${randomUUID().slice(0, 8)}@example.ma`): Promise<string> {
  const base = validSubmission(s);
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({
      ...base, father: { ...base.father, email }, civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate },
      photo: { data: (await testPhoto()).toString('base64') },
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { reference: string }).reference;
}

async function ask(b: Browser, fields: Record<string, string>, lang = 'fr'): Promise<Response> {
  const page = await (await b.get(`/help/ask?lang=${lang}`)).text();
  return b.postForm('/help/ask', { _csrf: inputValue(page, '_csrf') ?? '', topic: 'registration', message: 'Quand saurai-je si la demande est acceptée ?', reference: '', communeCode: '', channel: 'email', contact: `ask-${randomUUID().slice(0, 8)}@example.ma`, ...fields });
}

const ticketOf = (res: Response) => {
  const m = /^\/help\/requests\/([A-Za-z0-9_-]{32})\?sent=1$/.exec(res.headers.get('location') ?? '');
  if (!m) throw new Error(`no ticket: ${res.status} ${res.headers.get('location')}`);
  return m[1];
};
const helpRow = (contact: string) => t.orm.em.fork().findOneOrFail(HelpRequest, { contact });
async function staff(username: string): Promise<Browser> {
  const b = new Browser(t.baseUrl);
  const res = await signInStaff(b, username, PASSWORD);
  expect(res.status).toBe(303);
  return b;
}
async function outbox(recipient: string): Promise<Array<{ channel: string; subject: string | null; body: string }>> {
  return t.orm.em.fork().getConnection().execute('select channel, subject, body from dev_outbox_message where recipient = ? order by id', [recipient]);
}

describe('help centre', () => {
  test.each(['ar', 'fr'])('GET /help (%s): every section, the age rule and dates of the current campaign from the data, the green number as tel:', async (lang) => {
    const res = await fetch(`${t.baseUrl}/help?lang=${lang}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const anchors = [...html.matchAll(/<section id="([a-z-]+)"/g)].map((m) => m[1]);
    expect(anchors).toEqual(['steps', 'documents', 'age', 'birth-certificate', 'cin', 'siblings', 'residence', 'photo', 'campaign', 'contact']);
    // 2027-2028: primary1 born on or before 31/12/2021, tolerance 01/01/2022 – 31/03/2022; preschool 2022–2023.
    const cell = (row: string, attr: string) => (new RegExp(`<td ${attr}>([\\s\\S]*?)</td>`).exec(row)?.[1] ?? '').replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim();
    const rows = [...html.matchAll(/<tr data-level="(\w+)">([\s\S]*?)<\/tr>/g)].map((m) => [m[1], cell(m[2], 'data-eligible'), cell(m[2], 'data-tolerance')]);
    const I = (s: string) => `\u2066${s}\u2069`;
    if (lang === 'fr') {
      expect(rows).toEqual([
        ['preschool', 'nés du 01/01/2022 au 31/12/2023', 'pas de période de tolérance'],
        ['primary1', 'nés le 31/12/2021 ou avant', 'nés du 01/01/2022 au 31/03/2022'],
      ]);
      expect(html).toContain(`<li data-level="primary1">${frPrimary}\u00a0: du 01/11/2026 au 30/06/2027 inclus</li>`);
    } else {
      expect(rows).toEqual([
        ['preschool', `المزدادون ما بين ${I('01/01/2022')} و${I('31/12/2023')}`, 'لا توجد فترة تسامح'],
        ['primary1', `المزدادون في ${I('31/12/2021')} أو قبله`, `المزدادون ما بين ${I('01/01/2022')} و${I('31/03/2022')}`],
      ]);
      expect(html).toContain(`من ${I('01/11/2026')} إلى ${I('30/06/2027')} (مدمجة)`);
    }
    expect(html).toContain('<a href="tel:0800001122" id="help-green-number"><bdi dir="ltr">0800 00 11 22</bdi></a>');
  });

  test('every page\'s footer gives the green number as a tel: link and links to the help centre and the form', async () => {
    for (const path of ['/', '/account/sign-in', '/staff/login']) {
      const html = await (await fetch(`${t.baseUrl}${path}`)).text();
      expect(html).toContain('<a href="tel:0800001122" id="green-number"><bdi dir="ltr">0800 00 11 22</bdi></a>');
      expect(html).toContain('<a href="/help/ask" id="ask-for-help">');
    }
  });

  test('the one-page form links each of its parts to the help centre\'s section', async () => {
    const academy = (await t.orm.em.fork().getConnection().execute<{ academy_code: string }[]>('select academy_code from provincial_directorate where code = ?', [school.directorateCode]))[0].academy_code;
    const html = await (await fetch(`${t.baseUrl}/pre-registration/new?level=primary1&academy=${academy}&directorate=${school.directorateCode}&commune=${school.communeCode}&zone=${school.zoneCode}&lang=fr`)).text();
    expect([...html.matchAll(/data-help="([a-z-]+)"/g)].map((m) => m[1])).toEqual(['residence', 'age', 'photo', 'birth-certificate', 'siblings', 'cin']);
  });

  test('staff editor: an administrator edits a section (audited), limits refused with both languages, directors refused', async () => {
    const admin = await staff('admin');
    const path = '/staff/help/centre/fr/documents';
    const page = await (await admin.get(path)).text();
    const token = inputValue(page, '_csrf') ?? '';
    const body = `Préparez l'acte de naissance.\n\n- la CNIE\n- une photo ${randomUUID().slice(0, 6)}`;
    const ok = await admin.postForm(path, { _csrf: token, title: 'Documents à préparer', body });
    expect(ok.status).toBe(303);
    const help = await (await fetch(`${t.baseUrl}/help?lang=fr`)).text();
    expect(help).toContain('<h2 id="documents-title">Documents à préparer</h2>');
    expect(help).toContain(`<ul><li>la CNIE</li><li>une photo ${body.slice(-6)}</li></ul>`);
    const [audit] = await t.orm.em.fork().getConnection().execute<Array<{ details: Record<string, unknown> }>>(
      "select details from audit_log where action = 'help.section.edit' order by id desc limit 1");
    expect(audit.details).toEqual({ lang: 'fr', anchor: 'documents', before: expect.any(Object), after: { title: 20, body: body.length } });

    const tooLong = await admin.postForm(path, { _csrf: token, title: 'x'.repeat(161), body: 'y'.repeat(6001) });
    expect(tooLong.status).toBe(400);
    const refused = await tooLong.text();
    expect(refused).toContain('Le titre est trop long : 160 caractères au plus.');
    expect(refused).toContain('العنوان طويل جدا: \u2066160\u2069 حرف على الأكثر.');
    expect(refused).toContain('Le texte est trop long : 6000 caractères au plus.');
    expect(refused).toContain('x'.repeat(161)); // nothing typed is lost
    const empty = await admin.postForm(path, { _csrf: token, title: '  ', body: 'ok' });
    expect(empty.status).toBe(400);
    expect(await admin.postForm('/staff/help/centre/fr/nope', { _csrf: token, title: 'a', body: 'b' }).then((r) => r.status)).toBe(404);
    expect(await admin.postForm(path, { title: 'a', body: 'b' }).then((r) => r.status)).toBe(403); // no CSRF token

    const director = await staff(school.director.username);
    expect((await director.get(path)).status).toBe(403);
  });
});

describe('ask for help', () => {
  test('anonymous, with a commune: routed to its directorate; the ticket page shows no personal data; audited', async () => {
    const b = client();
    const contact = `anon-${randomUUID().slice(0, 8)}@example.ma`;
    const res = await ask(b, { communeCode: school.communeCode, contact, message: 'Où trouver le numéro de l\'acte ?' });
    expect(res.status).toBe(303);
    const ticket = ticketOf(res);
    const row = await helpRow(contact);
    expect({ school: row.schoolCode, directorate: row.directorateCode, status: row.status, verified: row.referenceVerified, channel: row.channel })
      .toEqual({ school: null, directorate: school.directorateCode, status: 'open', verified: false, channel: 'email' });
    expect(row.ticketHash).not.toContain(ticket);
    const page = await (await fetch(`${t.baseUrl}/help/requests/${ticket}?sent=1&lang=fr`)).text();
    expect(page).toContain('data-status="open"');
    expect(page).not.toContain(contact);
    expect(page).not.toContain('numéro de l&#x27;acte');
    expect((await fetch(`${t.baseUrl}/help/requests/${'A'.repeat(32)}`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/help/requests/short`)).status).toBe(404);
    const [audit] = await t.orm.em.fork().getConnection().execute<Array<{ actor_id: string; actor_role: string; details: Record<string, unknown> }>>(
      "select actor_id, actor_role, details from audit_log where action = 'help.request' and details->>'helpRequestId' = ?", [row.id]);
    expect(audit).toEqual({ actor_id: 'public', actor_role: 'public', details: { helpRequestId: row.id, topic: 'registration', channel: 'email', schoolCode: null, directorateCode: school.directorateCode, referenceVerified: false, messageLength: 32 } });
  });

  test('with the reference of a request: routed to its school (reference not verified)', async () => {
    const contact = `ref-${randomUUID().slice(0, 8)}@example.ma`;
    const res = await ask(client(), { reference: reference.toLowerCase(), contact });
    expect(res.status).toBe(303);
    const row = await helpRow(contact);
    expect({ school: row.schoolCode, directorate: row.directorateCode, reference: row.reference, verified: row.referenceVerified })
      .toEqual({ school: school.schoolCode, directorate: school.directorateCode, reference, verified: false });
  });

  test('limits at the door: 400 with the message in both languages and every field kept; 1,000 characters pass; a body over 32 KB is 413', async () => {
    const b = client();
    const contact = `limit-${randomUUID().slice(0, 8)}@example.ma`;
    const long = 'é'.repeat(1001);
    const res = await ask(b, { communeCode: school.communeCode, contact, message: long, reference: 'P27-XXXXX' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Le message est trop long : 1000 caractères au plus.');
    expect(html).toContain('الرسالة طويلة جدا: \u20661000\u2069 حرف على الأكثر.');
    expect(html).toContain('Ce n&#x27;est pas un numéro de demande valide');
    expect(html).toContain(`>${long}</textarea>`);
    expect(inputValue(html, 'contact')).toBe(contact);
    expect(html).toContain(`<option value="${school.communeCode}" selected>`);
    for (const [fields, message] of [
      [{ topic: 'nope' }, 'Choisissez le sujet de la question.'],
      [{ message: '   ' }, 'Écrivez votre question.'],
      [{ contact: 'not-an-address' }, 'Cette adresse e-mail n&#x27;est pas valide.'],
      [{ channel: 'sms', contact: '0537123456' }, 'Pour un SMS, indiquez un numéro de mobile (06 ou 07).'],
      [{ channel: 'fax' }, 'Choisissez l&#x27;e-mail ou le SMS.'],
      [{ communeCode: '' }, 'Choisissez votre commune de résidence'],
      [{ communeCode: 'ZZZ' }, 'Choisissez une commune de la liste.'],
      [{ topic: 'rectification', reference }, 'La rectification après la décision se demande depuis l&#x27;espace parents'],
    ] as Array<[Record<string, string>, string]>) {
      const r = await ask(b, { communeCode: school.communeCode, ...fields });
      expect([r.status, (await r.text()).includes(message)]).toEqual([400, true]);
    }
    expect(await (await ask(b, { communeCode: school.communeCode, contact, message: 'é'.repeat(1000) })).status).toBe(303);
    const page = await (await b.get('/help/ask')).text();
    const huge = await b.postForm('/help/ask', { _csrf: inputValue(page, '_csrf') ?? '', message: 'x'.repeat(40 * 1024) });
    expect(huge.status).toBe(413);
    const text = await huge.text();
    expect(text).toMatch(/lang="fr"/);
    expect(text).toMatch(/lang="ar"/);
    expect(await t.orm.em.fork().count(HelpRequest, { contact })).toBe(1);
  });

  test('CSRF: a post without the token, or with another visitor\'s, is 403 and records nothing', async () => {
    const contact = `csrf-${randomUUID().slice(0, 8)}@example.ma`;
    const b = client();
    const none = await b.postForm('/help/ask', { topic: 'other', message: 'x', communeCode: school.communeCode, channel: 'email', contact });
    expect(none.status).toBe(403);
    const page = await (await client().get('/help/ask')).text();
    const foreign = await b.postForm('/help/ask', { _csrf: inputValue(page, '_csrf') ?? '', topic: 'other', message: 'x', communeCode: school.communeCode, channel: 'email', contact });
    expect(foreign.status).toBe(403);
    expect(await t.orm.em.fork().count(HelpRequest, { contact })).toBe(0);
  });

  test('throttle: 3 an hour per address, then 429 + Retry-After with both languages and the form kept; 3 an hour per contact from any address', async () => {
    const b = client();
    for (let i = 0; i < 3; i++) expect((await ask(b, { communeCode: school.communeCode })).status).toBe(303);
    const refused = await ask(b, { communeCode: school.communeCode, message: 'Encore une question' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3000);
    const html = await refused.text();
    expect(html).toContain('Vous avez envoyé trop de demandes d&#x27;aide. Réessayez dans 60 minute(s)');
    expect(html).toContain('أرسلتم طلبات مساعدة كثيرة. أعيدوا المحاولة بعد \u206660\u2069 دقيقة');
    expect(html).toContain('>Encore une question</textarea>');
    // An invalid form is not counted, and is answered 400 even when throttled.
    expect((await ask(b, { communeCode: '' })).status).toBe(400);

    const contact = `same-${randomUUID().slice(0, 8)}@example.ma`;
    for (let i = 0; i < 3; i++) expect((await ask(client(), { communeCode: school.communeCode, contact })).status).toBe(303);
    expect((await ask(client(), { communeCode: school.communeCode, contact: contact.toUpperCase() })).status).toBe(429);
    expect(await t.orm.em.fork().count(HelpRequest, { contact })).toBe(3);
  });
});

describe('staff: scope, answer through the notifications, close', () => {
  test('a director sees and answers their school\'s help requests only; the answer reaches the asker once by e-mail and shows on the ticket page', async () => {
    const contact = `answer-${randomUUID().slice(0, 8)}@example.ma`;
    const ticket = ticketOf(await ask(client(), { reference, contact, topic: 'age' }));
    const row = await helpRow(contact);

    const outsider = await staff(other.director.username);
    expect(other.schoolCode).not.toBe(school.schoolCode);
    expect((await outsider.get(`/staff/help/requests/${row.id}`)).status).toBe(404);
    expect(await (await outsider.get('/staff/help?status=all')).text()).not.toContain(row.id);
    const outsiderPage = await (await outsider.get('/staff/help')).text();
    const stolen = await outsider.postForm(`/staff/help/requests/${row.id}/answer`, { _csrf: inputValue(outsiderPage, '_csrf') ?? '', answer: 'Non.' });
    expect(stolen.status).toBe(404);
    expect((await outsider.postForm(`/staff/help/requests/${row.id}/close`, { _csrf: inputValue(outsiderPage, '_csrf') ?? '' })).status).toBe(404);

    const director = await staff(school.director.username);
    const queue = await (await director.get('/staff/help?status=open')).text();
    expect(queue).toContain(`<tr data-id="${row.id}">`);
    const page = await (await director.get(`/staff/help/requests/${row.id}`)).text();
    expect(page).toContain('<span class="tag tag-warn">مرجع غير مؤكد</span>');
    expect(page).not.toContain(contact);
    const token = inputValue(page, '_csrf') ?? '';
    const tooLong = await director.postForm(`/staff/help/requests/${row.id}/answer`, { _csrf: token, answer: 'a'.repeat(1001) });
    expect(tooLong.status).toBe(400);
    const tooLongHtml = await tooLong.text();
    expect(tooLongHtml).toContain('الجواب طويل جدا: \u20661000\u2069 حرف على الأكثر.');
    expect(tooLongHtml).toContain('La réponse est trop longue : 1000 caractères au plus.');
    expect(tooLongHtml).toContain(`>${'a'.repeat(1001)}</textarea>`);
    expect((await director.postForm(`/staff/help/requests/${row.id}/answer`, { answer: 'x' })).status).toBe(403);

    const answer = 'Votre enfant est dans la période de tolérance : le directeur décidera.';
    const sent = await director.postForm(`/staff/help/requests/${row.id}/answer`, { _csrf: token, answer });
    expect(sent.status).toBe(303);
    const mails = await eventually(async () => { const m = await outbox(contact); return m.length ? m : null; });
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe('Tasjil — réponse à votre demande d\'aide');
    expect(mails[0].body).toContain(answer);
    expect(mails[0].body).toContain(`/help/requests/${ticket}?lang=fr`);
    const notif = await eventually(async () => {
      const [n] = await t.orm.em.fork().getConnection().execute<Array<{ status: string; idempotency_key: string; pre_registration_id: string | null }>>(
        "select status, idempotency_key, pre_registration_id from notification where help_request_id = ? and status = 'sent'", [row.id]);
      return n;
    });
    expect(notif).toEqual({ status: 'sent', idempotency_key: `help:${row.id}:1:email`, pre_registration_id: null });

    const status = await (await fetch(`${t.baseUrl}/help/requests/${ticket}?lang=fr`)).text();
    expect(status).toContain('data-status="answered"');
    expect(status).toContain(`<p>${answer.replace(/'/g, '&#x27;')}</p>`);

    const closed = await director.postForm(`/staff/help/requests/${row.id}/close`, { _csrf: token });
    expect(closed.status).toBe(303);
    expect((await director.postForm(`/staff/help/requests/${row.id}/answer`, { _csrf: token, answer: 'Encore' })).status).toBe(409);
    expect(await (await fetch(`${t.baseUrl}/help/requests/${ticket}`)).text()).toContain('data-status="closed"');
    const actions = (await t.orm.em.fork().getConnection().execute<Array<{ action: string }>>(
      "select action from audit_log where details->>'helpRequestId' = ? order by id", [row.id])).map((a) => a.action);
    // Each page showing the request is a read (the refusals re-show it): first view, the 400, then the 409 after closing.
    expect(actions).toEqual(['help.request', 'help.view', 'help.view', 'help.answer', 'help.close', 'help.view']);
    // Still once, whatever happens next.
    await new Promise((r) => setTimeout(r, 500));
    expect(await outbox(contact)).toHaveLength(1);
  });

  test('a request routed to a directorate: its supervisor answers by SMS; the director does not see it; the dashboard counts it', async () => {
    const phone = `066${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
    const e164 = `+212${phone.slice(1)}`;
    await ask(client(), { communeCode: school.communeCode, channel: 'sms', contact: phone }, 'ar');
    const row = await helpRow(e164);
    expect(row.language).toBe('ar');
    const director = await staff(school.director.username);
    expect((await director.get(`/staff/help/requests/${row.id}`)).status).toBe(404);
    const supervisor = await staff(`supervisor.${school.directorateCode}`);
    const page = await (await supervisor.get(`/staff/help/requests/${row.id}`)).text();
    expect((await supervisor.postForm(`/staff/help/requests/${row.id}/answer`, { _csrf: inputValue(page, '_csrf') ?? '', answer: 'نعم، الطلب ممكن عبر الإنترنت.' })).status).toBe(303);
    const sms = await eventually(async () => { const m = await outbox(e164); return m.length ? m : null; });
    expect(sms.map((m) => [m.channel, m.body])).toEqual([['sms', 'تسجيل: جواب على طلب المساعدة: نعم، الطلب ممكن عبر الإنترنت.']]);
    const dash = await (await supervisor.get('/staff/supervision/')).text();
    const line = new RegExp(`<table id="help-stats-directorates">[\\s\\S]*?<tr data-code="${school.directorateCode.replace(/\./g, '\\.')}">([\\s\\S]*?)</tr>`).exec(dash);
    expect(line).not.toBeNull();
    const cells = [...line![1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1].replace(/<[^>]+>/g, '').trim());
    const [{ total, open, answered, closed }] = await t.orm.em.fork().getConnection().execute<Array<Record<string, string>>>(
      `select count(*) as total, count(*) filter (where status = 'open') as open, count(*) filter (where status = 'answered') as answered,
              count(*) filter (where status = 'closed') as closed from help_request where directorate_code = ?`, [school.directorateCode]);
    expect(cells.slice(0, 4)).toEqual([total, open, answered, closed]);
    expect(cells[4]).toMatch(/^\d+(\.\d)? ساعة$/);
    // The audit log of the directorate's supervisor holds the request's answer; another directorate's does not.
    expect(await (await supervisor.get('/staff/audit?action=help.answer')).text()).toContain(row.id);
    const elsewhere = t.demoAccounts.find((a) => a.username.startsWith('supervisor.') && a.username !== `supervisor.${school.directorateCode}`)!;
    const otherSupervisor = await staff(elsewhere.username);
    const otherAudit = await otherSupervisor.get('/staff/audit?action=help.answer');
    expect(otherAudit.status).toBe(200);
    expect(await otherAudit.text()).not.toContain(row.id);
  });
});

describe('rectification after the decision (law 09-08)', () => {
  test('a signed-in parent asks from the space on their decided request; routed to the school; the answer is in the audit log', async () => {
    const identifier = `rect-${randomUUID().slice(0, 8)}@example.ma`;
    const id = parseAccountIdentifier(identifier);
    if (!id.ok) throw new Error(id.error);
    const em = t.orm.em.fork();
    const { account } = await signUp(em, id.value, 'Oasis-Tafilalet-2027', 'fr');
    await em.nativeUpdate(ParentAccount, { id: account.id }, { verifiedAt: new Date() });
    const ref = await submit(school, `${Math.floor(Math.random() * 9000) + 1000}/2021`);
    await eventually(async () => (await t.orm.em.fork().findOne(PreRegistration, { reference: ref }))?.status === 'underReview');
    await t.orm.em.fork().nativeUpdate(PreRegistration, { reference: ref }, { parentAccountId: account.id, status: 'rejected' });

    const b = client();
    const signIn = await (await b.get('/account/sign-in?lang=fr')).text();
    expect((await b.postForm('/account/sign-in', { _csrf: inputValue(signIn, '_csrf') ?? '', identifier, password: 'Oasis-Tafilalet-2027', next: '/space' })).status).toBe(303);
    const space = await (await b.get('/space')).text();
    expect(space).toContain(`<a href="/help/ask?topic=rectification&amp;reference=${ref}" class="rectify">`);
    const form = await (await b.get(`/help/ask?topic=rectification&reference=${ref}`)).text();
    expect(form).toContain('<option value="rectification" selected>');
    expect(inputValue(form, 'reference')).toBe(ref);
    expect(inputValue(form, 'contact')).toBe(identifier);
    const res = await b.postForm('/help/ask', { _csrf: inputValue(form, '_csrf') ?? '', topic: 'rectification', message: 'Le nom de la mère est mal écrit.', reference: ref, communeCode: '', channel: 'email', contact: identifier });
    expect(res.status).toBe(303);
    const row = await helpRow(identifier);
    expect({ topic: row.topic, school: row.schoolCode, verified: row.referenceVerified, parent: row.parentAccountId }).toEqual({ topic: 'rectification', school: school.schoolCode, verified: true, parent: account.id });
    expect(await (await b.get('/space')).text()).toContain(`<a href="/help/requests/${ticketOf(res)}">`);

    const director = await staff(school.director.username);
    const page = await (await director.get(`/staff/help/requests/${row.id}`)).text();
    expect(page).toContain('<p>Le nom de la mère est mal écrit.</p>');
    await director.postForm(`/staff/help/requests/${row.id}/answer`, { _csrf: inputValue(page, '_csrf') ?? '', answer: 'Corrigé dans le dossier.' });
    const supervisor = await staff(`supervisor.${school.directorateCode}`);
    const audit = await (await supervisor.get(`/staff/audit?reference=${ref}`)).text();
    expect(audit).toContain('help.request');
    expect(audit).toContain('help.answer');
    expect(audit).toContain('Corrigé dans le dossier.');
  });
});
