/**
 * Parents for the campaign-message suites, in an academy and directorates that have no demo school
 * (so that no other suite's accounts fall in their scope; the reference data itself is left as it
 * is, the seeder checks it): academy `08` with directorates A and B, academy `07` with directorate C; their supervisors (copies of a demo supervisor: same password and
 * second-factor secret); accounts with and without drafts, verified or not, by email or SMS, in
 * Arabic or French. What each audience must reach is in `EXPECTED` (by account label).
 */
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { demoSchool, testPhoto, validSubmission, type TestApp } from './app';

/** Where a suite's parents live: one place per suite, since suites share the test database. */
export interface Place { academy: string; otherAcademy: string; A: string; B: string; C: string; prefix: string }
export const PLACES: Record<'main' | 'browser', Place> = {
  main: { academy: '08', otherAcademy: '07', A: '08.201', B: '08.363', C: '07.041', prefix: 'campaign' },
  browser: { academy: '05', otherAcademy: '03', A: '05.081', B: '05.091', C: '03.061', prefix: 'campaign-br' },
};
type Dir = 'A' | 'B' | 'C';
const DIR_A: Dir = 'A';
const DIR_B: Dir = 'B';
const DIR_C: Dir = 'C';
export const YEAR = '2027-2028';

/** label → (channel of its identifier, language, verified, profile directorate, drafts, linked request) */
interface AccountSpec {
  channel: 'email' | 'sms'; lang: 'ar' | 'fr'; verified: boolean; home: Dir | null;
  drafts: Array<{ year: string; dir: Dir | null; submitted?: boolean; editing?: boolean }>; request?: boolean;
}
export const ACCOUNTS: Record<string, AccountSpec> = {
  a1: { channel: 'email', lang: 'ar', verified: true, home: DIR_A, drafts: [{ year: YEAR, dir: DIR_A }] },
  a2: { channel: 'sms', lang: 'fr', verified: true, home: null, drafts: [{ year: YEAR, dir: DIR_A }] },
  a3: { channel: 'sms', lang: 'ar', verified: true, home: DIR_A, drafts: [{ year: YEAR, dir: DIR_A }] },
  a4: { channel: 'email', lang: 'fr', verified: true, home: DIR_A, drafts: [{ year: YEAR, dir: DIR_A, editing: true }], request: true },
  a5: { channel: 'email', lang: 'ar', verified: false, home: DIR_A, drafts: [{ year: YEAR, dir: DIR_A }] },
  a6: { channel: 'email', lang: 'ar', verified: true, home: DIR_A, drafts: [{ year: YEAR, dir: DIR_A }] },
  a7: { channel: 'sms', lang: 'ar', verified: true, home: DIR_A, drafts: [{ year: '2026-2027', dir: DIR_A }] },
  a8: { channel: 'email', lang: 'fr', verified: true, home: DIR_A, drafts: [{ year: YEAR, dir: DIR_A, submitted: true }] },
  b1: { channel: 'email', lang: 'ar', verified: true, home: DIR_B, drafts: [{ year: YEAR, dir: DIR_B }] },
  b2: { channel: 'sms', lang: 'fr', verified: true, home: DIR_A, drafts: [{ year: YEAR, dir: DIR_B }] },
  c1: { channel: 'email', lang: 'fr', verified: true, home: DIR_C, drafts: [{ year: YEAR, dir: DIR_C }] },
};

/** Who each audience of directorate A reaches (worked out by hand from ACCOUNTS). */
export const EXPECTED = {
  unfinishedA: ['a1', 'a2', 'a3', 'a6'],
  allA: ['a1', 'a2', 'a3', 'a4', 'a6', 'a7', 'a8', 'b2'],
  noSubmissionA: ['a1', 'a2', 'a3', 'a6', 'a7', 'a8', 'b2'],
  unfinishedB: ['b1', 'b2'],
  unfinishedAcademy: ['a1', 'a2', 'a3', 'a6', 'b1', 'b2'],
};

export interface CampaignFixtures {
  /** label → { id, identifier (email or E.164 phone) } */
  accounts: Record<string, { id: string; identifier: string }>;
  supervisorA: string; supervisorB: string; academySupervisor: string;
  place: Place;
}

/** A Moroccan mobile number no other suite uses (random). */
const phone = () => `+2126${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

export async function seedCampaignFixtures(t: TestApp, place: Place): Promise<CampaignFixtures> {
  const orm: MikroORM = t.orm;
  const conn = orm.em.fork().getConnection();
  const staff = async (username: string, role: string, directorate: string | null, academy: string | null) => {
    await conn.execute(
      `insert into staff_user (id, username, password_hash, display_name, role, directorate_code, academy_code, active, created_at, totp_secret, totp_enrolled_at)
       select ?, ?, password_hash, ?, ?, ?, ?, true, now(), totp_secret, totp_enrolled_at from staff_user where username = 'supervisor.04.421'
       on conflict (username) do nothing`,
      [randomUUID(), username, `Test ${username}`, role, directorate, academy],
    );
    return username;
  };
  const fixtures: CampaignFixtures = {
    accounts: {}, place,
    supervisorA: await staff(`${place.prefix}.sup.a`, 'provincialSupervisor', place.A, null),
    supervisorB: await staff(`${place.prefix}.sup.b`, 'provincialSupervisor', place.B, null),
    academySupervisor: await staff(`${place.prefix}.academy`, 'academySupervisor', null, place.academy),
  };
  const school = await demoSchool(t);
  for (const [label, spec] of Object.entries(ACCOUNTS)) {
    const id = randomUUID();
    const identifier = spec.channel === 'email' ? `${place.prefix}-${label}-${id.slice(0, 8)}@example.ma` : phone();
    await conn.execute(
      `insert into parent_account (id, email, phone, password_hash, language, verified_at, profile, created_at) values (?, ?, ?, 'x', ?, ?, ?, now())`,
      [id, spec.channel === 'email' ? identifier : null, spec.channel === 'sms' ? identifier : null, spec.lang, spec.verified ? new Date() : null,
        JSON.stringify(spec.home ? { residence: { academy: place[spec.home].slice(0, 2), directorate: place[spec.home] } } : {})],
    );
    for (const d of spec.drafts) {
      await conn.execute(
        `insert into pre_registration_draft (id, account_id, data, step, reference, created_at, updated_at, submitted_at) values (?, ?, ?, 'school', ?, now(), now(), ?)`,
        [randomUUID(), id, JSON.stringify({ schoolYear: d.year, level: 'primary1', residence: d.dir ? { academy: place[d.dir].slice(0, 2), directorate: place[d.dir] } : {} }),
          d.submitted || d.editing ? `TEST-${label}` : null, d.submitted ? new Date() : null],
      );
    }
    if (spec.request) {
      const base = validSubmission(school);
      const res = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
        body: JSON.stringify({
          ...base, father: { ...base.father, email: `campaign-req-${id.slice(0, 8)}@example.ma` },
          civilStatus: { ...base.civilStatus, birthCertificateNumber: `${Math.floor(Math.random() * 9000) + 1000}/2021` },
          photo: { data: (await testPhoto()).toString('base64') },
        }),
      });
      if (res.status !== 201) throw new Error(`submission refused: ${res.status} ${await res.text()}`);
      const { reference } = (await res.json()) as { reference: string };
      await conn.execute('update pre_registration set parent_account_id = ? where reference = ?', [id, reference]);
    }
    fixtures.accounts[label] = { id, identifier };
  }
  return fixtures;
}
