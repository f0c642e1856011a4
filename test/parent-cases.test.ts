/**
 * Every parent-facing case of the shared acceptance file (test/acceptance/cases.json, a copy of
 * ../shared/acceptance/cases.json) through the parents' space over real HTTP, as a parent types it:
 * phone numbers and CIN numbers on the parents step (stored in E.164 / upper case without spaces
 * once submitted, or refused at the field), the Hijri date computed and shown on the civil-status
 * step, and a Hijri date typed from the certificate accepted within 2 days or refused naming the
 * expected date. (The age-rule, age and search cases are the director's: see domain/age.test.ts,
 * domain/dates.test.ts and test/director.test.ts.)
 */
import cases from './acceptance/cases.json';
import { PreRegistration } from '../entities';
import { gregorianToHijri } from '../domain/hijri';
import { demoSchool, startTestApp, validSubmission, type TestApp } from './support/app';
import { toFormFields } from './support/http';
import { spaceHelpers } from './support/space';

type PhoneCase = { input: string; e164?: string; mobile?: boolean; error?: string };
type CinCase = { input: string; normalized?: string; error?: string };
type HijriCase = { gregorian: string; computedHijri?: string; enteredHijri?: string; expected?: 'consistent' | 'inconsistent' };

let t: TestApp;
let school: Awaited<ReturnType<typeof demoSchool>>;
let H: ReturnType<typeof spaceHelpers>;

beforeAll(async () => {
  t = await startTestApp();
  school = await demoSchool(t);
  const [row] = await t.orm.em.fork().getConnection().execute<{ academy_code: string }[]>('select academy_code from provincial_directorate where code = ?', [school.directorateCode]);
  H = spaceHelpers(t, school, { academy: row.academy_code, directorate: school.directorateCode });
});
afterAll(async () => { await t?.stop(); });

const parentsFields = (father: Record<string, string>) => {
  const s = validSubmission(school);
  return [['guardianRole', 'father'] as [string, string], ...toFormFields({ father: { ...s.father, ...father }, mother: s.mother })];
};
let n = 0;
const certificate = () => `CASE-${Date.now()}-${(n += 1)}`;

describe('phones (cases.json) on the parents step', () => {
  test.each(cases.phones.cases as PhoneCase[])('$input', async (c) => {
    const { b } = await H.newParent();
    const draftId = await H.newDraftId(b);
    if (c.error) {
      await H.fillAllSteps(b, draftId, certificate());
      const res = await H.postStep(b, draftId, 'parents', parentsFields({ phone: c.input }));
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('<span class="error-message" id="father-phone-error">Numéro de téléphone invalide (exemple : 0612345678).</span>');
      expect(html).toContain(`value="${c.input}"`);
      return;
    }
    await H.fillAllSteps(b, draftId, certificate(), { father: { phone: c.input } });
    const reference = await H.submitReview(b, draftId);
    const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
    expect([pr.father.phone, pr.contactPhone, pr.contactPhoneIsMobile]).toEqual([c.e164, c.e164, c.mobile]);
  });
});

describe('cin (cases.json) on the parents step', () => {
  test.each(cases.cin.cases as CinCase[])('$input', async (c) => {
    const { b } = await H.newParent();
    const draftId = await H.newDraftId(b);
    if (c.error) {
      await H.fillAllSteps(b, draftId, certificate());
      const res = await H.postStep(b, draftId, 'parents', parentsFields({ cin: c.input }));
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('<span class="error-message" id="father-cin-error">');
      expect(html).toContain(`value="${c.input}"`);
      return;
    }
    await H.fillAllSteps(b, draftId, certificate(), { father: { cin: c.input } });
    const reference = await H.submitReview(b, draftId);
    const pr = await t.orm.em.fork().findOneOrFail(PreRegistration, { reference });
    expect(pr.father.cin).toBe(c.normalized);
  });
});

describe('hijri (cases.json) on the civil-status step', () => {
  test.each(cases.hijri.cases as HijriCase[])('$gregorian $enteredHijri', async (c) => {
    const { b } = await H.newParent();
    const draftId = await H.newDraftId(b);
    await H.postStep(b, draftId, 'child', [['level', 'primary1'], ...toFormFields({ child: validSubmission(school).child })]);
    const civil = { ...validSubmission(school).civilStatus, birthDate: c.gregorian, birthCertificateDate: c.gregorian, birthDateHijri: c.enteredHijri ?? '' };
    const res = await H.postStep(b, draftId, 'civilStatus', toFormFields({ civilStatus: civil }));
    const computed = gregorianToHijri(c.gregorian);
    if (c.computedHijri) {
      expect(computed).toBe(c.computedHijri);
      // Saved with the Hijri date missing: the page asks the parent to confirm the computed one.
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('<span class="error-message" id="civilStatus-hijriConfirm-error">Choisissez une réponse.</span>');
      expect(html).toContain(`<label for="civilStatus-hijriConfirm-0">Oui, c&#x27;est la même date (<bdi dir="ltr">${c.computedHijri}</bdi>)</label>`);
      return;
    }
    if (c.expected === 'consistent') {
      expect(res.status).toBe(303);
      return;
    }
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain(`id="civilStatus-birthDateHijri-error"`);
    expect(html).toContain(computed);
    expect(html).toContain(`value="${c.enteredHijri}"`);
  });
});
