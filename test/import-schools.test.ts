/**
 * School-map CSV import tests: the CSV reader (pure), then `importSchoolMap` on a real PostgreSQL
 * in its own database `tasjil_seed_import_test` (dropped, re-created, migrated, seeded with the
 * demo). Server: DATABASE_URL set by the test stack, else TEST_DATABASE_URL, else 127.0.0.1:5432.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { migrateUp } from '../migrations/run';
import { recreateDatabase } from '../scripts/lib/postgres';
import { scratchDatabaseUrl } from './support/stack';
import { seedAll } from '../migrations/seed';
import { parseCsv } from '../migrations/seeders/csv';
import { formatReport, importSchoolMap, planSchoolMap, SCHOOL_MAP_COLUMNS } from '../scripts/import-schools';

const DB_NAME = 'tasjil_seed_import_test';


const url = scratchDatabaseUrl(DB_NAME);
let sql: Client;
const count = async (query: string, params: unknown[] = []): Promise<number> => Number((await sql.query(query, params)).rows[0].n);
const snapshot = async () => ({
  schools: await count('select count(*) n from school'),
  zones: await count('select count(*) n from residence_zone'),
  links: await count('select count(*) n from school_zone'),
  seats: await count('select count(*) n from school_capacity'),
});

/** The example of docs/school-map-csv.md (first ```csv block), so the documentation stays true. */
const docExample = (() => {
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'school-map-csv.md'), 'utf8');
  const m = /```csv\n([\s\S]*?)```/.exec(doc);
  if (!m) throw new Error('no csv example in docs/school-map-csv.md');
  return m[1];
})();

const HEADER = SCHOOL_MAP_COLUMNS.join(',');
const csv = (...rows: string[]): string => [HEADER, ...rows].join('\r\n') + '\r\n';

describe('CSV reader (RFC 4180)', () => {
  test('quotes, doubled quotes, commas and line breaks inside quotes, BOM, CRLF, empty lines', () => {
    const text = '\uFEFFa,B ,c\r\n1,"x, y","he said ""hi"""\r\n\r\n2,"line one\nline two",\n3,,"" \n';
    const r = parseCsv(text);
    expect(r.header).toEqual(['a', 'b', 'c']);
    expect(r.records.map((x) => [x.line, x.values])).toEqual([
      [2, { a: '1', b: 'x, y', c: 'he said "hi"' }],
      [4, { a: '2', b: 'line one\nline two', c: '' }],
      [6, { a: '3', b: '', c: ' ' }], // kept, but reported below
    ]);
    expect(r.errors).toHaveLength(1); // the space after the closing quote on line 6
    expect(r.errors[0].line).toBe(6);
  });

  test('unterminated quote and stray quote are reported with their line', () => {
    expect(parseCsv('a,b\n1,x"y\n').errors.map((e) => e.line)).toEqual([2]);
    expect(parseCsv('a,b\n1,2\n3,"open\n').errors.map((e) => e.line)).toEqual([3]);
  });
});

describe('planSchoolMap (no database)', () => {
  test('the documented example is valid', () => {
    const plan = planSchoolMap(docExample);
    expect(plan.errors).toEqual([]);
    expect(plan.schools.map((s) => s.code)).toEqual(['04291B12', '04291C03', '04291C31']);
    expect(plan.zones).toHaveLength(4);
    expect(plan.links).toHaveLength(4);
  });

  test('missing and unknown columns are reported on line 1', () => {
    const plan = planSchoolMap('school_code,kind,name_ar,nom\n04291B12,school,مدرسة,x\n');
    expect(plan.errors.every((e) => e.line === 1)).toBe(true);
    expect(plan.errors.map((e) => e.message).join(' ')).toMatch(/missing column\(s\): name_fr, commune_code/);
    expect(plan.errors.map((e) => e.message).join(' ')).toMatch(/unknown column\(s\): nom/);
  });
});

describe('importSchoolMap', () => {
  beforeAll(async () => {
    await recreateDatabase(url);
    await migrateUp(url);
    await seedAll(url); // reference data, school years, demo map (01151G01 is a demo group school)
    sql = new Client({ connectionString: url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
  });

  test('a valid file: exact counts, real (non-demo) schools, seats for the current school year', async () => {
    const before = await snapshot();
    const report = await importSchoolMap(url, docExample);
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.schoolYear).toBe('2027-2028');
    expect(report.rows).toBe(4);
    expect(report.schools).toEqual({ created: 3, updated: 0, unchanged: 0 });
    expect(report.zones).toEqual({ created: 4, updated: 0, unchanged: 0 });
    expect(report.links).toEqual({ created: 4, removed: 0, unchanged: 0 });
    expect(report.capacities).toEqual({ created: 6, updated: 0, unchanged: 0 });
    expect(await snapshot()).toEqual({ schools: before.schools + 3, zones: before.zones + 4, links: before.links + 4, seats: before.seats + 6 });

    const { rows } = await sql.query("select code, kind, parent_school_code, directorate_code, commune_code, is_demo, address_ar from school where code like '04291%' order by code");
    expect(rows).toEqual([
      { code: '04291B12', kind: 'school', parent_school_code: null, directorate_code: '04.291', commune_code: '04.291.01.01', is_demo: false, address_ar: 'حي الفتح، الخميسات' },
      { code: '04291C03', kind: 'groupSchool', parent_school_code: null, directorate_code: '04.291', commune_code: '04.291.03.01', is_demo: false, address_ar: '' },
      { code: '04291C31', kind: 'satelliteUnit', parent_school_code: '04291C03', directorate_code: '04.291', commune_code: '04.291.03.01', is_demo: false, address_ar: '' },
    ]);
    const zones = await sql.query("select residence_zone_code z from school_zone where school_code = '04291B12' order by 1");
    expect(zones.rows.map((r) => r.z)).toEqual(['04.291.01.01-Z01', '04.291.01.01-Z02']);
    const seats = await sql.query("select school_year_code y, level, seats from school_capacity where school_code = '04291B12' order by level");
    expect(seats.rows).toEqual([
      { y: '2027-2028', level: 'preschool', seats: 80 },
      { y: '2027-2028', level: 'primary1', seats: 120 },
    ]);
    expect(formatReport(report)).toMatch(/schools: 3 created, 0 updated, 0 unchanged/);
  });

  test('importing the same file again changes nothing', async () => {
    const before = await snapshot();
    const report = await importSchoolMap(url, docExample);
    expect(report.ok).toBe(true);
    expect(report.schools).toEqual({ created: 0, updated: 0, unchanged: 3 });
    expect(report.zones).toEqual({ created: 0, updated: 0, unchanged: 4 });
    expect(report.links).toEqual({ created: 0, removed: 0, unchanged: 4 });
    expect(report.capacities).toEqual({ created: 0, updated: 0, unchanged: 6 });
    expect(await snapshot()).toEqual(before);
  });

  test('an update: new seats, a zone dropped, another school year; satellite attached to a group school already in the database', async () => {
    const report = await importSchoolMap(
      url,
      csv(
        '04291B12,school,,مدرسة الفتح الابتدائية,École primaire Al Fath,"حي الفتح، الخميسات","Quartier Al Fath, Khémisset",04.291.01.01,04.291.01.01-Z01,حي الفتح,Quartier Al Fath,,150,90',
        '01151S04,satelliteUnit,01151G01,فرعية دوار الشريشرة,Unité satellite Chrichra,,,01.151.05.09,01.151.05.09-Z06,دوار الشريشرة,Douar Chrichra,,12,8',
      ),
      { schoolYear: '2026-2027' },
    );
    expect(report.errors).toEqual([]);
    expect(report.schools).toEqual({ created: 1, updated: 0, unchanged: 1 });
    expect(report.links).toEqual({ created: 1, removed: 1, unchanged: 1 });
    expect(report.capacities).toEqual({ created: 4, updated: 0, unchanged: 0 });
    const links = await sql.query("select residence_zone_code z from school_zone where school_code = '04291B12'");
    expect(links.rows.map((r) => r.z)).toEqual(['04.291.01.01-Z01']);
    const sat = await sql.query("select parent_school_code p, directorate_code d, is_demo from school where code = '01151S04'");
    expect(sat.rows[0]).toEqual({ p: '01151G01', d: '01.151', is_demo: false });
  });

  test('a dry run reports what would change and writes nothing', async () => {
    const before = await snapshot();
    const report = await importSchoolMap(
      url,
      csv('04291B13,school,,مدرسة الأمل الابتدائية,École primaire Al Amal,,,04.291.01.01,04.291.01.01-Z03,حي الأمل,Quartier Al Amal,,90,60'),
      { dryRun: true },
    );
    expect(report.ok).toBe(true);
    expect(report.dryRun).toBe(true);
    expect(report.schools.created).toBe(1);
    expect(await snapshot()).toEqual(before);
    expect(await count("select count(*) n from school where code = '04291B13'")).toBe(0);
  });

  test('an invalid file: every error with its line number, and nothing written (not even the valid rows)', async () => {
    const before = await snapshot();
    const text = csv(
      /* line 2, valid */ '04291B20,school,,مدرسة الوحدة الابتدائية,École primaire Al Wahda,,,04.291.01.01,04.291.01.01-Z20,حي الوحدة,Quartier Al Wahda,,90,60',
      /* line 3 */ '04291B21,college,,مدرسة النور,École Annour,,,04.291.01.01,04.291.01.01-Z21,حي النور,Quartier Annour,,-5,60',
      /* line 4 */ '04291B22,school,,Ecole Atlas,مدرسة الأطلس,,,04.291.01.01,04.291.01.01-Z22,حي الأطلس,Quartier Atlas,,90,6.5',
      /* line 5 */ '04291B23,school,,مدرسة الأمل,École Al Amal,,,99.999.99.99,04.291.01.01-Z23,حي الأمل,Quartier Al Amal,,90,60',
      /* line 6 */ '04291C40,satelliteUnit,,فرعية بلا أصل,Unité sans groupe,,,04.291.03.01,04.291.03.01-Z40,دوار,Douar,,10,5',
      /* line 7 */ '04291C41,satelliteUnit,04421A01,فرعية,Unité satellite,,,04.291.03.01,04.291.03.01-Z41,دوار,Douar Z41,,10,5',
      /* line 8 */ '04291B24,school,,مدرسة,École,,,06.141.01.0,06.141.01.0-Z01,حي,Quartier,,10,5',
      /* line 9 */ '04291B20,school,,مدرسة أخرى,École primaire Al Wahda,,,04.291.01.01,04.291.01.01-Z20,حي الوحدة,Quartier Al Wahda,,,',
    );
    const report = await importSchoolMap(url, text);
    expect(report.ok).toBe(false);
    const at = (line: number) => report.errors.filter((e) => e.line === line).map((e) => `${e.column}: ${e.message}`);
    expect(at(2)).toEqual([]);
    expect(at(3)).toEqual(expect.arrayContaining([expect.stringMatching(/^kind: /), expect.stringMatching(/^seats_primary1: must be a non-negative whole number/)]));
    expect(at(4)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^name_ar: must be written in Arabic script/),
      expect.stringMatching(/^name_fr: must be written in Latin script/),
      expect.stringMatching(/^seats_preschool: /),
    ]));
    expect(at(5)).toEqual([expect.stringMatching(/^commune_code: unknown commune code 99\.999\.99\.99/)]);
    expect(at(6)).toEqual([expect.stringMatching(/^parent_school_code: required for a satellite unit/)]);
    expect(at(7)).toEqual([
      expect.stringMatching(/^parent_school_code: parent 04421A01 is a school, not a groupSchool/),
      expect.stringMatching(/^parent_school_code: parent 04421A01 is in directorate 04\.421, the unit in 04\.291/),
    ]);
    expect(at(8)).toEqual([expect.stringMatching(/^commune_code: commune 06\.141\.01\.0 is divided into arrondissements/)]);
    expect(at(9)).toEqual(expect.arrayContaining([expect.stringMatching(/^name_ar: differs from line 2/), expect.stringMatching(/^zone_code: .*already paired on line 2/)]));
    expect(new Set(report.errors.map((e) => e.line))).toEqual(new Set([3, 4, 5, 6, 7, 8, 9]));
    expect(report.errors.map((e) => e.line)).toEqual([...report.errors.map((e) => e.line)].sort((a, b) => a - b));
    expect(formatReport(report)).toMatch(/^School map NOT imported: \d+ error\(s\) in 8 row\(s\); nothing was written\.\n {2}line 3, /);
    expect(await snapshot()).toEqual(before);
    expect(await count("select count(*) n from school where code = '04291B20'")).toBe(0);
  });

  test('an unknown school year and a missing header column are refused', async () => {
    const unknownYear = await importSchoolMap(url, docExample, { schoolYear: '2031-2032' });
    expect(unknownYear.ok).toBe(false);
    expect(unknownYear.errors).toEqual([expect.objectContaining({ line: 1, message: expect.stringMatching(/school year 2031-2032 does not exist/) })]);
    const noSeats = await importSchoolMap(url, 'school_code,kind,name_ar,name_fr,commune_code,zone_code,zone_name_ar,zone_name_fr\n');
    expect(noSeats.ok).toBe(false);
    expect(noSeats.errors[0]).toEqual(expect.objectContaining({ line: 1, message: expect.stringMatching(/seats_primary1, seats_preschool/) }));
  });
});
