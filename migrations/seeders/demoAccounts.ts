/**
 * Demo staff accounts, created only for the demo: a director per demo school (group schools
 * included; satellite units are reviewed by their group school's director), a provincial
 * supervisor per demo directorate, an academy supervisor per demo academy, and one administrator.
 * All share the demo password `DEMO_PASSWORD`, stored as an argon2id hash, and are enrolled in the
 * second factor with `DEMO_TOTP_SECRET` (stored encrypted with `STAFF_TOTP_KEY`).
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { StaffRole } from '../../entities/staff';
import { upsertRows, type SqlValue, type UpsertCounts } from './sql';
import { openSecret, sealSecret } from '../../entities/staffSecret';

/** The password of every demo account (printed by the start command; demo only). */
export const DEMO_PASSWORD = 'Tasjil-Demo-2027';
/**
 * The second-factor (TOTP) secret every demo staff account is enrolled with (base32; printed by the
 * start command; `npx tsx scripts/totp.ts` gives its current code). Demo only: a real account
 * enrols with its own secret at its first sign-in.
 */
export const DEMO_TOTP_SECRET = 'TASJILDEMOSTAFFSECRETXYZ234567AB';

/** A demo sign-in as returned to the start command: role, username, password and a human label of the scope. */
export interface DemoAccount {
  role: StaffRole;
  username: string;
  password: string;
  /** What the account sees, e.g. `École primaire Ibn Khaldoun — مدرسة ابن خلدون الابتدائية (04421A01)`. */
  scope: string;
}

/** What `seedDemoAccounts` did. */
export interface DemoAccountsSeedResult {
  accounts: DemoAccount[];
  upserts: UpsertCounts;
  /** Number of argon2id hashes computed by this run (0 when the stored hash already verified). */
  hashesComputed: number;
}

interface Spec {
  role: StaffRole;
  username: string;
  displayName: string;
  scope: string;
  schoolCode: string | null;
  directorateCode: string | null;
  academyCode: string | null;
}

const clip = (s: string, n: number): string => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** Username of a school's director: `director.<schoolCode>`. */
export const directorUsername = (schoolCode: string): string => `director.${schoolCode}`;
/** Username of a directorate's supervisor: `supervisor.<directorateCode>` (e.g. `supervisor.04.421`). */
export const supervisorUsername = (directorateCode: string): string => `supervisor.${directorateCode}`;
/** Username of an academy's supervisor: `academy.<academyCode>` (e.g. `academy.04`). */
export const academyUsername = (academyCode: string): string => `academy.${academyCode}`;
/** Username of the demo administrator. */
export const ADMIN_USERNAME = 'admin';

/**
 * Creates or refreshes the demo accounts for the given demo schools (codes; satellite units are
 * skipped) on `em` (call inside a transaction). Idempotent: an existing account keeps its id and,
 * when its hash verifies `DEMO_PASSWORD`, its hash; otherwise the password is reset to the demo
 * password. All accounts share one argon2id hash, so a warm start verifies one hash (~0.3 s) and
 * computes none. Accounts are active, scoped to their school / directorate / academy.
 * @throws Error when a school code is unknown.
 */
export async function seedDemoAccounts(em: EntityManager, schoolCodes: string[], totpKey: Buffer): Promise<DemoAccountsSeedResult> {
  const schools = await em.execute<Array<{ code: string; kind: string; name_ar: string; name_fr: string; directorate_code: string }>>(
    `select code, kind, name_ar, name_fr, directorate_code from school where code in (${schoolCodes.map(() => '?').join(', ')}) order by code`,
    schoolCodes,
    'all',
  );
  const missing = schoolCodes.filter((c) => !schools.some((s) => s.code === c));
  if (missing.length > 0) throw new Error(`Demo accounts: unknown schools ${missing.join(', ')}`);
  const directorateCodes = [...new Set(schools.map((s) => s.directorate_code))];
  const directorates = await em.execute<Array<{ code: string; name_ar: string; name_fr: string; academy_code: string }>>(
    `select code, name_ar, name_fr, academy_code from provincial_directorate where code in (${directorateCodes.map(() => '?').join(', ')}) order by code`,
    directorateCodes,
    'all',
  );
  const academyCodes = [...new Set(directorates.map((d) => d.academy_code))];
  const academies = await em.execute<Array<{ code: string; name_ar: string; name_fr: string }>>(
    `select code, name_ar, name_fr from academy where code in (${academyCodes.map(() => '?').join(', ')}) order by code`,
    academyCodes,
    'all',
  );

  const specs: Spec[] = [
    {
      role: 'administrator',
      username: ADMIN_USERNAME,
      displayName: 'Administrateur·rice (démo)',
      scope: 'Toutes les académies — جميع الأكاديميات',
      schoolCode: null,
      directorateCode: null,
      academyCode: null,
    },
    ...academies.map((a): Spec => ({
      role: 'academySupervisor',
      username: academyUsername(a.code),
      displayName: clip(`Superviseur·e (démo) — ${a.name_fr}`, 120),
      scope: `${a.name_fr} — ${a.name_ar} (${a.code})`,
      schoolCode: null,
      directorateCode: null,
      academyCode: a.code,
    })),
    ...directorates.map((d): Spec => ({
      role: 'provincialSupervisor',
      username: supervisorUsername(d.code),
      displayName: clip(`Superviseur·e (démo) — Direction provinciale ${d.name_fr}`, 120),
      scope: `Direction provinciale ${d.name_fr} — المديرية الإقليمية ${d.name_ar} (${d.code})`,
      schoolCode: null,
      directorateCode: d.code,
      academyCode: null,
    })),
    ...schools
      .filter((s) => s.kind !== 'satelliteUnit')
      .map((s): Spec => ({
        role: 'director',
        username: directorUsername(s.code),
        displayName: clip(`Direction (démo) — ${s.name_fr}`, 120),
        scope: `${s.name_fr} — ${s.name_ar} (${s.code})`,
        schoolCode: s.code,
        directorateCode: null,
        academyCode: null,
      })),
  ];

  const usernames = specs.map((s) => s.username);
  const existing = await em.execute<Array<{ username: string; password_hash: string }>>(
    `select username, password_hash from staff_user where username in (${usernames.map(() => '?').join(', ')})`,
    usernames,
    'all',
  );
  // Loaded lazily: only the demo needs hashing (and argon2 is a native module).
  const argon2 = await import('argon2');
  const valid = new Set<string>();
  for (const h of new Set(existing.map((e) => e.password_hash))) {
    if (await argon2.verify(h, DEMO_PASSWORD).catch(() => false)) valid.add(h);
  }
  const storedHash = new Map(existing.map((e) => [e.username, e.password_hash]));
  const keepsHash = (username: string): boolean => valid.has(storedHash.get(username) ?? '');
  let shared = [...valid][0];
  let hashesComputed = 0;
  if (shared === undefined && specs.some((s) => !keepsHash(s.username))) {
    shared = await argon2.hash(DEMO_PASSWORD, { type: argon2.argon2id });
    hashesComputed = 1;
  }
  const hashOf = (username: string): string => (keepsHash(username) ? storedHash.get(username)! : shared!);

  const now = new Date().toISOString();
  const upserts = await upsertRows(
    em,
    'staff_user',
    ['id', 'username', 'password_hash', 'display_name', 'email', 'role', 'school_code', 'directorate_code', 'academy_code', 'active', 'created_at'],
    specs.map((s): SqlValue[] => [randomUUID(), s.username, hashOf(s.username), s.displayName, `${s.username.toLowerCase()}@demo.tasjil.test`, s.role, s.schoolCode, s.directorateCode, s.academyCode, true, now]),
    ['username'],
    ['password_hash', 'display_name', 'email', 'role', 'school_code', 'directorate_code', 'academy_code', 'active'],
  );
  // The second factor: enrolled with the demo secret (kept when it already decrypts to it).
  const enrolled = await em.execute<Array<{ id: string; totp_secret: string | null; totp_enrolled_at: Date | null }>>(
    `select id, totp_secret, totp_enrolled_at from staff_user where username in (${usernames.map(() => '?').join(', ')})`, usernames, 'all',
  );
  const isDemoSecret = (sealed: string | null) => {
    try {
      return sealed !== null && openSecret(totpKey, sealed) === DEMO_TOTP_SECRET;
    } catch {
      return false;
    }
  };
  for (const row of enrolled) {
    if (isDemoSecret(row.totp_secret) && row.totp_enrolled_at) continue;
    await em.execute('update staff_user set totp_secret = ?, totp_enrolled_at = ?, totp_last_step = null where id = ?', [sealSecret(totpKey, DEMO_TOTP_SECRET), now, row.id], 'run');
  }
  return {
    accounts: specs.map((s) => ({ role: s.role, username: s.username, password: DEMO_PASSWORD, scope: s.scope })),
    upserts,
    hashesComputed,
  };
}
