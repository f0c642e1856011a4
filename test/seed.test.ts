/**
 * Seeder tests on a real PostgreSQL: own database `tasjil_seed_test` (dropped and re-created),
 * migrated, then seeded without and with the demo, twice (idempotence).
 * Server: DATABASE_URL set by the test stack, else TEST_DATABASE_URL, else 127.0.0.1:5432.
 */
import { Client } from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createOrm } from '../entities/orm';
import { Commune, School, SchoolCapacity, StaffUser } from '../entities';
import { migrateUp } from '../migrations/run';
import { recreateDatabase } from '../scripts/lib/postgres';
import { scratchDatabaseUrl } from './support/stack';
import { DEMO_PASSWORD, seedAll } from '../migrations/seed';
import { casablancaDirectorateFor, loadReferenceData, REFERENCE_COUNTS } from '../migrations/seeders/reference';
import { loadDemoSchoolMap } from '../migrations/seeders/demoSchoolMap';
import cases from './acceptance/cases.json';

const DB_NAME = 'tasjil_seed_test';


const url = scratchDatabaseUrl(DB_NAME);
let sql: Client;
const count = async (query: string, params: unknown[] = []): Promise<number> => Number((await sql.query(query, params)).rows[0].n);

/** Demo map sizes, from the data file itself. */
const map = loadDemoSchoolMap();
const DEMO_SCHOOLS = 13;
const DEMO_ZONES = 18;
const DEMO_LINKS = 22;
const DEMO_DIRECTORS = 10; // 13 schools minus 3 satellite units
const DEMO_ACCOUNTS = 1 + 3 + 3 + DEMO_DIRECTORS; // admin, 3 academies, 3 directorates, directors

beforeAll(async () => {
  await recreateDatabase(url);
  await migrateUp(url);
  sql = new Client({ connectionString: url });
  await sql.connect();
});

afterAll(async () => {
  await sql?.end();
});

describe('reference data files (no database)', () => {
  test('counts and Casablanca mapping by code', () => {
    const data = loadReferenceData();
    expect(data.academies).toHaveLength(12);
    expect(data.directorates).toHaveLength(82);
    expect(data.units).toHaveLength(REFERENCE_COUNTS.units);
    expect(data.units.filter((u) => u.kind === 'arrondissement')).toHaveLength(41);
    expect(casablancaDirectorateFor('06.141.01.01')).toBe('06.141.01.00');
    expect(casablancaDirectorateFor('06.141.01.07')).toBe('06.141.01.00');
    expect(casablancaDirectorateFor('06.141.01.13')).toBe('06.141.01.10');
    expect(casablancaDirectorateFor('06.141.01.25')).toBe('06.141.01.20');
    expect(casablancaDirectorateFor('06.141.01.73')).toBe('06.141.01.70');
    expect(casablancaDirectorateFor('06.141.01.81')).toBe('06.141.01.10');
    expect(casablancaDirectorateFor('06.141.01.0')).toBeNull();
    expect(() => casablancaDirectorateFor('06.141.01.99')).toThrow();
  });

  test('the demo map file has the documented shape', () => {
    expect(map.schools).toHaveLength(DEMO_SCHOOLS);
    expect(map.zones).toHaveLength(DEMO_ZONES);
    expect(map.schools.reduce((n, s) => n + s.zoneCodes.length, 0)).toBe(DEMO_LINKS);
  });
});

describe('seedAll', () => {
  test('demo: false loads reference data, school years, age rules and reasons, but no demo school or account', async () => {
    const { demoAccounts, report } = await seedAll(url, { demo: false });
    expect(demoAccounts).toEqual([]);
    expect(report.reference.skipped).toBe(false);
    expect(report.timingsMs.reference).toBeLessThan(3000);
    expect(await count('select count(*) n from academy')).toBe(12);
    expect(await count('select count(*) n from provincial_directorate')).toBe(82);
    expect(await count('select count(*) n from commune')).toBe(1544);
    expect(await count("select count(*) n from commune where kind = 'commune'")).toBe(1503);
    expect(await count("select count(*) n from commune where kind = 'arrondissement'")).toBe(41);
    expect(await count('select count(*) n from school')).toBe(0);
    expect(await count('select count(*) n from residence_zone')).toBe(0);
    expect(await count('select count(*) n from staff_user')).toBe(0);
    expect(await count('select count(*) n from rejection_reason')).toBe(5);
    expect(await count('select count(*) n from age_rule')).toBe(4);
  });

  test('first demo run: demo school map and accounts', async () => {
    const { demoAccounts, report } = await seedAll(url);
    expect(report.reference.skipped).toBe(true);
    expect(report.demoSchoolMap!.schools).toEqual({ created: DEMO_SCHOOLS, updated: 0, unchanged: 0 });
    expect(report.demoAccounts!.hashesComputed).toBe(1);
    expect(demoAccounts).toHaveLength(DEMO_ACCOUNTS);
    expect(new Set(demoAccounts.map((a) => a.password))).toEqual(new Set([DEMO_PASSWORD]));
    const byRole = (role: string) => demoAccounts.filter((a) => a.role === role).map((a) => a.username).sort();
    expect(byRole('administrator')).toEqual(['admin']);
    expect(byRole('academySupervisor')).toEqual(['academy.01', 'academy.04', 'academy.06']);
    expect(byRole('provincialSupervisor')).toEqual(['supervisor.01.151', 'supervisor.04.421', 'supervisor.06.141.01.00']);
    expect(byRole('director')).toEqual(
      ['01151A01', '01151G01', '04421A01', '04421A02', '04421A03', '04421A04', '061410100A01', '061410100A02', '061410100A03', '061410100A04'].map((c) => `director.${c}`),
    );
    expect(demoAccounts.find((a) => a.username === 'director.04421A01')!.scope).toContain('École primaire Ibn Khaldoun');
    for (const a of demoAccounts) expect(a.scope.length).toBeGreaterThan(0);

    expect(await count('select count(*) n from school where is_demo')).toBe(DEMO_SCHOOLS);
    expect(await count('select count(*) n from residence_zone where is_demo')).toBe(DEMO_ZONES);
    expect(await count('select count(*) n from school_zone')).toBe(DEMO_LINKS);
    expect(await count('select count(*) n from school_capacity')).toBe(DEMO_SCHOOLS * 2 * 2);
    expect(await count('select count(*) n from staff_user')).toBe(DEMO_ACCOUNTS);

    // The stored hash is argon2id and verifies the demo password.
    const argon2 = await import('argon2');
    const { rows } = await sql.query("select password_hash from staff_user where username = 'admin'");
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(await argon2.verify(rows[0].password_hash, DEMO_PASSWORD)).toBe(true);
  });

  test('second run is idempotent and fast: nothing created, changed or re-hashed', async () => {
    const idsBefore = (await sql.query('select username, id, password_hash from staff_user order by username')).rows;
    const t0 = Date.now();
    const { demoAccounts, report } = await seedAll(url);
    const elapsed = Date.now() - t0;
    expect(report.reference.skipped).toBe(true);
    expect(report.schoolYears.schoolYears).toEqual({ created: 0, updated: 0, unchanged: 2 });
    expect(report.schoolYears.ageRules).toEqual({ created: 0, updated: 0, unchanged: 4 });
    expect(report.schoolYears.rejectionReasons).toEqual({ created: 0, updated: 0, unchanged: 5 });
    expect(report.demoSchoolMap!.schools).toEqual({ created: 0, updated: 0, unchanged: DEMO_SCHOOLS });
    expect(report.demoSchoolMap!.zones).toEqual({ created: 0, updated: 0, unchanged: DEMO_ZONES });
    expect(report.demoSchoolMap!.links).toEqual({ created: 0, removed: 0 });
    expect(report.demoSchoolMap!.capacities).toEqual({ created: 0, updated: 0, unchanged: DEMO_SCHOOLS * 4 });
    expect(report.demoAccounts).toEqual({ upserts: { created: 0, updated: 0, unchanged: DEMO_ACCOUNTS }, hashesComputed: 0 });
    expect(demoAccounts).toHaveLength(DEMO_ACCOUNTS);
    expect((await sql.query('select username, id, password_hash from staff_user order by username')).rows).toEqual(idsBefore);
    expect(await count('select count(*) n from academy')).toBe(12);
    expect(await count('select count(*) n from provincial_directorate')).toBe(82);
    expect(await count('select count(*) n from commune')).toBe(1544);
    expect(await count('select count(*) n from school')).toBe(DEMO_SCHOOLS);
    expect(elapsed).toBeLessThan(3000);
  });

  test('a demo account whose password was changed is reset to the demo password without a new hash', async () => {
    await sql.query("update staff_user set password_hash = 'not-a-hash', role = 'director' where username = 'admin'");
    const { report } = await seedAll(url);
    expect(report.demoAccounts!.hashesComputed).toBe(0);
    expect(report.demoAccounts!.upserts.updated).toBe(1);
    const { rows } = await sql.query("select role, password_hash from staff_user where username = 'admin'");
    expect(rows[0].role).toBe('administrator');
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
  });
});

describe('seeded data through the entities', () => {
  let orm: MikroORM;
  beforeAll(async () => {
    orm = await createOrm(url);
  });
  afterAll(async () => {
    await orm?.close(true);
  });

  test('Casablanca: arrondissements belong to their prefecture of arrondissements', async () => {
    const em = orm.em.fork();
    const maarif = await em.findOneOrFail(Commune, { code: '06.141.01.03' }, { populate: ['directorate'] });
    expect(maarif.kind).toBe('arrondissement');
    expect(maarif.parentCode).toBe('06.141.01.0');
    expect(maarif.directorate!.code).toBe('06.141.01.00');
    expect(maarif.directorate!.nameFr).toBe('Casablanca-Anfa');
    const sidiOthmane = await em.findOneOrFail(Commune, { code: '06.141.01.73' }, { populate: ['directorate'] });
    expect(sidiOthmane.directorate!.code).toBe('06.141.01.70');
    expect(sidiOthmane.directorate!.nameFr).toBe('Moulay Rachid');
    const mechouar = await em.findOneOrFail(Commune, { code: '06.141.01.81' });
    expect(mechouar.directorate!.code).toBe('06.141.01.10');
    const city = await em.findOneOrFail(Commune, { code: '06.141.01.0' });
    expect(city.directorate ?? null).toBeNull();
    expect(city.hasArrondissements).toBe(true);
    const rabatHassan = await em.findOneOrFail(Commune, { code: '04.421.01.05' });
    expect(rabatHassan.directorate!.code).toBe('04.421');
    expect(await count("select count(*) n from commune where directorate_code is null and code <> '06.141.01.0'")).toBe(0);
    expect(await count('select count(*) n from commune where has_arrondissements')).toBe(6);
  });

  test('the group school and its three satellite units', async () => {
    const em = orm.em.fork();
    const group = await em.findOneOrFail(School, { code: '01151G01' }, { populate: ['zones', 'directorate', 'commune'] });
    expect(group.kind).toBe('groupSchool');
    expect(group.isDemo).toBe(true);
    expect(group.directorate.code).toBe('01.151');
    expect(group.commune.nameFr).toBe('Derdara');
    const satellites = await em.find(School, { parentSchool: '01151G01' }, { populate: ['zones'], orderBy: { code: 'asc' } });
    expect(satellites.map((s) => s.code)).toEqual(['01151S01', '01151S02', '01151S03']);
    for (const s of satellites) {
      expect(s.kind).toBe('satelliteUnit');
      expect(s.commune.code).toBe('01.151.05.09');
      expect(s.zones.length).toBeGreaterThan(0);
    }
    expect(await em.count(StaffUser, { school: { code: { $in: satellites.map((s) => s.code) } } })).toBe(0);
    expect(await em.count(StaffUser, { school: '01151G01', role: 'director' })).toBe(1);
  });

  test('shared zones give parents a choice; seats per school year and level', async () => {
    const em = orm.em.fork();
    const serving = await em.find(School, { zones: { code: '04.421.01.05-Z02' } }, { orderBy: { code: 'asc' } });
    expect(serving.map((s) => s.code)).toEqual(['04421A01', '04421A02']);
    const caps = await em.find(SchoolCapacity, { school: '04421A01' }, { orderBy: { schoolYear: 'asc', level: 'asc' } });
    expect(caps.map((c) => [c.schoolYear.code, c.level, c.seats])).toEqual([
      ['2026-2027', 'preschool', 80],
      ['2026-2027', 'primary1', 120],
      ['2027-2028', 'preschool', 80],
      ['2027-2028', 'primary1', 120],
    ]);
  });

  test('school years: 2027-2028 is current with its campaign open on 2026-11-29; 2026-2027 age rule = acceptance case', async () => {
    const { rows: years } = await sql.query("select code, to_char(start_date, 'YYYY-MM-DD') s, to_char(campaign_opens_on, 'YYYY-MM-DD') o, to_char(campaign_closes_on, 'YYYY-MM-DD') c, is_current from school_year order by code");
    expect(years).toEqual([
      { code: '2026-2027', s: '2026-09-01', o: '2026-04-01', c: '2026-04-30', is_current: false },
      { code: '2027-2028', s: '2027-09-01', o: '2026-11-01', c: '2027-06-30', is_current: true },
    ]);
    const { rows } = await sql.query(
      "select to_char(eligible_born_on_or_before, 'YYYY-MM-DD') e, to_char(tolerance_born_from, 'YYYY-MM-DD') f, to_char(tolerance_born_to, 'YYYY-MM-DD') t from age_rule where school_year_code = '2026-2027' and level = 'primary1'",
    );
    const rule = cases.ageRule.rule;
    expect(rows[0]).toEqual({ e: rule.eligibleBornOnOrBefore, f: rule.toleranceBornFrom, t: rule.toleranceBornTo });
  });
});
