/**
 * Law 09-08 over real HTTP, PostgreSQL and Temporal: the privacy notice (version, CNDP number,
 * recipients, retention read from the configuration); the consent every door requires (JSON API,
 * one-page form, parents' space) and what is recorded (the version and the submission's time);
 * the parent's data export (exact JSON for a seeded family, nothing of another family), the photo
 * download; the deletion of an account (refused with requests, re-authenticated, audited); the
 * audit entries staff read.
 */
import { randomUUID } from 'node:crypto';
import { StaffUser } from '../entities';
import { translator } from '../web/i18n';
import { currentNotice } from '../web/services/privacy';
import { listAudit } from '../web/services/audit';
import { PARENT_SPACE_RETENTION } from '../persistence/retention';
import { demoSchool, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue, toFormFields } from './support/http';
import { spaceHelpers } from './support/space';
import { signInStaff } from './support/staff';

let t: TestApp;
let school: Awaited<ReturnType<typeof demoSchool>>;
let academy: string;
let h: ReturnType<typeof spaceHelpers>;
let photo: Buffer;
const V = currentNotice().version;
const tAr = translator('ar');
const tFr = translator('fr');
const sql = <T>(q: string, params: unknown[] = []) => t.orm.em.fork().getConnection().execute<T[]>(q, params);

beforeAll(async () => {
  // No worker: the requests stay as submitted (the export below is exact, nothing moves under it).
  t = await startTestApp({ withWorker: false });
  school = await demoSchool(t);
  [{ academy_code: academy }] = await sql<{ academy_code: string }>('select academy_code from provincial_directorate where code = ?', [school.directorateCode]);
  h = spaceHelpers(t, school, { academy, directorate: school.directorateCode });
  photo = await testPhoto();
}, 60000);

afterAll(async () => {
  await t?.stop();
});

const api = (body: unknown) => fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const refusal = (code: string) => ({
  error: 'validation', errorCount: 1,
  errors: [{ field: 'privacyNoticeVersion', code, message: { ar: tAr(code, { version: V }), fr: tFr(code, { version: V }) } }],
});
const consentRows = (reference: string) => sql<{ notice_version: string; accepted_at: Date; parent_account_id: string | null; submitted_at: Date }>(
  `select c.notice_version, c.accepted_at, c.parent_account_id, p.submitted_at from consent_record c join pre_registration p on p.id = c.pre_registration_id where p.reference = ?`, [reference]);

test('the notice: version and date, controller, CNDP number, the four recipients, retention periods read from the retention configuration, in Arabic and French', async () => {
  const fr = await fetch(`${t.baseUrl}/privacy?lang=fr`);
  expect(fr.status).toBe(200);
  const html = await fr.text();
  expect(html).toContain('<html lang="fr" dir="ltr">');
  expect(html).toContain(`Version\u00a0: <bdi dir="ltr" class="nowrap">${V}</bdi> — en vigueur depuis le\u00a0: <bdi dir="ltr" class="nowrap">2026-12-01</bdi>`);
  expect(html).toContain("Ministère de l&#x27;Éducation nationale, du Préscolaire et des Sports, responsable du traitement");
  expect(html).toContain('Autorisation de la CNDP n°\u00a0: <bdi dir="ltr" id="cndp-number">A-DEMO-2026-0001</bdi> <span class="tag" id="cndp-demo">numéro de démonstration</span>');
  expect([...html.matchAll(/data-recipient="([a-z]+)"/g)].map((m) => m[1])).toEqual(['school', 'directorate', 'academy', 'massar']);
  const years = await sql<{ code: string; anonymize_after_days: number }>('select code, anonymize_after_days from school_year order by code');
  expect(years.length).toBeGreaterThan(0);
  const row = (key: string) => new RegExp(`<tr data-retention="${key}">[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
  for (const y of years) expect(row(`closed-${y.code}`)).toContain(`<td><bdi dir="ltr">${y.anonymize_after_days}</bdi> jours après la dernière modification`);
  expect(row('drafts')).toContain(`<td><bdi dir="ltr">${PARENT_SPACE_RETENTION.draftDays}</bdi> jours après la dernière modification, puis supprimés</td>`);
  expect(row('unverified')).toContain(`<bdi dir="ltr">${PARENT_SPACE_RETENTION.unverifiedAccountDays}</bdi> jours`);
  expect(row('codes')).toContain(`<bdi dir="ltr">${PARENT_SPACE_RETENTION.codeHours}</bdi> heures`);
  expect(row('help')).toContain(`<td><bdi dir="ltr">${PARENT_SPACE_RETENTION.helpRequestDays}</bdi> jours après leur clôture (ou la dernière réponse), puis supprimées</td>`);
  // The period is the configuration's, not text: change it, the notice follows.
  const y = years[years.length - 1];
  await sql('update school_year set anonymize_after_days = ? where code = ?', [y.anonymize_after_days + 35, y.code]);
  try {
    const again = await (await fetch(`${t.baseUrl}/privacy?lang=fr`)).text();
    expect(new RegExp(`<tr data-retention="closed-${y.code}">[\\s\\S]*?</tr>`).exec(again)?.[0]).toContain(`<bdi dir="ltr">${y.anonymize_after_days + 35}</bdi>`);
  } finally {
    await sql('update school_year set anonymize_after_days = ? where code = ?', [y.anonymize_after_days, y.code]);
  }
  const ar = await (await fetch(`${t.baseUrl}/privacy?lang=ar`)).text();
  expect(ar).toContain('<html lang="ar" dir="rtl">');
  expect(ar).toContain(`<h1>${tAr('privacy.title')}</h1>`);
  expect(ar).toContain('إذن اللجنة الوطنية لمراقبة حماية المعطيات ذات الطابع الشخصي رقم: <bdi dir="ltr" id="cndp-number">A-DEMO-2026-0001</bdi>');
  expect((await fetch(`${t.baseUrl}/privacy?version=${V}&lang=fr`)).status).toBe(200);
  const unknown = await fetch(`${t.baseUrl}/privacy?version=1999-01-01&lang=fr`);
  expect(unknown.status).toBe(404);
  expect(await unknown.text()).toContain(tFr('privacy.notFound.title'));
  // Every page links the notice.
  expect(await (await fetch(`${t.baseUrl}/?lang=fr`)).text()).toContain('<a href="/privacy" id="privacy-footer-link">Protection des données personnelles</a>');
});

test('JSON API: no notice version, an old one or a non-string one is refused (400, Arabic and French, nothing stored); the version in force is recorded with the submission time', async () => {
  const cert = `PRIV-API-${Date.now()}`;
  const base = validSubmission(school, { civilStatus: { ...validSubmission(school).civilStatus, birthCertificateNumber: cert }, photo: { data: photo.toString('base64') } });
  const { privacyNoticeVersion: _omitted, ...without } = base;
  const none = await api(without);
  expect(none.status).toBe(400);
  expect(await none.json()).toEqual(refusal('validation.privacyNotice.required'));
  const old = await api({ ...base, privacyNoticeVersion: '2020-01-01' });
  expect(old.status).toBe(400);
  expect(await old.json()).toEqual(refusal('validation.privacyNotice.outdated'));
  const notString = await api({ ...base, privacyNoticeVersion: true });
  expect(notString.status).toBe(400);
  expect(await notString.json()).toEqual(refusal('validation.privacyNotice.required'));
  // The multipart door: the same rule.
  const fd = new FormData();
  const { photo: _photo, ...jsonPart } = without as typeof without & { photo?: unknown };
  fd.append('submission', new Blob([JSON.stringify(jsonPart)], { type: 'application/json' }));
  fd.append('photo', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
  const multipart = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', body: fd });
  expect(multipart.status).toBe(400);
  expect(await multipart.json()).toEqual(refusal('validation.privacyNotice.required'));
  expect(await sql('select 1 from pre_registration where birth_certificate_number = ?', [cert])).toEqual([]);

  const before = Date.now();
  const ok = await api(base);
  const after = Date.now();
  expect(ok.status).toBe(201);
  const { reference } = await ok.json() as { reference: string };
  const rows = await consentRows(reference);
  expect(rows.map((r) => [r.notice_version, r.parent_account_id])).toEqual([[V, null]]);
  expect(new Date(rows[0].accepted_at).getTime()).toBe(new Date(rows[0].submitted_at).getTime());
  expect(new Date(rows[0].accepted_at).getTime()).toBeGreaterThanOrEqual(before - 1);
  expect(new Date(rows[0].accepted_at).getTime()).toBeLessThanOrEqual(after + 1);
  const audit = await sql<{ actor_id: string; actor_role: string; details: unknown; at: Date }>(`select actor_id, actor_role, details, at from audit_log where action = 'privacy.consent' and reference = ?`, [reference]);
  expect(audit.map((a) => [a.actor_id, a.actor_role, a.details, new Date(a.at).getTime()])).toEqual([['parent', 'parent', { noticeVersion: V, schoolCode: school.schoolCode }, new Date(rows[0].accepted_at).getTime()]]);
});

test('one-page form: unticked, the form comes back with the message at the checkbox and everything typed; ticked, the consent is recorded and the status page (after proof) and the receipt show it', async () => {
  const b = new Browser(t.baseUrl);
  const formUrl = `/pre-registration/new?lang=fr&level=primary1&academy=${academy}&directorate=${school.directorateCode}&commune=${school.communeCode}&zone=${encodeURIComponent(school.zoneCode)}`;
  const html = await (await b.get(formUrl)).text();
  // An unticked checkbox whose value is the version in force, required, linking the notice.
  expect(html).toContain(`<input type="checkbox" id="privacyNoticeVersion" name="privacyNoticeVersion" value="${V}" required aria-describedby="privacyNoticeVersion-hint">`);
  expect(html).toContain('<a href="/privacy" id="privacy-link">notice de protection des données</a>');
  const cert = `PRIV-FORM-${Date.now()}`;
  const s = { ...validSubmission(school), schoolYear: inputValue(html, 'schoolYear')!, civilStatus: { ...validSubmission(school).civilStatus, birthCertificateNumber: cert } };
  const form = (fields: Record<string, unknown>) => {
    const fd = new FormData();
    fd.append('_csrf', inputValue(html, '_csrf')!);
    fd.append('submissionToken', inputValue(html, 'submissionToken')!);
    for (const [k, v] of toFormFields(fields)) if (k !== 'language') fd.append(k, v);
    fd.append('photo', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
    return fd;
  };
  const { privacyNoticeVersion: _omitted, ...unticked } = s;
  const refused = await b.postMultipart('/pre-registration?lang=fr', form(unticked));
  expect(refused.status).toBe(400);
  const page = await refused.text();
  expect(page).toContain(`<span class="error-message" id="privacyNoticeVersion-error">${tFr('validation.privacyNotice.required', { version: V }).replace(/'/g, '&#x27;')}</span>`);
  expect(page).toContain('href="#privacyNoticeVersion"');
  expect(page).toContain(`<input type="checkbox" id="privacyNoticeVersion" name="privacyNoticeVersion" value="${V}" required aria-invalid="true" aria-describedby="privacyNoticeVersion-hint privacyNoticeVersion-error">`);
  expect(inputValue(page, 'civilStatus[birthCertificateNumber]')).toBe(cert);
  expect(inputValue(page, 'father[cin]')).toBe('AB123456');
  expect(await sql('select 1 from pre_registration where birth_certificate_number = ?', [cert])).toEqual([]);

  const ok = await b.postMultipart('/pre-registration?lang=fr', form(s));
  expect(ok.status).toBe(303);
  const reference = /^\/pre-registrations\/([^?]+)\?submitted=1$/.exec(ok.headers.get('location') ?? '')![1];
  const [c] = await consentRows(reference);
  expect([c.notice_version, c.parent_account_id, new Date(c.accepted_at).getTime()]).toEqual([V, null, new Date(c.submitted_at).getTime()]);
  const when = new Intl.DateTimeFormat('en-GB', { timeZone: 'Africa/Casablanca', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(c.accepted_at)).reduce((acc, p) => ({ ...acc, [p.type]: p.value }), {} as Record<string, string>);
  const line = `<dd id="consent-record">version <a href="/privacy?version=${V}"><bdi dir="ltr">${V}</bdi></a> — <bdi dir="ltr" class="nowrap">${when.year}-${when.month}-${when.day} ${when.hour}:${when.minute}</bdi></dd>`;
  // The reference alone (another browser) shows no consent (no details); after proof it shows.
  const reader = new Browser(t.baseUrl);
  expect(await (await reader.get(`/pre-registrations/${reference}?lang=fr`)).text()).not.toContain('consent-record');
  const status = await (await reader.get(`/pre-registrations/${reference}`)).text();
  const unlock = await reader.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: inputValue(status, '_csrf')!, birthCertificateNumber: cert });
  expect(unlock.status).toBe(303);
  expect(await (await reader.get(`/pre-registrations/${reference}`)).text()).toContain(line);
  expect(await (await reader.get(`/pre-registrations/${reference}/receipt`)).text()).toContain(line);
});

test("parents' space: the review refuses an unticked notice (the button stays), then records the consent with the account; the signed-in parent's status page and receipt show it", async () => {
  const { b } = await h.newParent();
  const draftId = await h.newDraftId(b);
  await h.fillAllSteps(b, draftId, `PRIV-SPACE-${Date.now()}`);
  const { html, token } = await h.csrfOf(b, `/space/drafts/${draftId}/review?lang=fr`);
  expect(html).toContain(`<input type="checkbox" id="privacyNoticeVersion" name="privacyNoticeVersion" value="${V}" required aria-describedby="privacyNoticeVersion-hint">`);
  const refused = await b.postForm(`/space/drafts/${draftId}/review`, { _csrf: token });
  expect(refused.status).toBe(400);
  const page = await refused.text();
  expect(page).toContain(`<span class="error-message" id="privacyNoticeVersion-error">${tFr('validation.privacyNotice.required', { version: V }).replace(/'/g, '&#x27;')}</span>`);
  expect(page).toContain(`href="/space/drafts/${draftId}/review#privacyNoticeVersion"`);
  expect(page).toContain('id="submit-request"');
  const reference = await h.submitReview(b, draftId);
  const [account] = await sql<{ id: string }>('select d.account_id as id from pre_registration_draft d where d.id = ?', [draftId]);
  const [c] = await consentRows(reference);
  expect([c.notice_version, c.parent_account_id, new Date(c.accepted_at).getTime()]).toEqual([V, account.id, new Date(c.submitted_at).getTime()]);
  expect(await sql(`select actor_id from audit_log where action = 'privacy.consent' and reference = ?`, [reference])).toEqual([{ actor_id: `parent:${account.id}` }]);
  for (const path of [`/pre-registrations/${reference}?lang=ar`, `/pre-registrations/${reference}/receipt?lang=ar`]) {
    const text = await (await b.get(path)).text();
    expect(text).toContain(`<dt>${tAr('privacy.consent.recorded')}</dt><dd id="consent-record">${tAr('privacy.consent.version')} <a href="/privacy?version=${V}"><bdi dir="ltr">${V}</bdi></a>`);
  }
});

/** A family in the parents' space with one submitted request (the school then rejects it) and one draft. */
async function seededFamily(email: string, certificate: string) {
  const { b, identifier, password } = await h.newParent(`${randomUUID().slice(0, 8)}-${email}`);
  const draftId = await h.newDraftId(b);
  await h.fillAllSteps(b, draftId, certificate, { father: { email } });
  const reference = await h.submitReview(b, draftId);
  const [{ id: accountId }] = await sql<{ id: string }>('select id from parent_account where email = ?', [identifier.toLowerCase()]);
  return { b, identifier, password, reference, accountId };
}

test('my data: the JSON download holds exactly the family\'s account, request (submitted data, status, decision, consent, notifications to them, photo link), draft and codes; nothing of another family; the page and the photo; each access audited for staff', async () => {
  const stamp = Date.now();
  const a = await seededFamily('famille-a@example.ma', `PRIV-A-${stamp}`);
  const other = await seededFamily('famille-b@example.ma', `PRIV-B-${stamp}`);
  // Family A: a draft of a second child, begun.
  const draftId = await h.newDraftId(a.b);
  expect((await h.postStep(a.b, draftId, 'child', [['level', 'preschool'], ['child[firstNameAr]', 'سارة'], ['child[lastNameAr]', 'العلوي'], ['child[firstNameLatin]', 'Sara'], ['child[lastNameLatin]', 'El Alaoui'], ['civilStatus[birthDate]', '2023-03-15']])).status).toBe(303);
  // The school rejected A's request; notifications went to A (and one to the director, and one to B).
  const [reason] = await sql<{ code: string; text_ar: string; text_fr: string }>('select code, text_ar, text_fr from rejection_reason order by sort_order limit 1');
  const decidedAt = new Date('2026-12-01T10:15:00.000Z');
  await sql(`update pre_registration set status = 'rejected', decision = 'reject', rejection_reasons = ?::text[], decision_note = 'Acte illisible', decided_at = ? where reference = ?`,
    [`{${reason.code}}`, decidedAt, a.reference]);
  const sentAt = new Date('2026-12-01T10:16:00.000Z');
  const note = async (reference: string, channel: string, recipient: string) => sql(
    `insert into notification (pre_registration_id, event, occurrence, channel, idempotency_key, recipient, status, attempts, sent_at, updated_at)
     select id, 'rejected', 0, ?, ?, ?, 'sent', 1, ?, ? from pre_registration where reference = ?`, [channel, randomUUID(), recipient, sentAt, sentAt, reference]);
  await note(a.reference, 'email', 'famille-a@example.ma');
  await note(a.reference, 'sms', '+212612345678');
  await note(a.reference, 'email', 'director@school.example.ma');
  await note(other.reference, 'email', 'famille-b@example.ma');
  // A help request of A (asked while signed in) answered by the school; one of B.
  const [helper] = await sql<{ id: string }>(`select id from staff_user order by username limit 1`);
  const helpAt = new Date('2026-12-01T11:00:00.000Z');
  const help = async (accountId: string, message: string) => (await sql<{ id: string }>(
    `insert into help_request (id, ticket_hash, topic, message, reference, directorate_code, channel, contact, language, parent_account_id, status, created_at, first_answered_at)
     values (gen_random_uuid(), ?, 'rectification', ?, ?, ?, 'email', ?, 'fr', ?, 'answered', ?, ?) returning id::text as id`,
    [randomUUID().replace(/-/g, ''), message, a.reference, school.directorateCode, 'famille-a@example.ma', accountId, helpAt, new Date(helpAt.getTime() + 3600_000)]))[0].id;
  const helpA = await help(a.accountId, 'Le prénom est mal écrit');
  await help(other.accountId, `Question de B ${stamp}`);
  await sql(`insert into help_answer (id, help_request_id, seq, body, staff_user_id, created_at) values (gen_random_uuid(), ?, 1, 'Corrigé', ?, ?)`,
    [helpA, helper.id, new Date(helpAt.getTime() + 3600_000)]);

  const res = await a.b.get('/space/my-data.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const doc = await res.json() as Record<string, unknown>;
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="tasjil-my-data-${String(doc.generatedAt).slice(0, 10)}.json"`);

  const [acc] = await sql<Record<string, Date | null>>('select created_at, verified_at, last_sign_in_at from parent_account where id = ?', [a.accountId]);
  const [pr] = await sql<{ submitted_at: Date; updated_at: Date; photo_key: string; consent_at: Date }>(
    'select p.submitted_at, p.updated_at, p.photo_key, c.accepted_at as consent_at from pre_registration p join consent_record c on c.pre_registration_id = p.id where p.reference = ?', [a.reference]);
  const [draft] = await sql<{ created_at: Date; updated_at: Date }>('select created_at, updated_at from pre_registration_draft where id = ?', [draftId]);
  const codes = await sql<{ created_at: Date; consumed_at: Date; expires_at: Date }>('select created_at, consumed_at, expires_at from one_time_code where account_id = ? order by created_at', [a.accountId]);
  const [schoolRow] = await sql<{ name_ar: string; name_fr: string }>('select name_ar, name_fr from school where code = ?', [school.schoolCode]);
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  const s = validSubmission(school);
  const father = { ...s.father, email: 'famille-a@example.ma', phone: '+212612345678', cin: 'AB123456' };
  const mother = { ...s.mother };
  expect(Object.keys(doc)).toEqual(['format', 'generatedAt', 'account', 'drafts', 'requests', 'accountMessages', 'helpRequests']);
  expect(doc.format).toBe('tasjil-my-data/1');
  expect(doc.account).toEqual({
    id: a.accountId, email: a.identifier.toLowerCase(), phone: null, language: 'fr',
    createdAt: iso(acc.created_at), verifiedAt: iso(acc.verified_at), lastSignInAt: iso(acc.last_sign_in_at),
    profile: {
      guardianRole: 'father', father: { ...s.father, email: 'famille-a@example.ma' }, mother: s.mother,
      residence: { academy, directorate: school.directorateCode, communeCode: school.communeCode, residenceZoneCode: school.zoneCode },
      // The parents step posts the tutor's block empty when the father is the guardian (kept as posted).
      tutor: { address: '', cin: '', email: '', firstNameAr: '', firstNameLatin: '', lastNameAr: '', lastNameLatin: '', phone: '', profession: '' },
    },
  });
  expect(doc.drafts).toEqual([{
    id: draftId, step: 'civilStatus', reference: null, createdAt: iso(draft.created_at), updatedAt: iso(draft.updated_at), hasPhoto: false,
    // What was typed, over what the space filled in from the parents' profile.
    data: {
      level: 'preschool', child: { firstNameAr: 'سارة', lastNameAr: 'العلوي', firstNameLatin: 'Sara', lastNameLatin: 'El Alaoui' },
      civilStatus: { birthDate: '2023-03-15' }, siblings: [{}], guardianRole: 'father', father: { ...s.father, email: 'famille-a@example.ma' }, mother: s.mother,
      tutor: { address: '', cin: '', email: '', firstNameAr: '', firstNameLatin: '', lastNameAr: '', lastNameLatin: '', phone: '', profession: '' },
      residence: { academy, directorate: school.directorateCode, communeCode: school.communeCode, residenceZoneCode: school.zoneCode },
      schoolChoice: 'zone', schoolYear: '2027-2028', language: 'fr',
    },
  }]);
  expect(doc.requests).toEqual([{
    reference: a.reference, schoolYear: '2027-2028', level: 'primary1', status: 'rejected',
    submittedAt: iso(pr.submitted_at), updatedAt: iso(pr.updated_at), anonymizedAt: null,
    submission: {
      child: s.child,
      civilStatus: { ...s.civilStatus, birthCertificateNumber: `PRIV-A-${stamp}` },
      siblings: [], guardianRole: 'father', father, mother, tutor: null,
      residence: { communeCode: school.communeCode, residenceZoneCode: school.zoneCode },
      schoolCode: school.schoolCode, language: 'fr', schoolChoiceReason: null,
    },
    contact: { email: 'famille-a@example.ma', phone: '+212612345678' },
    school: { code: school.schoolCode, nameAr: schoolRow.name_ar, nameFr: schoolRow.name_fr },
    automaticChecks: { age: null, zone: null, hijri: null },
    decision: { outcome: 'reject', decidedAt: decidedAt.toISOString(), rejectionReasons: [{ code: reason.code, textAr: reason.text_ar, textFr: reason.text_fr }], note: 'Acte illisible' },
    massarCode: null, correctionMessage: null,
    timeline: [{ at: iso(pr.submitted_at), type: 'status', status: 'submitted', channel: null }],
    consent: { noticeVersion: V, acceptedAt: iso(pr.consent_at) },
    notifications: [
      { event: 'rejected', channel: 'email', recipient: 'famille-a@example.ma', status: 'sent', sentAt: sentAt.toISOString(), updatedAt: sentAt.toISOString() },
      { event: 'rejected', channel: 'sms', recipient: '+212612345678', status: 'sent', sentAt: sentAt.toISOString(), updatedAt: sentAt.toISOString() },
    ],
    photo: { download: `/space/my-data/photos/${a.reference}.jpg`, contentType: 'image/jpeg', width: 300, height: 400 },
  }]);
  expect(doc.accountMessages).toEqual(codes.map((c) => ({ purpose: 'verify', channel: 'email', createdAt: iso(c.created_at), consumedAt: iso(c.consumed_at), expiresAt: iso(c.expires_at) })));
  expect(codes).toHaveLength(1);
  expect(doc.helpRequests).toEqual([{
    topic: 'rectification', message: 'Le prénom est mal écrit', reference: a.reference, channel: 'email', contact: 'famille-a@example.ma', language: 'fr', status: 'answered',
    createdAt: '2026-12-01T11:00:00.000Z', firstAnsweredAt: '2026-12-01T12:00:00.000Z', closedAt: null,
    answers: [{ body: 'Corrigé', at: '2026-12-01T12:00:00.000Z' }],
  }]);
  // Nothing of the other family, nor of the director.
  const text = JSON.stringify(doc);
  for (const foreign of [other.reference, other.accountId, other.identifier.toLowerCase(), `PRIV-B-${stamp}`, `Question de B ${stamp}`, 'famille-b@example.ma', 'director@school.example.ma']) expect(text).not.toContain(foreign);

  // The readable page, in both languages; the photo as a download; another family's photo refused.
  for (const lang of ['ar', 'fr'] as const) {
    const page = await (await a.b.get(`/space/my-data?lang=${lang}`)).text();
    expect(page).toContain(`<html lang="${lang}"`);
    expect(page).toContain(`<h1>${translator(lang)('privacy.myData.title')}</h1>`);
    expect(page).toContain(`<bdi>PRIV-A-${stamp}</bdi>`);
    expect(page).toContain(`<a href="/space/my-data/photos/${a.reference}.jpg" download>`);
    expect(page).toContain('<bdi dir="ltr">famille-a@example.ma</bdi>');
    expect(page).not.toContain(other.reference);
    expect(page).not.toContain('director@school.example.ma');
  }
  const photoRes = await a.b.get(`/space/my-data/photos/${a.reference}.jpg`);
  expect([photoRes.status, photoRes.headers.get('content-type'), photoRes.headers.get('content-disposition')]).toEqual([200, 'image/jpeg', `attachment; filename="${a.reference}.jpg"`]);
  const [{ bytes }] = await sql<{ bytes: Buffer }>('select bytes from photo where key = ?', [pr.photo_key]);
  expect(Buffer.from(await photoRes.arrayBuffer()).equals(bytes)).toBe(true);
  expect((await a.b.get(`/space/my-data/photos/${other.reference}.jpg`)).status).toBe(404);
  // Signed out: the sign-in page, nothing else.
  const anonymous = await fetch(`${t.baseUrl}/space/my-data.json`, { redirect: 'manual' });
  expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/account/sign-in?next=%2Fspace%2Fmy-data.json']);

  // Audited: json, page ×2, photo (the refused photo is not an access); the directorate's supervisor and the admin see them.
  const audit = await sql<{ details: { format: string; references: string[]; schoolCodes: string[] } }>(
    `select details from audit_log where action = 'privacy.export' and actor_id = ? order by id`, [`parent:${a.accountId}`]);
  expect(audit.map((x) => x.details)).toEqual([
    { format: 'json', references: [a.reference], schoolCodes: [school.schoolCode] },
    { format: 'page', references: [a.reference], schoolCodes: [school.schoolCode] },
    { format: 'page', references: [a.reference], schoolCodes: [school.schoolCode] },
    { format: 'photo', references: [a.reference], schoolCodes: [school.schoolCode] },
  ]);
  const em = t.orm.em.fork();
  const supervisor = await em.findOneOrFail(StaffUser, { role: 'provincialSupervisor', directorate: school.directorateCode });
  const admin = await em.findOneOrFail(StaffUser, { role: 'administrator' });
  for (const user of [supervisor, admin]) {
    const seen = await listAudit(em, user, { action: 'privacy.export', pageSize: 200 });
    expect(seen.rows.filter((r) => r.actorId === `parent:${a.accountId}`)).toHaveLength(4);
  }
  // On the audit page, as the directorate's supervisor reads it.
  const account = t.demoAccounts.find((x) => x.username === supervisor.username)!;
  const staff = new Browser(t.baseUrl);
  expect((await signInStaff(staff, account.username, account.password)).status).toBe(303);
  const auditPage = await (await staff.get('/staff/audit?action=privacy.export')).text();
  expect(auditPage.match(new RegExp(`<bdi dir="ltr">parent:${a.accountId}</bdi> <small>\\(parent\\)</small>`, 'g'))).toHaveLength(4);
});

test('deleting an account: refused with submitted requests (explained, audited); refused without the right password; done without requests (drafts and photos gone, audited, signed out)', async () => {
  const withRequest = await seededFamily('suppression-a@example.ma', `PRIV-DEL-${Date.now()}`);
  const page = await (await withRequest.b.get('/space/account/delete?lang=fr')).text();
  expect(page).toContain('<div class="error-summary" role="alert" id="delete-refused">');
  expect(page).toContain(`<a href="/pre-registrations/${withRequest.reference}"><bdi dir="ltr">${withRequest.reference}</bdi></a>`);
  expect(page).not.toContain('id="delete-account"');
  const { token } = await h.csrfOf(withRequest.b, '/space');
  const refused = await withRequest.b.postForm('/space/account/delete', { _csrf: token, password: withRequest.password });
  expect(refused.status).toBe(409);
  expect(await refused.text()).toContain(tFr('privacy.delete.refusedTitle'));
  expect(await sql('select 1 from parent_account where id = ?', [withRequest.accountId])).toHaveLength(1);
  expect((await sql<{ details: unknown }>(`select details from audit_log where action = 'privacy.deletionRefused' and actor_id = ?`, [`parent:${withRequest.accountId}`])).map((r) => r.details))
    .toEqual([{ reason: 'hasRequests', references: [withRequest.reference], schoolCodes: [school.schoolCode] }]);

  // An account with only a draft (and its photo).
  const { b, password } = await h.newParent();
  const draftId = await h.newDraftId(b);
  await h.fillAllSteps(b, draftId, `PRIV-DRAFT-${Date.now()}`);
  const [{ account_id: accountId, photo_key: photoKey }] = await sql<{ account_id: string; photo_key: string }>('select account_id, photo_key from pre_registration_draft where id = ?', [draftId]);
  expect(photoKey).toMatch(/^[0-9a-f]{32}$/);
  const form = await (await b.get('/space/account/delete?lang=ar')).text();
  expect(form).toContain('<input type="password" id="password" name="password" autocomplete="current-password" dir="ltr" required maxlength="1024" aria-describedby="password-hint">');
  const csrf = inputValue(form, '_csrf')!;
  expect((await b.postForm('/space/account/delete', { password })).status).toBe(403); // no CSRF token
  const empty = await b.postForm('/space/account/delete', { _csrf: csrf, password: '' });
  expect(empty.status).toBe(400);
  expect(await empty.text()).toContain(`<span class="error-message" id="password-error">${tAr('privacy.delete.passwordRequired')}</span>`);
  const wrong = await b.postForm('/space/account/delete', { _csrf: csrf, password: 'not-the-password-2027' });
  expect(wrong.status).toBe(401);
  expect(await wrong.text()).toContain(`<span class="error-message" id="password-error">${tAr('privacy.delete.wrongPassword')}</span>`);
  expect(await sql('select 1 from parent_account where id = ?', [accountId])).toHaveLength(1);
  const done = await b.postForm('/space/account/delete', { _csrf: csrf, password });
  expect([done.status, done.headers.get('location')]).toEqual([303, '/privacy/account-deleted']);
  expect(await sql('select 1 from parent_account where id = ?', [accountId])).toEqual([]);
  expect(await sql('select 1 from pre_registration_draft where account_id = ?', [accountId])).toEqual([]);
  expect(await sql('select 1 from one_time_code where account_id = ?', [accountId])).toEqual([]);
  expect(await sql('select 1 from photo where key = ?', [photoKey])).toEqual([]);
  expect((await sql<{ details: unknown; actor_role: string }>(`select details, actor_role from audit_log where action = 'privacy.accountDeleted' and actor_id = ?`, [`parent:${accountId}`])))
    .toEqual([{ details: { drafts: 1 }, actor_role: 'parent' }]);
  const after = await b.get('/privacy/account-deleted?lang=ar');
  expect(await after.text()).toContain(`<h1>${tAr('privacy.deleted.title')}</h1>`);
  const space = await b.get('/space');
  expect([space.status, space.headers.get('location')]).toEqual([303, '/account/sign-in?next=%2Fspace']);
  const admin = await t.orm.em.fork().findOneOrFail(StaffUser, { role: 'administrator' });
  const seen = await listAudit(t.orm.em.fork(), admin, { action: 'privacy.accountDeleted', pageSize: 200 });
  expect(seen.rows.filter((r) => r.actorId === `parent:${accountId}`).map((r) => r.details)).toEqual([{ drafts: 1 }]);
});
