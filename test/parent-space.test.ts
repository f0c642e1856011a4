/**
 * The parents' space through real HTTP, PostgreSQL, the SMTP and SMS sandboxes and the Temporal
 * dev server: accounts (sign-up verified by a one-time code sent by email or SMS, sign-in,
 * throttling, reset), the form in steps saved as drafts (resumed from another "device"),
 * parents' data reused for a second child, review and submission, edit until the school opens
 * the request, withdrawal.
 */
import { randomUUID } from 'node:crypto';
import { OneTimeCode, ParentAccount, PreRegistration, PreRegistrationDraft, PreRegistrationEvent } from '../entities';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue, toFormFields } from './support/http';
import { spaceHelpers } from './support/space';
import { signInStaff } from './support/staff';

let t: TestApp;
let school: Awaited<ReturnType<typeof demoSchool>>;
let chain: { academy: string; directorate: string };

beforeAll(async () => {
  t = await startTestApp();
  school = await demoSchool(t);
  const [row] = await t.orm.em.fork().getConnection().execute<{ academy_code: string }[]>('select academy_code from provincial_directorate where code = ?', [school.directorateCode]);
  chain = { academy: row.academy_code, directorate: school.directorateCode };
  H = spaceHelpers(t, school, chain);
});
afterAll(async () => { await t?.stop(); });

let H: ReturnType<typeof spaceHelpers>;

describe('accounts', () => {
  test('sign-up by email: the code arrives by email, a wrong code says how many tries are left, the right one signs in', async () => {
    const identifier = `Amina.${randomUUID().slice(0, 6)}@Example.MA`;
    const b = new Browser(t.baseUrl);
    const { token } = await H.csrfOf(b, '/account/sign-up?lang=fr');
    // Mismatched confirmation and a weak password: messages at the fields, identifier kept.
    const bad = await b.postForm('/account/sign-up', { _csrf: token, identifier, password: '12345678', passwordConfirm: '12345678' });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain('Ce mot de passe est trop facile à deviner ; choisissez-en un autre.');
    expect(inputValue(badHtml, 'identifier')).toBe(identifier);
    expect(badHtml).toContain('href="#password"');
    const again = await b.postForm('/account/sign-up', { _csrf: inputValue(badHtml, '_csrf')!, identifier, password: 'Jardin-Tanger-2027', passwordConfirm: 'Jardin-Tanger-2027' });
    expect(again.status).toBe(303);
    const msg = await H.lastMessage(identifier.toLowerCase());
    expect(msg.channel).toBe('email');
    expect(msg.subject).toBe('Tasjil : votre code de confirmation');
    const code = H.codeIn(msg.body);
    expect(code).toMatch(/^\d{6}$/);
    const page = await H.csrfOf(b, '/account/verify');
    expect(page.html).toContain('<bdi dir="ltr">a•••@example.ma</bdi>');
    const wrong = await b.postForm('/account/verify', { _csrf: page.token, code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('Code incorrect. Essais restants : 4.');
    const ok = await b.postForm('/account/verify', { _csrf: page.token, code });
    expect(ok.status).toBe(303);
    const space = await b.get('/space');
    expect(space.status).toBe(200);
    expect(await space.text()).toContain('Mon espace parent');
    const row = await t.orm.em.fork().findOneOrFail(ParentAccount, { email: identifier.toLowerCase() });
    expect(row.verifiedAt).toBeInstanceOf(Date);
    expect(row.passwordHash.startsWith('$argon2id$')).toBe(true);
    const codes = await t.orm.em.fork().find(OneTimeCode, { account: row });
    expect(codes.map((c) => [c.channel, c.purpose, c.attempts, c.consumedAt instanceof Date])).toEqual([['email', 'verify', 1, true]]);
    expect(codes[0].codeHash).not.toContain(code);
  });

  test('sign-up by mobile: the code arrives by SMS; a fixed line is refused at the field; resending too soon is refused', async () => {
    const b = new Browser(t.baseUrl);
    const { token } = await H.csrfOf(b, '/account/sign-up');
    const fixed = await b.postForm('/account/sign-up', { _csrf: token, identifier: '0537123456', password: 'Jardin-Tanger-2027', passwordConfirm: 'Jardin-Tanger-2027' });
    expect(fixed.status).toBe(400);
    expect(await fixed.text()).toContain('هذا رقم هاتف ثابت: يُرسل الرمز برسالة نصية، فأدخلوا رقم هاتف محمول (06 أو 07) أو بريدا إلكترونيا.');
    const digits = `6${String(Date.now()).slice(-7)}`; // 066x: an assigned mobile range (0683, 0685, 0686 are not)
    const res = await b.postForm('/account/sign-up', { _csrf: token, identifier: `06 ${digits}`, password: 'Jardin-Tanger-2027', passwordConfirm: 'Jardin-Tanger-2027' });
    expect(res.status).toBe(303);
    const msg = await H.lastMessage(`+2126${digits}`);
    expect(msg.channel).toBe('sms');
    expect(msg.body).toMatch(/^تسجيل: رمز التأكيد \d{6} \(صالح 10 دقائق\)\.$/);
    const page = await H.csrfOf(b, '/account/verify');
    const resend = await b.postForm('/account/verify/resend', { _csrf: page.token });
    expect(resend.status).toBe(429);
    expect(await resend.text()).toMatch(/أُرسل رمز للتو؛ يمكنكم طلب رمز آخر بعد \d+ ثانية\./);
    const ok = await b.postForm('/account/verify', { _csrf: page.token, code: H.codeIn(msg.body) });
    expect(ok.status).toBe(303);
  });

  test('sign-in: one message for a wrong identifier or password, this address locked after 5 failures, reset by code unlocks', async () => {
    const { identifier, password } = await H.newParent();
    const b = new Browser(t.baseUrl);
    const { token } = await H.csrfOf(b, '/account/sign-in?lang=fr');
    const unknown = await b.postForm('/account/sign-in', { _csrf: token, identifier: `nobody-${randomUUID()}@example.ma`, password });
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toContain('Identifiant ou mot de passe incorrect.');
    for (let i = 0; i < 5; i += 1) {
      const r = await b.postForm('/account/sign-in', { _csrf: token, identifier, password: 'not-the-password' });
      expect(r.status).toBe(401);
    }
    const locked = await b.postForm('/account/sign-in', { _csrf: token, identifier, password });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
    expect(await locked.text()).toContain('Trop d&#x27;essais manqués pour ce compte depuis votre connexion. Réessayez dans 15 minutes, ou réinitialisez le mot de passe.');

    const r1 = await H.csrfOf(b, '/account/reset');
    const ask = await b.postForm('/account/reset', { _csrf: r1.token, identifier });
    expect(ask.status).toBe(303);
    const msg = await H.lastMessage(identifier);
    expect(msg.subject).toBe('Tasjil : code pour changer votre mot de passe');
    const r2 = await H.csrfOf(b, '/account/reset/code');
    const done = await b.postForm('/account/reset/code', { _csrf: r2.token, code: H.codeIn(msg.body), password: 'Nouveau-Jardin-2028', passwordConfirm: 'Nouveau-Jardin-2028' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/space?reset=1');
    await H.signInAgain(identifier, 'Nouveau-Jardin-2028');

    // Asking a reset for an unknown identifier looks the same and sends nothing.
    const r3 = await H.csrfOf(b, '/account/reset');
    const nobody = `nobody-${randomUUID().slice(0, 8)}@example.ma`;
    const ask2 = await b.postForm('/account/reset', { _csrf: r3.token, identifier: nobody });
    expect(ask2.status).toBe(303);
    expect(ask2.headers.get('location')).toBe('/account/reset/code');
    const count = await t.orm.em.fork().getConnection().execute<{ n: string }[]>('select count(*) as n from dev_outbox_message where recipient = ?', [nobody]);
    expect(Number(count[0].n)).toBe(0);
  });

  test('the space needs a signed-in parent; sign-out ends the session', async () => {
    const anon = new Browser(t.baseUrl);
    const res = await anon.get('/space');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account/sign-in?next=%2Fspace');
    const { b } = await H.newParent();
    const { token } = await H.csrfOf(b, '/space');
    const out = await b.postForm('/account/sign-out', { _csrf: token });
    expect(out.status).toBe(303);
    expect((await b.get('/space')).status).toBe(303);
  });
});

describe('the form in steps', () => {
  test('a wrong field is reported at the field with the answers kept; the draft resumes on another device; review and submit', async () => {
    const { b, identifier, password } = await H.newParent();
    const draftId = await H.newDraftId(b);
    const bad = await H.postStep(b, draftId, 'child', [['level', 'primary1'], ['child[firstNameAr]', 'Yassine'], ['child[lastNameAr]', 'العلوي'], ['child[firstNameLatin]', 'Yassine'], ['child[lastNameLatin]', 'El Alaoui']]);
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain('<span class="error-message" id="child-firstNameAr-error">');
    expect(html).toContain('href="#child-firstNameAr"');
    expect(inputValue(html, 'child[lastNameAr]')).toBe('العلوي');
    expect(inputValue(html, 'child[firstNameAr]')).toBe('Yassine');
    // Saved as typed, even with the error.
    const stored = await t.orm.em.fork().findOneOrFail(PreRegistrationDraft, { id: draftId });
    expect(stored.data.child).toEqual({ firstNameAr: 'Yassine', lastNameAr: 'العلوي', firstNameLatin: 'Yassine', lastNameLatin: 'El Alaoui' });
    expect(stored.step).toBe('child');

    // Another device: sign in again, the draft is listed and resumes where it was.
    const other = await H.signInAgain(identifier, password);
    const space = await (await other.get('/space')).text();
    expect(space).toContain(`/space/drafts/${draftId}/child`);
    await H.fillAllSteps(other, draftId, `STEP-${Date.now()}`);
    const reference = await H.submitReview(other, draftId);
    const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
    const account = await t.orm.em.fork().findOneOrFail(ParentAccount, { email: identifier });
    expect(pr.parentAccountId).toBe(account.id);
    expect(pr.childFirstNameAr).toBe('ياسين');
    expect(pr.photoKey).toBe((await t.orm.em.fork().findOneOrFail(PreRegistrationDraft, { id: draftId })).photoKey);
    await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
    const list = await (await other.get('/space')).text();
    expect(list).toContain(`data-reference="${reference}"`);
    expect(list).not.toContain(`/space/drafts/${draftId}/`);

    // A second child: the parents' details are filled in from the profile.
    const second = await H.newDraftId(other);
    const parents = await (await other.get(`/space/drafts/${second}/parents`)).text();
    expect(inputValue(parents, 'father[firstNameAr]')).toBe('محمد');
    expect(inputValue(parents, 'father[cin]')).toBe('AB123456');
    expect(inputValue(parents, 'mother[lastNameLatin]')).toBe('Bennani');
  });

  test('another school than the zone\'s asks for the reason, which is stored and flagged', async () => {
    const { b } = await H.newParent();
    const draftId = await H.newDraftId(b);
    await H.fillAllSteps(b, draftId, `OTH-${Date.now()}`);
    const other = await t.orm.em.fork().getConnection().execute<{ code: string }[]>(
      `select s.code from school s where s.directorate_code = ?
         and not exists (select 1 from school_zone sz where sz.school_code = s.code and sz.residence_zone_code = ?) order by s.code limit 1`,
      [school.directorateCode, school.zoneCode]);
    expect(other.length).toBe(1);
    const residence: Array<[string, string]> = [['residence[academy]', chain.academy], ['residence[directorate]', chain.directorate], ['residence[communeCode]', school.communeCode], ['residence[residenceZoneCode]', school.zoneCode]];
    const noReason = await H.postStep(b, draftId, 'school', [...residence, ['schoolPick', 'other'], ['otherSchoolCode', other[0].code], ['schoolChoiceReason', '  ']]);
    expect(noReason.status).toBe(400);
    const noReasonHtml = await noReason.text();
    expect(noReasonHtml).toContain('<span class="error-message" id="schoolChoiceReason-error">Cet établissement ne recrute pas dans votre zone de résidence : indiquez la raison de ce choix.</span>');
    const withReason = await H.postStep(b, draftId, 'school', [...residence, ['schoolPick', 'other'], ['otherSchoolCode', other[0].code], ['schoolChoiceReason', 'أخوه مسجل في هذه المؤسسة']]);
    expect(withReason.status).toBe(303);
    const reference = await H.submitReview(b, draftId);
    const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference }, { populate: ['school'] });
    expect(pr.school.code).toBe(other[0].code);
    expect(pr.schoolChoiceReason).toBe('أخوه مسجل في هذه المؤسسة');
    const checks = await eventually(async () => (await t.temporal.status(reference)).checks);
    expect(checks.zone).toBe('outOfZone');
    // Flagged to that school's director, with the reason.
    const directorAccount = t.demoAccounts.find((a) => a.role === 'director' && a.username.endsWith(other[0].code))!;
    const director = new Browser(t.baseUrl);
    expect((await signInStaff(director, directorAccount.username, directorAccount.password, { lang: 'fr' })).status).toBe(303);
    const review = await (await director.get(`/staff/requests/${reference}`)).text();
    expect(review).toContain('<span class="tag tag-warn">Établissement choisi hors de la zone de résidence par le parent</span>');
    expect(review).toContain('<q dir="auto">أخوه مسجل في هذه المؤسسة</q>');
  });

  test('edit after submission reaches the workflow until the director opens the request; withdrawal from the space', async () => {
    const { b } = await H.newParent();
    const draftId = await H.newDraftId(b);
    await H.fillAllSteps(b, draftId, `EDT-${Date.now()}`);
    const reference = await H.submitReview(b, draftId);
    await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');

    const { token } = await H.csrfOf(b, '/space');
    const edit = await b.postForm(`/space/requests/${reference}/edit`, { _csrf: token });
    expect(edit.status).toBe(303);
    const editPath = edit.headers.get('location')!;
    const editId = /\/space\/drafts\/([0-9a-f-]{36})\/review/.exec(editPath)![1];
    const s = validSubmission(school);
    const changed = await H.postStep(b, editId, 'child', toFormFields({ child: { ...s.child, firstNameAr: 'أيوب', firstNameLatin: 'Ayoub' } }));
    expect(changed.status).toBe(303);
    const sent = await H.submitReview(b, editId);
    expect(sent).toBe(reference);
    const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
    expect([pr.childFirstNameAr, pr.childFirstNameLatin, pr.level]).toEqual(['أيوب', 'Ayoub', 'primary1']);
    const events = await t.orm.em.fork().find(PreRegistrationEvent, { preRegistration: pr, type: 'edited' });
    expect(events.length).toBe(1);

    // A supervisor looking at it does not open it for the school: the parent may still edit.
    const supervisorAccount = t.demoAccounts.find((a) => a.username === `supervisor.${school.directorateCode}`)!;
    const supervisor = new Browser(t.baseUrl);
    expect((await signInStaff(supervisor, supervisorAccount.username, supervisorAccount.password)).status).toBe(303);
    expect((await supervisor.get(`/staff/requests/${reference}`)).status).toBe(200);
    expect((await t.orm.em.fork().findOneOrFail(PreRegistration, { reference })).openedAt ?? null).toBeNull();
    expect((await H.csrfOf(b, '/space')).html).toContain(`action="/space/requests/${reference}/edit"`);

    // The director opens it: no more edits.
    const director = new Browser(t.baseUrl);
    expect((await signInStaff(director, school.director.username, school.director.password)).status).toBe(303);
    expect((await director.get(`/staff/requests/${reference}`)).status).toBe(200);
    const spacePage = await H.csrfOf(b, '/space');
    expect(spacePage.html).not.toContain(`action="/space/requests/${reference}/edit"`);
    const refused = await b.postForm(`/space/requests/${reference}/edit`, { _csrf: spacePage.token });
    expect(refused.headers.get('location')).toBe('/space?refused=alreadyOpened');

    // The supporting documents: a link on the card to the request's documents page, open to the owning account.
    expect(spacePage.html).toContain(`<a href="/pre-registrations/${reference}/documents" class="documents-link">`);
    expect((await b.get(`/pre-registrations/${reference}/documents`)).status).toBe(200);
    // Withdrawal: a link on the card to the confirmation page; a POST without the confirmation goes there, with it withdraws.
    expect(spacePage.html).toContain(`<a href="/space/requests/${reference}/withdraw" class="withdraw-link">`);
    const unconfirmed = await b.postForm(`/space/requests/${reference}/withdraw`, { _csrf: spacePage.token });
    expect(unconfirmed.headers.get('location')).toBe(`/space/requests/${reference}/withdraw`);
    const confirmPage = await H.csrfOf(b, `/space/requests/${reference}/withdraw`);
    expect(confirmPage.html).toContain('id="withdraw-ends"');
    const w = await b.postForm(`/space/requests/${reference}/withdraw`, { _csrf: confirmPage.token, confirm: 'yes' });
    expect(w.status).toBe(303);
    expect(w.headers.get('location')).toBe('/space?withdrawn=1');
    await eventually(async () => (await t.temporal.status(reference)).status === 'withdrawn');
  });

  test('another parent\'s draft or request is not found', async () => {
    const a = await H.newParent();
    const other = await H.newParent();
    const draftId = await H.newDraftId(a.b);
    expect((await other.b.get(`/space/drafts/${draftId}/child`)).status).toBe(404);
    expect((await other.b.get(`/space/drafts/${draftId}/photo.jpg`)).status).toBe(404);
  });
});

describe('retention of the parents\' space (law 09-08)', () => {
  test('stale drafts and their photos, never-verified accounts, old one-time codes and year-old help requests are deleted; the rest stays', async () => {
    const { purgeParentSpace } = await import('../persistence/retention');
    const em = t.orm.em.fork();
    const conn = em.getConnection();
    const now = new Date('2031-06-01T10:00:00Z');
    const days = (n: number) => new Date(now.getTime() - n * 86400_000);
    const tag = randomUUID().slice(0, 8);
    const ids = { verified: randomUUID(), oldUnverified: randomUUID(), newUnverified: randomUUID() };
    const account = (id: string, email: string, created: Date, verified: Date | null) => conn.execute(
      `insert into parent_account (id, email, password_hash, language, verified_at, profile, created_at) values (?, ?, 'x', 'ar', ?, '{}', ?)`, [id, email, verified, created]);
    await account(ids.verified, `ret-v-${tag}@example.ma`, days(400), days(400));
    await account(ids.oldUnverified, `ret-o-${tag}@example.ma`, days(8), null);
    await account(ids.newUnverified, `ret-n-${tag}@example.ma`, days(6), null);
    await conn.execute(`insert into photo (key, content_type, bytes, width, height, created_at) values (?, 'image/jpeg', '\\x00', 1, 1, ?), (?, 'image/jpeg', '\\x00', 1, 1, ?)`, [`old-${tag}`, days(200), `new-${tag}`, days(10)]);
    const draft = (photo: string, updated: Date) => conn.execute(
      `insert into pre_registration_draft (id, account_id, data, step, photo_key, created_at, updated_at) values (?, ?, '{}', 'photo', ?, ?, ?) returning id`, [randomUUID(), ids.verified, photo, updated, updated]);
    await draft(`old-${tag}`, days(181));
    await draft(`new-${tag}`, days(179));
    await conn.execute(`insert into one_time_code (id, account_id, purpose, channel, code_hash, expires_at, created_at) values (?, ?, 'verify', 'email', 'h', ?, ?), (?, ?, 'verify', 'email', 'h', ?, ?)`,
      [randomUUID(), ids.verified, days(2), days(2), randomUUID(), ids.verified, new Date(now.getTime() - 3600_000), new Date(now.getTime() - 3600_000)]);

    // Help requests: closed 366 days ago (deleted, with its answer), answered 364 days ago and never closed (kept), open for 366 days (deleted).
    const [staff] = await conn.execute<Array<{ id: string }>>(`select id from staff_user order by username limit 1`);
    const [dir] = await conn.execute<Array<{ code: string }>>(`select code from provincial_directorate order by code limit 1`);
    const left = async (sql: string, params: unknown[]) => (await conn.execute<Array<{ k: string }>>(sql, params)).map((r) => r.k).sort();
    const help = { closed: randomUUID(), answered: randomUUID(), open: randomUUID() };
    const helpRequest = (id: string, created: Date, closed: Date | null) => conn.execute(
      `insert into help_request (id, ticket_hash, topic, message, directorate_code, channel, contact, language, status, created_at, closed_at)
       values (?, ?, 'other', 'm', ?, 'email', 'x@example.ma', 'ar', ?, ?, ?)`, [id, `${tag}-${id}`.slice(0, 64), dir.code, closed ? 'closed' : 'open', created, closed]);
    await helpRequest(help.closed, days(400), days(366));
    await helpRequest(help.answered, days(400), null);
    await helpRequest(help.open, days(366), null);
    await conn.execute(`insert into help_answer (id, help_request_id, seq, body, staff_user_id, created_at) values (?, ?, 1, 'a', ?, ?), (?, ?, 1, 'a', ?, ?)`,
      [randomUUID(), help.closed, staff.id, days(367), randomUUID(), help.answered, staff.id, days(364)]);

    const counts = await purgeParentSpace(t.orm.em.fork(), now);
    expect(await left(`select id::text as k from help_request where id in (?, ?, ?)`, [help.closed, help.answered, help.open])).toEqual([help.answered]);
    expect(await left(`select help_request_id::text as k from help_answer where help_request_id in (?, ?)`, [help.closed, help.answered])).toEqual([help.answered]);
    expect(counts.helpRequests).toBeGreaterThanOrEqual(2);
    expect(counts.drafts).toBeGreaterThanOrEqual(1);
    expect(counts.accounts).toBeGreaterThanOrEqual(1);
    expect(await left(`select email as k from parent_account where email like ?`, [`ret-%-${tag}@example.ma`])).toEqual([`ret-n-${tag}@example.ma`, `ret-v-${tag}@example.ma`]);
    expect(await left(`select photo_key as k from pre_registration_draft where account_id = ?`, [ids.verified])).toEqual([`new-${tag}`]);
    expect(await left(`select key as k from photo where key in (?, ?)`, [`old-${tag}`, `new-${tag}`])).toEqual([`new-${tag}`]);
    expect((await left(`select id::text as k from one_time_code where account_id = ?`, [ids.verified])).length).toBe(1);
    const audit = await conn.execute<Array<{ details: Record<string, number> }>>(`select details from audit_log where action = 'retention.purgeParentSpace' and at = ?`, [now]);
    expect(audit.map((a) => a.details)).toEqual([counts]);
  });
});

describe('one-time codes per client address', () => {
  test('one client cannot have codes sent to more than the limit of accounts in an hour; another client still can', async () => {
    const { issueCode, requesterHash, signUp, AccountError } = await import('../web/services/accounts');
    const sent: string[] = [];
    const send = async (to: { value: string }) => { sent.push(to.value); };
    const secret = t.config.SESSION_SECRET;
    const client = requesterHash(secret, `192.0.2.${Math.floor(Math.random() * 250)}-${randomUUID()}`);
    const now = new Date();
    const issue = async (requester: string) => {
      const em = t.orm.em.fork();
      const { account } = await signUp(em, { kind: 'email', value: `pump-${randomUUID().slice(0, 8)}@example.ma` }, 'Jardin-Tanger-2027', 'ar', now);
      return issueCode({ em, secret, send, now, requester, maxPerRequesterPerHour: 3 }, account, 'verify');
    };
    for (let i = 0; i < 3; i += 1) await issue(client);
    await expect(issue(client)).rejects.toEqual(new AccountError('account.code.tooMany', 'code'));
    expect(sent.length).toBe(3);
    await issue(requesterHash(secret, `other-${randomUUID()}`));
    expect(sent.length).toBe(4);
    const stored = await t.orm.em.fork().getConnection().execute<Array<{ n: string }>>('select count(*) as n from one_time_code where requester_hash = ?', [client]);
    expect(Number(stored[0].n)).toBe(3);
  });
});

describe('the one-page form (no account)', () => {
  test('after an error the corrected form is accepted: a fresh CSRF token, the photo kept by key', async () => {
    const b = new Browser(t.baseUrl);
    const page = await H.csrfOf(b, `/pre-registration/new?lang=fr&level=primary1&academy=${chain.academy}&directorate=${chain.directorate}&commune=${school.communeCode}&zone=${school.zoneCode}`);
    const token = inputValue(page.html, 'submissionToken')!;
    const s = validSubmission(school, { level: 'primary1', schoolYear: inputValue(page.html, 'schoolYear')! });
    const certificate = `ONE-${Date.now()}`;
    const fields = (phone: string) => toFormFields({ ...s, civilStatus: { ...s.civilStatus, birthCertificateNumber: certificate }, father: { ...s.father, phone }, siblings: undefined, language: undefined });
    const first = new FormData();
    for (const [k, v] of [['_csrf', page.token], ['submissionToken', token], ...fields('12345')]) first.append(k, v);
    first.set('photo', new Blob([new Uint8Array(await testPhoto())]), 'photo.jpg');
    const bad = await b.postMultipart('/pre-registration', first);
    expect(bad.status).toBe(400);
    const html = await bad.text();
    const csrf = inputValue(html, '_csrf');
    const photoKey = inputValue(html, 'photoKey');
    expect(csrf).toMatch(/.{20,}/);
    expect(photoKey).toMatch(/^[0-9a-f]{32}$/);
    expect(html).toContain('<p class="hint" id="photo-kept">Votre photo est bien reçue et conservée\u00a0; choisissez un autre fichier seulement pour la remplacer.</p>');
    const second = new FormData();
    for (const [k, v] of [['_csrf', csrf!], ['submissionToken', token], ['photoKey', photoKey!], ...fields('0612345678')]) second.append(k, v);
    const ok = await b.postMultipart('/pre-registration', second);
    expect(ok.status).toBe(303);
    const reference = /\/pre-registrations\/([^?]+)\?submitted=1/.exec(ok.headers.get('location') ?? '')![1];
    const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
    expect([pr.photoKey, pr.father.phone, pr.birthCertificateNumber]).toEqual([photoKey, '+212612345678', certificate]);
  });
});

describe('photos of a draft', () => {
  test('a replaced draft photo is deleted; the photo of a submitted request is kept when its edit draft gets a new one', async () => {
    const { b } = await H.newParent();
    const draftId = await H.newDraftId(b);
    await H.fillAllSteps(b, draftId, `PHO-${Date.now()}`);
    const keyOf = async () => (await t.orm.em.fork().findOneOrFail(PreRegistrationDraft, { id: draftId })).photoKey!;
    const photoCount = async (key: string) => Number((await t.orm.em.fork().getConnection().execute<Array<{ n: string }>>('select count(*) as n from photo where key = ?', [key]))[0].n);
    const upload = async (id: string) => {
      const { token } = await H.csrfOf(b, `/space/drafts/${id}/photo`);
      const form = new FormData();
      form.set('_csrf', token);
      form.set('action', 'photo');
      form.set('photo', new Blob([new Uint8Array(await testPhoto())]), 'again.jpg');
      expect((await b.postMultipart(`/space/drafts/${id}/photo`, form)).status).toBe(303);
    };
    const first = await keyOf();
    await upload(draftId);
    const second = await keyOf();
    expect(second).not.toBe(first);
    expect([await photoCount(first), await photoCount(second)]).toEqual([0, 1]);

    const reference = await H.submitReview(b, draftId);
    await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
    const { token } = await H.csrfOf(b, '/space');
    const edit = await b.postForm(`/space/requests/${reference}/edit`, { _csrf: token });
    const editId = /\/space\/drafts\/([0-9a-f-]{36})\/review/.exec(edit.headers.get('location')!)![1];
    await upload(editId);
    expect(await photoCount(second)).toBe(1);
  });
});
