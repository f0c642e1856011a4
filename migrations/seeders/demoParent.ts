/**
 * The demo parent of the parents' space: `parent@demo.tasjil.test`, password `DEMO_PASSWORD`,
 * already verified, with the parents' details and the residence of the first demo school's first
 * zone in the profile (so a new child's form opens with them filled in). Demo only.
 */
import argon2 from 'argon2';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DEMO_PASSWORD } from './demoAccounts';

/** The demo parent's sign-in identifier. */
export const DEMO_PARENT_EMAIL = 'parent@demo.tasjil.test';

/**
 * Creates the demo parent when missing (idempotent: an existing account is left as it is, so a
 * demo user's changes survive a restart). Call inside a transaction, after the demo school map.
 * @returns whether the account was created by this run.
 */
export async function seedDemoParent(em: EntityManager, schoolCodes: readonly string[]): Promise<{ created: boolean }> {
  const conn = em.getConnection();
  const ctx = em.getTransactionContext();
  const existing = await conn.execute<Array<{ id: string }>>('select id from parent_account where email = ?', [DEMO_PARENT_EMAIL], 'all', ctx);
  if (existing.length) return { created: false };
  const [place] = schoolCodes.length ? await conn.execute<Array<{ zone: string; commune: string; directorate: string; academy: string }>>(
    `select z.code as zone, c.code as commune, d.code as directorate, d.academy_code as academy
       from school s join school_zone sz on sz.school_code = s.code join residence_zone z on z.code = sz.residence_zone_code
       join commune c on c.code = z.commune_code join provincial_directorate d on d.code = c.directorate_code
      where s.code in (${schoolCodes.map(() => '?').join(', ')}) and s.kind = 'school' order by s.code, z.code limit 1`, [...schoolCodes], 'all', ctx) : [];
  const profile = {
    guardianRole: 'mother',
    father: { firstNameAr: 'عبد الله', lastNameAr: 'الإدريسي', firstNameLatin: 'Abdellah', lastNameLatin: 'El Idrissi', cin: 'L123456', profession: 'تقني', address: 'حي السلام، شفشاون', phone: '0661234567', email: '' },
    mother: { firstNameAr: 'سلمى', lastNameAr: 'الإدريسي', firstNameLatin: 'Salma', lastNameLatin: 'El Idrissi', cin: 'LB23456', profession: 'ممرضة', address: 'حي السلام، شفشاون', phone: '0671234567', email: DEMO_PARENT_EMAIL },
    tutor: {},
    residence: place ? { academy: place.academy, directorate: place.directorate, communeCode: place.commune, residenceZoneCode: place.zone } : {},
  };
  const hash = await argon2.hash(DEMO_PASSWORD, { type: argon2.argon2id });
  const now = new Date();
  await conn.execute(
    `insert into parent_account (id, email, password_hash, language, verified_at, profile, created_at) values (?, ?, ?, 'ar', ?, ?::jsonb, ?)`,
    [randomUUID(), DEMO_PARENT_EMAIL, hash, now, JSON.stringify(profile), now], 'run', ctx,
  );
  return { created: true };
}
