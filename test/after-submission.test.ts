/**
 * After submission, through real HTTP, the workflow, PostgreSQL and the SMS/SMTP sandboxes, in
 * Arabic and French: by when the decision is due (the school year 2027-2028: 14 days after the
 * submission) on the confirmation, the status page, the receipt, the email and the SMS; after
 * approval where, until when (15/07/2027) and with what documents to come; the receipt with the
 * child's full name, birth date and guardian (after proof only; the reference alone shows dates
 * and status); the withdrawal through its confirmation page (what it ends, POST with CSRF); a
 * correction asked on a withdrawn request refused as "processing ended"; the staff header in the
 * page's language.
 *
 * The app's clock is fixed at 2027-03-20 11:00 Casablanca, so the request is submitted that day
 * and its decision is due on 03/04/2027.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { toGsm7 } from '../activities/templates';
import { PreRegistration } from '../entities';
import { DecisionRefused, requestCorrection, sendDecision } from '../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';
import { signInStaff } from './support/staff';

const NOW = new Date('2027-03-20T10:00:00Z');
const DUE = '03/04/2027';
const LRI = '\u2066';
const PDI = '\u2069';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;
let schoolRow: { name_ar: string; name_fr: string; address_ar: string; address_fr: string };

beforeAll(async () => {
  t = await startTestApp({ clock: () => NOW });
  photo = await testPhoto();
  school = await demoSchool(t);
  [schoolRow] = await t.orm.em.fork().getConnection().execute<Array<typeof schoolRow>>('select name_ar, name_fr, address_ar, address_fr from school where code = ?', [school.schoolCode]);
});
afterAll(async () => { await t?.stop(); });

interface OutboxRow { channel: string; subject: string | null; body: string }
const outbox = (recipient: string) => t.orm.em.fork().getConnection().execute<OutboxRow[]>(
  'select channel, subject, body from dev_outbox_message where recipient = ? order by id', [recipient],
);
const messages = (recipient: string, n: number) => eventually(async () => {
  const rows = await outbox(recipient);
  return rows.length >= n ? rows : null;
});

async function submitted(language: 'ar' | 'fr') {
  const phone = `0661${String(randomInt(100_000, 999_999))}`;
  const email = `after-${randomUUID().slice(0, 8)}@example.ma`;
  const certificate = `AS-${randomUUID().slice(0, 10)}`;
  const base = validSubmission(school);
  const body = {
    ...base, language,
    civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate },
    father: { ...base.father, phone, email },
    photo: { data: photo.toString('base64') },
  };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  const { reference } = await res.json() as { reference: string };
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
  return { reference, certificate, email, sms: `+212${phone.slice(1)}` };
}

async function unlockedBrowser(reference: string, certificate: string, lang: 'ar' | 'fr') {
  const b = new Browser(t.baseUrl);
  const page = await (await b.get(`/pre-registrations/${reference}?lang=${lang}`)).text();
  const res = await b.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: inputValue(page, '_csrf')!, birthCertificateNumber: certificate });
  expect(res.headers.get('location')).toBe(`/pre-registrations/${reference}#manage`);
  return b;
}

const TEXT = {
  ar: {
    due: `ستبت إدارة المؤسسة في الطلب قبل <bdi dir="ltr">${DUE}</bdi>.`,
    receivedSms: (ref: string) => `تسجيل: توصلنا بطلب تسجيل ياسين، رقم ${LRI}${ref}${PDI}. ستبت فيه المؤسسة قبل ${LRI}${DUE}${PDI}.`,
    receivedEmailLine: `البت في الطلب قبل: ${LRI}${DUE}${PDI}\n`,
    fullName: 'العلوي', childFullName: 'ياسين العلوي (<bdi dir="ltr" lang="fr">Yassine El Alaoui</bdi>)',
    guardian: 'الأب — <bdi dir="auto">محمد العلوي</bdi>',
    registeredSms: () => `تسجيل: سُجل ياسين في ${schoolRow.name_ar}. احضروا قبل ${LRI}15/07/2027${PDI} بأصل رسم الولادة وبطاقة الولي.`,
    where: () => `${schoolRow.name_ar}، ${schoolRow.address_ar}`,
    when: 'قبل <bdi dir="ltr">15/07/2027</bdi>، خلال أوقات عمل إدارة المؤسسة.',
    documents: ['أصل رسم ولادة الطفل(ة)', 'أصل البطاقة الوطنية للتعريف لولي الأمر', 'شهادة السكنى أو فاتورة ماء أو كهرباء باسم ولي الأمر', 'وصل طلب التسجيل أو رقمه'],
    ends: [
      'لن تدرس إدارة المؤسسة هذا الطلب، ولن يُتخذ فيه أي قرار.',
      'يُلغى طلب المقعد بهذه المؤسسة، ولن يُحتفظ للطفل(ة) بأي مقعد فيها.',
      'لا يمكن التراجع عن السحب: لا يمكن إعادة فتح هذا الطلب.',
      'لتسجيل الطفل(ة) من جديد يلزم تقديم طلب جديد، وذلك ممكن إلى غاية <bdi dir="ltr">30/06/2027</bdi>.',
      'ستتوصلون بتأكيد السحب عبر البريد الإلكتروني أو الرسائل القصيرة.',
    ],
    confirm: 'نعم، سحب الطلب',
    print: 'طباعة الوصل',
  },
  fr: {
    due: `La direction de l&#x27;établissement décidera au plus tard le <bdi dir="ltr">${DUE}</bdi>.`,
    receivedSms: (ref: string) => `Tasjil : demande de Yassine enregistrée, réf. ${ref}. Décision au plus tard le ${DUE}. Suivi : ${t.config.publicBaseUrl}/pre-registrations/${ref}?lang=fr`,
    receivedEmailLine: `Décision attendue au plus tard le : ${DUE}\n`,
    fullName: 'El Alaoui', childFullName: 'Yassine El Alaoui (<bdi dir="rtl" lang="ar">ياسين العلوي</bdi>)',
    guardian: 'Le père — <bdi dir="auto">Mohammed El Alaoui</bdi>',
    registeredSms: () => '',
    where: () => `${schoolRow.name_fr}, ${schoolRow.address_fr}`,
    when: 'Au plus tard le <bdi dir="ltr">15/07/2027</bdi>, aux heures d&#x27;ouverture de l&#x27;administration de l&#x27;établissement.',
    documents: [
      'Original de l&#x27;acte de naissance de l&#x27;enfant', 'Original de la carte nationale d&#x27;identité du tuteur légal',
      'Certificat de résidence ou facture d&#x27;eau ou d&#x27;électricité au nom du tuteur', 'Le reçu de la demande ou son numéro',
    ],
    ends: [
      'L&#x27;établissement n&#x27;examinera pas cette demande et aucune décision ne sera prise.',
      'La demande de place dans cet établissement est annulée : aucune place n&#x27;y sera réservée à l&#x27;enfant.',
      'Le retrait est définitif : cette demande ne pourra pas être rouverte.',
      'Pour inscrire l&#x27;enfant, il faudra déposer une nouvelle demande, possible jusqu&#x27;au <bdi dir="ltr">30/06/2027</bdi>.',
      'Vous recevrez la confirmation du retrait par e-mail ou par SMS.',
    ],
    confirm: 'Oui, retirer la demande',
    print: 'Imprimer le reçu',
  },
} as const;

const inner = (html: string, id: string) => new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</(?:p|dd|li|span)>`).exec(html)?.[1].trim() ?? null;
const items = (html: string, id: string) => [...(new RegExp(`<ul id="${id}">([\\s\\S]*?)</ul>`).exec(html)?.[1] ?? '').matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((m) => m[1].trim());

describe.each(['ar', 'fr'] as const)('in %s', (lang) => {
  const T = TEXT[lang];

  test('the decision due date on the confirmation, the status page, the receipt, the email and the SMS; names on the receipt only after proof', async () => {
    const { reference, certificate, email, sms } = await submitted(lang);
    expect((await t.orm.em.fork().findOneOrFail(PreRegistration, { reference })).submittedAt.toISOString()).toBe(NOW.toISOString());

    // The reference alone: status and dates, nothing personal (no name on the page or the receipt).
    const anonymous = new Browser(t.baseUrl);
    const publicPage = await (await anonymous.get(`/pre-registrations/${reference}?lang=${lang}`)).text();
    expect(inner(publicPage, 'decision-due')).toBe(T.due);
    expect(publicPage).not.toContain(T.fullName);
    const publicReceipt = await (await anonymous.get(`/pre-registrations/${reference}/receipt?lang=${lang}`)).text();
    expect(inner(publicReceipt, 'receipt-decision-due')).toBe(`<bdi dir="ltr">${DUE}</bdi>`);
    expect(publicReceipt).not.toContain(T.fullName);
    expect(publicReceipt).not.toContain('id="child-birth-date"');
    expect(publicReceipt).not.toContain('id="guardian"');

    // The holder of the file: the confirmation and the receipt with the child's names, birth date and guardian.
    const holder = await unlockedBrowser(reference, certificate, lang);
    const confirmation = await (await holder.get(`/pre-registrations/${reference}?submitted=1`)).text();
    expect(inner(confirmation, 'confirmation-decision-due')).toBe(T.due);
    const receipt = await (await holder.get(`/pre-registrations/${reference}/receipt`)).text();
    expect(inner(receipt, 'child-full-name')).toBe(T.childFullName);
    expect(inner(receipt, 'child-birth-date')).toBe('<bdi dir="ltr">10/05/2021</bdi>');
    expect(inner(receipt, 'guardian')).toBe(T.guardian);
    expect(inner(receipt, 'receipt-decision-due')).toBe(`<bdi dir="ltr">${DUE}</bdi>`);
    // The print button only with JavaScript (hidden until app.js shows it); the print stylesheet hides the rest.
    expect(receipt).toContain(`<button type="button" class="secondary" id="print-receipt" data-print hidden>${T.print}</button>`);

    // The "received" SMS and email.
    const [receivedSms] = await messages(sms, 1);
    expect(receivedSms.body).toBe(T.receivedSms(reference));
    const [receivedEmail] = await messages(email, 1);
    expect(receivedEmail.body).toContain(T.receivedEmailLine);
  });

  test('after approval: where, until when and with what to come, on the status page, the receipt and in the messages', async () => {
    const { reference, certificate, email, sms } = await submitted(lang);
    await sendDecision(t.temporal, reference, { decision: 'approve', decidedBy: 'director-test' });
    await eventually(async () => (await t.orm.em.fork().findOneOrFail(PreRegistration, { reference })).status === 'registered');
    const holder = await unlockedBrowser(reference, certificate, lang);
    const status = await (await holder.get(`/pre-registrations/${reference}`)).text();
    expect(status).not.toContain('id="decision-due"'); // decided
    expect(inner(status, 'come-where')).toBe(T.where());
    expect(inner(status, 'come-when')).toBe(T.when);
    expect(items(status, 'come-documents')).toEqual(T.documents);
    const receipt = await (await holder.get(`/pre-registrations/${reference}/receipt`)).text();
    expect(inner(receipt, 'receipt-originals-due')).toBe('<bdi dir="ltr">15/07/2027</bdi>');
    expect(items(receipt, 'receipt-documents')).toEqual(T.documents);
    // Without proof: when and with what, not where (the school is personal data of the request).
    const anonymous = await (await new Browser(t.baseUrl).get(`/pre-registrations/${reference}?lang=${lang}`)).text();
    expect(inner(anonymous, 'come-when')).toBe(T.when);
    expect(anonymous).not.toContain(schoolRow.address_ar);
    expect(anonymous).not.toContain(schoolRow.address_fr);

    const smsRows = await messages(sms, 2);
    const massarCode = (await t.orm.em.fork().findOneOrFail(PreRegistration, { reference })).massarCode!;
    expect(smsRows[1].body).toBe(lang === 'ar'
      ? T.registeredSms()
      : `Tasjil : Yassine inscrit(e) à ${toGsm7(schoolRow.name_fr)}, code Massar ${massarCode}. Présentez-vous avant le 15/07/2027 avec l'original de l'acte de naissance et la CIN du tuteur. Adresse : ${t.config.publicBaseUrl}/pre-registrations/${reference}?lang=fr`);
    const mails = await messages(email, 2);
    expect(mails[1].body).toContain(lang === 'ar' ? `- متى: قبل ${LRI}15/07/2027${PDI}، خلال أوقات عمل إدارة المؤسسة\n` : "- Quand : au plus tard le 15/07/2027, aux heures d'ouverture de l'administration de l'établissement\n");
    expect(mails[1].body).toContain(lang === 'ar' ? `- أين: ${schoolRow.name_ar}، ${schoolRow.address_ar}\n` : `- Où : ${schoolRow.name_fr}, ${schoolRow.address_fr}\n`);
  });

  test('withdrawal: a secondary link, a confirmation page saying what it ends, then a POST with the CSRF token; a correction asked afterwards is "processing ended"', async () => {
    const { reference, certificate, sms } = await submitted(lang);
    const holder = await unlockedBrowser(reference, certificate, lang);
    const status = await (await holder.get(`/pre-registrations/${reference}`)).text();
    expect(status).toContain(`<a class="button secondary" href="/pre-registrations/${reference}/withdraw" id="withdraw-link">`);
    expect(status).not.toContain('class="danger"');

    const confirmPage = await holder.get(`/pre-registrations/${reference}/withdraw`);
    expect(confirmPage.status).toBe(200);
    const html = await confirmPage.text();
    expect(items(html, 'withdraw-ends')).toEqual(T.ends);
    expect(html).toContain(`<button type="submit" class="danger" id="confirm-withdraw">${T.confirm}</button>`);
    expect(html).toContain(`<a class="button secondary" href="/pre-registrations/${reference}#manage" id="cancel-withdraw">`);
    // Someone without the proof is sent back to the status page, not shown the confirmation.
    const stranger = await new Browser(t.baseUrl).get(`/pre-registrations/${reference}/withdraw`);
    expect(stranger.status).toBe(303);
    expect(stranger.headers.get('location')).toBe(`/pre-registrations/${reference}#manage`);

    const csrf = inputValue(html, '_csrf')!;
    expect((await holder.postForm(`/pre-registrations/${reference}/withdraw`, { confirm: 'yes' })).status).toBe(403); // no CSRF token
    const unconfirmed = await holder.postForm(`/pre-registrations/${reference}/withdraw`, { _csrf: csrf });
    expect(unconfirmed.status).toBe(303);
    expect(unconfirmed.headers.get('location')).toBe(`/pre-registrations/${reference}/withdraw`);
    expect((await t.temporal.status(reference)).status).toBe('underReview');

    const done = await holder.postForm(`/pre-registrations/${reference}/withdraw`, { _csrf: csrf, confirm: 'yes' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/pre-registrations/${reference}?withdrawn=1`);
    expect((await t.temporal.handle(reference).result()).status).toBe('withdrawn');
    const again = await holder.get(`/pre-registrations/${reference}/withdraw`);
    expect(again.headers.get('location')).toBe(`/pre-registrations/${reference}?refused=cannotWithdraw#manage`);
    expect((await messages(sms, 2))[1].body).toBe(lang === 'ar'
      ? `تسجيل: تم سحب طلب تسجيل ياسين رقم ${LRI}${reference}${PDI} بطلب منكم. يمكنكم تقديم طلب جديد خلال فترة التسجيل.`
      : `Tasjil : la demande de pré-inscription de l'enfant Yassine (réf. ${reference}) a été retirée à votre demande. Vous pouvez en déposer une nouvelle pendant la période d'inscription.`);

    // The director, too late: the request's processing ended (not "already decided").
    const refused = await requestCorrection({ em: t.orm.em.fork(), temporal: t.temporal }, reference, 'Merci de corriger.', 'director-test').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DecisionRefused);
    expect((refused as DecisionRefused).code).toBe('workflowEnded');
  });

  test('the staff header names the role and the school in the page\'s language', async () => {
    const b = new Browser(t.baseUrl);
    await signInStaff(b, school.director.username, school.director.password, { lang });
    const page = await (await b.get(`/staff/requests?lang=${lang}`)).text();
    expect(inner(page, 'staff-who')).toBe(lang === 'ar' ? `مدير(ة) المؤسسة — ${schoolRow.name_ar}` : `Direction de l&#x27;établissement — ${schoolRow.name_fr}`);
  });
});
