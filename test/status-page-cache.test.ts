/**
 * The public status page's HTML cache (issue 10, web CPU per read): an anonymous reader without
 * proof may get a page kept from an earlier read of the same model, but never another language's
 * page, never a stale status, and always a CSRF token of their own that the unlock form accepts.
 * Real PostgreSQL, Temporal and HTTP.
 */
import { randomUUID } from 'node:crypto';
import { demoSchool, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue } from './support/http';

let t: TestApp;
let reference: string;
let certificate: string;

beforeAll(async () => {
  t = await startTestApp({ withWorker: false });
  const school = await demoSchool(t);
  const base = validSubmission(school);
  certificate = `CACHE-${randomUUID().slice(0, 8)}`;
  const body = {
    ...base, civilStatus: { ...base.civilStatus, birthCertificateNumber: certificate },
    father: { ...base.father, email: `cache-${randomUUID().slice(0, 8)}@example.ma` },
    photo: { data: (await testPhoto()).toString('base64') },
  };
  const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  ({ reference } = (await res.json()) as { reference: string });
});
afterAll(async () => {
  await t?.stop();
});

const sql = (query: string, params: unknown[] = []) => t.orm.em.fork().getConnection().execute(query, params);
const page = async (b: Browser, path: string) => {
  const res = await b.get(path);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toContain('no-store');
  return res.text();
};
const withoutToken = (html: string) => html.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');

test('each visitor gets the same page with a CSRF token of their own, which the unlock form accepts', async () => {
  const a = new Browser(t.baseUrl);
  const b = new Browser(t.baseUrl);
  const first = await page(a, `/pre-registrations/${reference}`);
  const second = await page(b, `/pre-registrations/${reference}`);
  const tokenA = inputValue(first, '_csrf');
  const tokenB = inputValue(second, '_csrf');
  expect(tokenA).toMatch(/^[0-9a-f]{64}\.[0-9a-f]{64}$/);
  expect(tokenB).toMatch(/^[0-9a-f]{64}\.[0-9a-f]{64}$/);
  expect(tokenB).not.toBe(tokenA);
  expect(withoutToken(second)).toBe(withoutToken(first));
  expect(second).toContain(`data-status="submitted"`);

  // B's token is bound to B's visitor cookie: it does not work for A, it does for B (a wrong number: told so, not refused).
  expect((await a.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: tokenB!, birthCertificateNumber: 'nope' })).status).toBe(403);
  const wrong = await b.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: tokenB!, birthCertificateNumber: 'nope' });
  expect(wrong.status).toBe(303);
  expect(wrong.headers.get('location')).toMatch(new RegExp(`^/pre-registrations/${reference}\\?unlock=failed&remaining=\\d+#manage$`));
  const failed = await page(b, wrong.headers.get('location')!.replace('#manage', ''));
  expect(failed).toContain('id="birthCertificateNumber-error"');
  expect(inputValue(failed, '_csrf')).toBe(tokenB);

  // The right number, with A's own token: A sees the details (a page with proof, never from the cache).
  const unlock = await a.postForm(`/pre-registrations/${reference}/unlock`, { _csrf: tokenA!, birthCertificateNumber: certificate });
  expect(unlock.status).toBe(303);
  const proved = await page(a, `/pre-registrations/${reference}`);
  expect(proved).toContain('id="child-first-name"');
  expect(proved).toContain(`href="/pre-registrations/${reference}/withdraw"`);
  // B still sees the page without details.
  expect(await page(b, `/pre-registrations/${reference}`)).not.toContain('id="child-first-name"');
});

test('the cache never serves another language: Arabic, French, French by cookie, Arabic again', async () => {
  const v = new Browser(t.baseUrl);
  const ar = await page(new Browser(t.baseUrl), `/pre-registrations/${reference}`);
  expect(ar).toContain('<html lang="ar" dir="rtl">');
  const fr = await page(v, `/pre-registrations/${reference}?lang=fr`);
  expect(fr).toContain('<html lang="fr" dir="ltr">');
  expect(fr).toContain('hreflang="ar"');
  // The language remembered in the cookie, without ?lang: French, the same page (same model: the switch link to Arabic).
  const frByCookie = await page(v, `/pre-registrations/${reference}`);
  expect(frByCookie).toContain('<html lang="fr" dir="ltr">');
  expect(withoutToken(frByCookie)).toBe(withoutToken(fr));
  const arAgain = await page(new Browser(t.baseUrl), `/pre-registrations/${reference}`);
  expect(arAgain).toContain('<html lang="ar" dir="rtl">');
  expect(withoutToken(arAgain)).toBe(withoutToken(ar));
});

test('a changed status shows at once (the cache is keyed by the whole model)', async () => {
  const v = new Browser(t.baseUrl);
  const before = await page(v, `/pre-registrations/${reference}`);
  expect(before).toContain('data-status="submitted"');
  await page(v, `/pre-registrations/${reference}`); // kept now
  await sql(`update pre_registration set status = 'underReview' where reference = ?`, [reference]);
  const after = await page(v, `/pre-registrations/${reference}`);
  expect(after).toContain('data-status="underReview"');
  expect(after).not.toContain('data-status="submitted"');
  await sql(`update pre_registration set status = 'submitted' where reference = ?`, [reference]);
  expect(await page(v, `/pre-registrations/${reference}`)).toContain('data-status="submitted"');
});
