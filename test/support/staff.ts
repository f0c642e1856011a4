/**
 * Staff sign-in for tests: the password, then the second-factor step with the TOTP code computed
 * from the demo secret (every demo staff account is enrolled with it by the seeder), as a person
 * with an authenticator app would. A code is accepted once (see `forgetLastStep` for suites that
 * sign the same account in many times within 30 seconds).
 */
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { DEMO_TOTP_SECRET } from '../../migrations/seeders/demoAccounts';
import type { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { StaffUser } from '../../entities';
import { createApiToken } from '../../web/services/apiTokens';
import { Browser, inputValue } from './http';

/** The TOTP code of `secret` at `at` plus `steps` 30-second steps. */
export function totpCode(secret = DEMO_TOTP_SECRET, steps = 0, at = Date.now()): Promise<string> {
  return generate({ secret, epoch: Math.floor(at / 1000) + steps * 30 });
}


/**
 * Suites run in parallel and sign the same demo accounts in, and a code is accepted once: when
 * the codes of the previous, current and next steps have all been used by other sign-ins, the
 * helper skips ahead in time the only way a test can, by forgetting the account's last accepted
 * step in the database (what 30 seconds of waiting would give). The refusal of a replayed code
 * itself is tested in test/totp.test.ts, without this.
 */
async function forgetLastStep(username: string): Promise<void> {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query('update staff_user set totp_last_step = null where username = $1', [username]);
  } finally {
    await client.end();
  }
}

/** Posts the code step until a code is accepted. @returns the final answer's status. */
async function codeStep(username: string, submit: (code: string) => Promise<{ status: number; replayed: boolean }>, secret: string): Promise<number> {
  for (let round = 0; round < 2; round++) {
    for (const steps of [-1, 0, 1]) {
      const r = await submit(await totpCode(secret, steps));
      if (!r.replayed) return r.status;
    }
    await forgetLastStep(username);
  }
  throw new Error('staff sign-in: every TOTP code was refused as already used');
}

/**
 * Signs `b` in as a staff user (password, then code).
 * @returns the answer of the password step when it is not the way to the code step (a wrong
 *   password, a throttle…), else the answer of the code step (303 to the target when signed in).
 */
export async function signInStaff(b: Browser, username: string, password: string, opts: { next?: string; lang?: 'ar' | 'fr'; secret?: string } = {}): Promise<Response> {
  const login = await (await b.get(`/staff/login${opts.lang ? `?lang=${opts.lang}` : ''}`)).text();
  const first = await b.postForm('/staff/login', { _csrf: inputValue(login, '_csrf')!, username, password, next: opts.next ?? '' });
  if (first.status !== 303 || first.headers.get('location') !== '/staff/login/code') return first;
  let last: Response = first;
  await codeStep(username, async (code) => {
    const page = await (await b.get('/staff/login/code')).text();
    last = await b.postForm('/staff/login/code', { _csrf: inputValue(page, '_csrf')!, code });
    // Refused at the code step: the code was used by another suite, or its 30-second step ended
    // between computing and posting it (refused as wrong, not as used); the next code is tried, as
    // the browser helper below does (at most six, then the test fails).
    return { status: last.status, replayed: last.status === 401 };
  }, opts.secret ?? DEMO_TOTP_SECRET);
  return last;
}

/** The same in a real browser page (Playwright): fills the sign-in form, then the code form. */
export async function signInStaffPage(page: Page, baseUrl: string, username: string, password: string, opts: { path?: string; secret?: string } = {}): Promise<void> {
  await page.goto(`${baseUrl}${opts.path ?? '/staff/login'}`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/\/staff\/login\/code/), page.click('button[type=submit]')]);
  await codeStep(username, async (code) => {
    await page.fill('#code', code);
    const [res] = await Promise.all([page.waitForNavigation(), page.click('form[action="/staff/login/code"] button[type=submit]')]);
    // Still on the code step: the code was used by another suite, or its 30-second step ended
    // between computing and posting it; the next code is tried (at most six, then the test fails).
    const replayed = new URL(page.url()).pathname === '/staff/login/code';
    return { status: res?.status() ?? 0, replayed };
  }, opts.secret ?? DEMO_TOTP_SECRET);
}

/** A fresh API token of the staff user `username` (made by the same service as /staff/security). */
export async function staffApiToken(orm: MikroORM, username: string, name = 'test'): Promise<string> {
  const em = orm.em.fork();
  const user = await em.findOneOrFail(StaffUser, { username });
  return (await createApiToken(em, user, name)).token;
}
