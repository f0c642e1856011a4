/**
 * The parent's side after submission, through real HTTP: a correction asked by the director and
 * made by the parent (API and pages), and a withdrawal; each verified by the birth certificate number.
 */
import { randomUUID } from 'node:crypto';
import { PreRegistration } from '../entities';
import { requestCorrection } from '../web/services/preRegistrations';
import { demoSchool, eventually, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';

let t: TestApp;
let photo: Buffer;
let school: Awaited<ReturnType<typeof demoSchool>>;

beforeAll(async () => {
  t = await startTestApp();
  photo = await testPhoto();
  school = await demoSchool(t);
});
afterAll(async () => { await t?.stop(); });

async function submitted(certificate: string) {
  const base = validSubmission(school);
  const body = { ...base, civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate }, photo: { data: photo.toString('base64') } };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  const { reference } = await res.json() as { reference: string };
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
  return { reference, body };
}

test('correction round trip through the API: director asks, parent corrects, checks re-run, back under review', async () => {
  const certificate = `COR-${Date.now()}`;
  const { reference, body } = await submitted(certificate);
  await requestCorrection({ em: t.orm.em.fork(), temporal: t.temporal }, reference, 'يرجى تصحيح الاسم العائلي للطفل كما ورد في رسم الولادة.', 'director-test');
  await eventually(async () => (await t.temporal.status(reference)).status === 'correctionRequested');

  const put = (headers: Record<string, string>, payload: unknown) => fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}`, {
    method: 'PUT', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(payload),
  });
  const corrected = { ...body, child: { ...body.child, lastNameAr: 'العلوي الإدريسي', lastNameLatin: 'El Alaoui El Idrissi' } };
  expect((await put({ 'X-Birth-Certificate-Number': 'WRONG' }, corrected)).status).toBe(403);
  const invalid = await put({ 'X-Birth-Certificate-Number': certificate }, { ...corrected, child: { ...corrected.child, lastNameLatin: 'العلوي' } });
  expect(invalid.status).toBe(400);
  const ok = await put({ 'X-Birth-Certificate-Number': certificate }, corrected);
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ reference, status: 'underReview' }); // answered once the checks ran again
  const state = await eventually(async () => {
    const s = await t.temporal.status(reference);
    return s.status === 'underReview' ? s : null;
  });
  expect(state.corrections).toBe(1);
  expect(state.checks).toEqual({ age: 'eligible', zone: 'inZone', duplicate: 'none', hijriConsistency: 'consistent' });
  const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
  expect(pr.childLastNameLatin).toBe('El Alaoui El Idrissi');
  expect(pr.searchText).toContain('idrissi');
  // No correction awaited any more, and the request was opened (the director asked for a correction): no edit either.
  const again = await put({ 'X-Birth-Certificate-Number': certificate }, corrected);
  expect(again.status).toBe(409);
  expect((await again.json() as { error: string }).error).toBe('alreadyOpened');
});

test('pages: the parent unlocks with the certificate number, corrects, then withdraws', async () => {
  const certificate = `PCOR-${Date.now()}`;
  const { reference } = await submitted(certificate);
  await requestCorrection({ em: t.orm.em.fork(), temporal: t.temporal }, reference, 'Merci de corriger le prénom latin.', 'director-test');
  await eventually(async () => (await t.temporal.status(reference)).status === 'correctionRequested');

  const parent = new Browser(t.baseUrl);
  const statusHtml = await (await parent.get(`/pre-registrations/${reference}`)).text();
  // The director's message is personal data: shown after the birth certificate number only.
  expect(statusHtml).not.toContain('Merci de corriger le prénom latin.');
  const csrf = inputValue(statusHtml, '_csrf')!;
  const failed = await parent.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: csrf, birthCertificateNumber: 'nope' });
  expect(failed.headers.get('location')).toBe(`/pre-registrations/${reference}?unlock=failed&remaining=4#manage`);
  const unlocked = await parent.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: csrf, birthCertificateNumber: certificate.toLowerCase() });
  expect(unlocked.headers.get('location')).toBe(`/pre-registrations/${reference}#manage`);
  expect(await (await parent.get(`/pre-registrations/${reference}`)).text()).toContain('Merci de corriger le prénom latin.');

  const formPage = await parent.get(`/pre-registrations/${reference}/correct`);
  expect(formPage.status).toBe(200);
  const formHtml = await formPage.text();
  expect(inputValue(formHtml, 'child[firstNameLatin]')).toBe('Yassine');
  expect(inputValue(formHtml, 'civilStatus[birthCertificateNumber]')).toBe(certificate);
  const fd = new FormData();
  for (const [tag] of formHtml.matchAll(/<input[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(tag)?.[1];
    const value = /value="([^"]*)"/.exec(tag)?.[1];
    if (!name || value === undefined || (tag.includes('type="radio"') && !/ checked[ >]/.test(tag))) continue;
    fd.append(name, value.replace(/&amp;/g, '&').replace(/&#x3D;/g, '='));
  }
  fd.set('child[firstNameLatin]', 'Yacine');
  const posted = await parent.postMultipart(`/pre-registrations/${reference}/correct`, fd);
  if (posted.status !== 303) throw new Error((await posted.text()).match(/<div class="error-summary"[\s\S]*?<\/div>/)?.[0] ?? String(posted.status));
  expect(posted.status).toBe(303);
  expect(posted.headers.get('location')).toBe(`/pre-registrations/${reference}?corrected=1`);
  await eventually(async () => (await t.temporal.status(reference)).status === 'underReview');
  expect((await t.orm.em.fork().findOneOrFail(PreRegistration, { reference })).childFirstNameLatin).toBe('Yacine');

  // Withdrawal goes through its confirmation page (what it ends), then the POST with the CSRF token.
  const page2 = await (await parent.get(`/pre-registrations/${reference}`)).text();
  expect(page2).toContain(`href="/pre-registrations/${reference}/withdraw"`);
  const confirm = await (await parent.get(`/pre-registrations/${reference}/withdraw`)).text();
  const withdrawn = await parent.postForm(`/pre-registrations/${reference}/withdraw`, { _csrf: inputValue(confirm, '_csrf')!, confirm: 'yes' });
  expect(withdrawn.headers.get('location')).toBe(`/pre-registrations/${reference}?withdrawn=1`);
  const result = await t.temporal.handle(reference).result();
  expect(result.status).toBe('withdrawn');
  const final = await (await parent.get(`/pre-registrations/${reference}`)).text();
  expect(final).toContain('data-status="withdrawn"');
});

test('API withdrawal: refused without the certificate number, accepted with it, then refused as ended', async () => {
  const certificate = `WD-${Date.now()}`;
  const { reference } = await submitted(certificate);
  const withdraw = (cert?: string) => fetch(`${t.baseUrl}/api/v1/pre-registrations/${reference}/withdraw`, {
    method: 'POST', headers: cert ? { 'X-Birth-Certificate-Number': cert } : {},
  });
  expect((await withdraw()).status).toBe(403);
  const ok = await withdraw(certificate);
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ reference, status: 'withdrawn' });
  await t.temporal.handle(reference).result();
  const late = await withdraw(certificate);
  expect(late.status).toBe(409);
  expect((await late.json() as { error: string }).error).toBe('workflowEnded');
});
