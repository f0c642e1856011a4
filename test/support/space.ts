/**
 * Shared steps of the parents' space tests over real HTTP: a verified account (code read from the
 * messaging sandbox), the steps of the form posted as a browser without JavaScript would, the review.
 */
import { randomUUID } from 'node:crypto';
import { eventually, testPhoto, validSubmission, type TestApp, type demoSchool } from './app';
import { Browser, inputValue, toFormFields } from './http';
import { currentNotice } from '../../web/services/privacy';

type School = Awaited<ReturnType<typeof demoSchool>>;

/** Parents' space helpers bound to one test app and demo school. */
export function spaceHelpers(t: TestApp, school: School, chain: { academy: string; directorate: string }) {
  let photo: Buffer | null = null;
  /** The last message the sandboxes captured for `recipient` (email address or E.164 number). */
  async function lastMessage(recipient: string): Promise<{ channel: string; subject: string | null; body: string }> {
    return eventually(async () => {
      const rows = await t.orm.em.fork().getConnection().execute<{ channel: string; subject: string | null; body: string }[]>(
        'select channel, subject, body from dev_outbox_message where recipient = ? order by id desc limit 1', [recipient]);
      return rows[0];
    });
  }
  const codeIn = (body: string) => /\b(\d{6})\b/.exec(body)?.[1] ?? '';

  async function csrfOf(b: Browser, path: string): Promise<{ html: string; token: string }> {
    const res = await b.get(path);
    const html = await res.text();
    return { html, token: inputValue(html, '_csrf') ?? '' };
  }

  /** Signs up and verifies a new account; returns its browser and identifier. */
  async function newParent(identifier = `parent-${randomUUID().slice(0, 8)}@example.ma`, password = 'Jardin-Tanger-2027'): Promise<{ b: Browser; identifier: string; password: string }> {
    const b = new Browser(t.baseUrl);
    const { token } = await csrfOf(b, '/account/sign-up?lang=fr');
    const res = await b.postForm('/account/sign-up', { _csrf: token, identifier, password, passwordConfirm: password, next: '/space' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account/verify');
    const msg = await lastMessage(identifier.includes('@') ? identifier.toLowerCase() : `+212${identifier.replace(/\D/g, '').slice(1)}`);
    const v = await csrfOf(b, '/account/verify');
    const ok = await b.postForm('/account/verify', { _csrf: v.token, code: codeIn(msg.body) });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/space');
    return { b, identifier, password };
  }

  async function signInAgain(identifier: string, password: string): Promise<Browser> {
    const b = new Browser(t.baseUrl);
    const { token } = await csrfOf(b, '/account/sign-in?lang=fr');
    const res = await b.postForm('/account/sign-in', { _csrf: token, identifier, password, next: '/space' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/space');
    return b;
  }

  async function postStep(b: Browser, draftId: string, step: string, fields: Array<[string, string]>, action = 'next'): Promise<Response> {
    const { token } = await csrfOf(b, `/space/drafts/${draftId}/${step}`);
    const body = new URLSearchParams([['_csrf', token], ['action', action], ...fields]);
    return b.request(`/space/drafts/${draftId}/${step}`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  }

  async function newDraftId(b: Browser): Promise<string> {
    const { token } = await csrfOf(b, '/space');
    const res = await b.postForm('/space/drafts', { _csrf: token });
    expect(res.status).toBe(303);
    const m = /^\/space\/drafts\/([0-9a-f-]{36})\/child$/.exec(res.headers.get('location') ?? '');
    expect(m).not.toBeNull();
    return m![1];
  }

  /** Fills every step with a valid submission; stops before the review. */
  async function fillAllSteps(b: Browser, draftId: string, certificate: string, opts: { skipParents?: boolean; father?: Record<string, string>; civilStatus?: Record<string, string> } = {}) {
    const base = validSubmission(school);
    const s = { ...base, father: { ...base.father, ...opts.father }, civilStatus: { ...base.civilStatus, ...opts.civilStatus } };
    const steps: Array<[string, Array<[string, string]>]> = [
      ['child', [['level', 'primary1'], ...toFormFields({ child: s.child }), ['civilStatus[birthDate]', s.civilStatus.birthDate]]],
      ['civilStatus', toFormFields({ civilStatus: { ...s.civilStatus, birthCertificateNumber: certificate } })],
      ['siblings', [['hasSiblings', 'no'], ...toFormFields({ siblings: [{ firstNameAr: '', lastNameAr: '', firstNameLatin: '', lastNameLatin: '', birthDate: '' }] })]],
      ['guardian', [['guardianRole', 'father']]],
    ];
    if (!opts.skipParents) steps.push(['parents', toFormFields({ father: s.father, mother: s.mother })]);
    for (const [step, fields] of steps) {
      const res = await postStep(b, draftId, step, fields);
      expect([step, res.status]).toEqual([step, 303]);
    }
    if (opts.skipParents) {
      // The parents' details came from the profile: "next" with what the page shows.
      const page = await (await b.get(`/space/drafts/${draftId}/parents`)).text();
      expect(inputValue(page, 'father[firstNameLatin]')).toBe('Mohammed');
      const res = await postStep(b, draftId, 'parents', toFormFields({ father: s.father, mother: s.mother }));
      expect(res.status).toBe(303);
    }
    const res = await postStep(b, draftId, 'school', [
      ['residence[academy]', chain.academy], ['residence[directorate]', chain.directorate],
      ['residence[communeCode]', school.communeCode], ['residence[residenceZoneCode]', school.zoneCode], ['schoolPick', school.schoolCode],
    ]);
    expect(res.status).toBe(303);
    const { token } = await csrfOf(b, `/space/drafts/${draftId}/photo`);
    const form = new FormData();
    form.set('_csrf', token);
    form.set('action', 'next');
    photo ??= await testPhoto();
    form.set('photo', new Blob([new Uint8Array(photo)], { type: 'application/octet-stream' }), 'IMG_0001.bin');
    const up = await b.postMultipart(`/space/drafts/${draftId}/photo`, form);
    expect(up.status).toBe(303);
    expect(up.headers.get('location')).toBe(`/space/drafts/${draftId}/review`);
  }

  async function submitReview(b: Browser, draftId: string): Promise<string> {
    const { html, token } = await csrfOf(b, `/space/drafts/${draftId}/review`);
    expect(html).toContain('id="submit-request"');
    const res = await b.postForm(`/space/drafts/${draftId}/review`, { _csrf: token, privacyNoticeVersion: currentNotice().version });
    expect(res.status).toBe(303);
    const m = /^\/pre-registrations\/(P\d{2}-[0-9A-Z]{5}-[0-9A-Z]{5})\?(submitted|edited|corrected)=1$/.exec(res.headers.get('location') ?? '');
    expect(m).not.toBeNull();
    return m![1];
  }


  return { lastMessage, codeIn, csrfOf, newParent, signInAgain, postStep, newDraftId, fillAllSteps, submitReview };
}
