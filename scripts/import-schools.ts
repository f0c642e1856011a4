/**
 * Imports a real school map (الخريطة المدرسية) from CSV: schools, satellite units, residence
 * zones, the zones each school recruits from, and first-year seats for one school year.
 * Columns and example: docs/school-map-csv.md.
 *
 *   npm run import:schools -- <file.csv> [--school-year 2027-2028] [--dry-run]
 *
 * Every row is validated first; when any row is invalid, all errors are printed with their line
 * numbers and nothing is written. Otherwise everything is upserted in one transaction.
 */
import fs from 'node:fs';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { createOrm } from '../entities/orm';
import type { SchoolKind } from '../entities/school';
import { parseCsv } from '../migrations/seeders/csv';
import { upsertRows, type SqlValue, type UpsertCounts } from '../migrations/seeders/sql';

/** Columns of the school-map CSV, in the documented order (header names are case-insensitive). */
export const SCHOOL_MAP_COLUMNS = [
  'school_code',
  'kind',
  'parent_school_code',
  'name_ar',
  'name_fr',
  'address_ar',
  'address_fr',
  'commune_code',
  'zone_code',
  'zone_name_ar',
  'zone_name_fr',
  'zone_commune_code',
  'seats_primary1',
  'seats_preschool',
] as const;
type Column = (typeof SCHOOL_MAP_COLUMNS)[number];

/** Columns that must be present in the header (the others may be omitted). */
export const REQUIRED_COLUMNS: readonly Column[] = [
  'school_code', 'kind', 'name_ar', 'name_fr', 'commune_code', 'zone_code', 'zone_name_ar', 'zone_name_fr', 'seats_primary1', 'seats_preschool',
];

/** Columns describing the school; on a school's later rows they may be left empty or repeated identically. */
const SCHOOL_COLUMNS: readonly Column[] = [
  'kind', 'parent_school_code', 'name_ar', 'name_fr', 'address_ar', 'address_fr', 'commune_code', 'seats_primary1', 'seats_preschool',
];

/** One problem found in the file; `line` is the 1-based line of the record (header = line 1). */
export interface ImportError {
  line: number;
  column?: string;
  message: string;
}

/** Options of `importSchoolMap`. */
export interface ImportOptions {
  /** School year of the seats, e.g. `2027-2028` (must exist). Default: the current school year. */
  schoolYear?: string;
  /** Validate and count what would change, then roll back. */
  dryRun?: boolean;
}

/** Outcome of an import. When `ok` is false, `errors` lists every problem and nothing was written. */
export interface ImportReport {
  ok: boolean;
  dryRun: boolean;
  schoolYear: string | null;
  /** Data rows read (school × zone). */
  rows: number;
  errors: ImportError[];
  schools: UpsertCounts;
  zones: UpsertCounts;
  /** School↔zone links: created, removed (a listed school no longer recruits from the zone), unchanged. */
  links: { created: number; removed: number; unchanged: number };
  /** Seat rows (school × level) for `schoolYear`. */
  capacities: UpsertCounts;
}

const KINDS: Record<string, SchoolKind> = { school: 'school', groupschool: 'groupSchool', satelliteunit: 'satelliteUnit' };
const ARABIC = /\p{Script=Arabic}/u;
const LATIN = /\p{Script=Latin}/u;
const CODE = /^[0-9A-Za-z]{1,16}$/;
const UNIT_CODE = /^\d{2}\.\d{3}\.\d{2}\.\d{1,2}$/;
const ZONE_CODE = /^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$/;

const arabicText = (max: number) =>
  z.string().min(1, { error: 'required' }).max(max, { error: `at most ${max} characters` }).refine((s) => ARABIC.test(s), { error: 'must be written in Arabic script' });
const frenchText = (max: number) =>
  z
    .string()
    .min(1, { error: 'required' })
    .max(max, { error: `at most ${max} characters` })
    .refine((s) => LATIN.test(s) && !ARABIC.test(s), { error: 'must be written in Latin script (French), without Arabic letters' });
const seatCount = z
  .string()
  .regex(/^\d+$/, { error: 'must be a non-negative whole number' })
  .transform(Number)
  .refine((n) => n <= 10_000, { error: 'at most 10000' });

/** Validation of one data row (values already trimmed; empty optional columns are ''). */
const rowSchema = z
  .object({
    school_code: z.string().regex(CODE, { error: 'required: 1 to 16 letters or digits' }),
    kind: z.string().transform((s, ctx) => {
      const k = KINDS[s.toLowerCase()];
      if (!k) ctx.addIssue({ code: 'custom', message: 'must be school, groupSchool or satelliteUnit' });
      return k ?? 'school';
    }),
    parent_school_code: z.string().refine((s) => s === '' || CODE.test(s), { error: '1 to 16 letters or digits' }),
    name_ar: arabicText(200),
    name_fr: frenchText(200),
    address_ar: z.string().max(300, { error: 'at most 300 characters' }).refine((s) => s === '' || ARABIC.test(s), { error: 'must be written in Arabic script' }),
    address_fr: z.string().max(300, { error: 'at most 300 characters' }).refine((s) => s === '' || !ARABIC.test(s), { error: 'must not contain Arabic letters' }),
    commune_code: z.string().regex(UNIT_CODE, { error: 'required: an HCP commune or arrondissement code such as 04.421.01.05' }),
    zone_code: z.string().regex(ZONE_CODE, { error: 'required: up to 32 letters, digits, dots, dashes or underscores' }),
    zone_name_ar: arabicText(150),
    zone_name_fr: frenchText(150),
    zone_commune_code: z.string().refine((s) => s === '' || UNIT_CODE.test(s), { error: 'an HCP commune or arrondissement code such as 04.421.01.05' }),
    seats_primary1: seatCount,
    seats_preschool: seatCount,
  })
  .superRefine((r, ctx) => {
    if (r.kind === 'satelliteUnit' && r.parent_school_code === '') {
      ctx.addIssue({ code: 'custom', path: ['parent_school_code'], message: 'required for a satellite unit (the code of its group school)' });
    }
    if (r.kind !== 'satelliteUnit' && r.parent_school_code !== '') {
      ctx.addIssue({ code: 'custom', path: ['parent_school_code'], message: 'only a satellite unit has a parent school' });
    }
    if (r.parent_school_code !== '' && r.parent_school_code === r.school_code) {
      ctx.addIssue({ code: 'custom', path: ['parent_school_code'], message: 'a school cannot be its own parent' });
    }
  });
type ValidRow = z.infer<typeof rowSchema> & { line: number };

interface SchoolPlan {
  code: string;
  kind: SchoolKind;
  parentCode: string | null;
  nameAr: string;
  nameFr: string;
  addressAr: string;
  addressFr: string;
  communeCode: string;
  seatsPrimary1: number;
  seatsPreschool: number;
  line: number;
  directorateCode?: string;
}
interface ZonePlan {
  code: string;
  nameAr: string;
  nameFr: string;
  communeCode: string;
  /** True when given in `zone_commune_code` (else the school's commune). */
  explicitCommune: boolean;
  line: number;
}

const emptyCounts = (): UpsertCounts => ({ created: 0, updated: 0, unchanged: 0 });

function emptyReport(dryRun: boolean): ImportReport {
  return { ok: false, dryRun, schoolYear: null, rows: 0, errors: [], schools: emptyCounts(), zones: emptyCounts(), links: { created: 0, removed: 0, unchanged: 0 }, capacities: emptyCounts() };
}

/** Rolls back a dry run's transaction. */
class DryRunRollback extends Error {}

/**
 * Checks the CSV text without the database: syntax, header, every row's fields (zod), and the
 * consistency of rows describing the same school or the same zone.
 * @returns the planned schools, zones and links, and every error found (with line numbers).
 */
export function planSchoolMap(csvText: string): { schools: SchoolPlan[]; zones: ZonePlan[]; links: Array<[string, string]>; rows: number; errors: ImportError[] } {
  const errors: ImportError[] = [];
  const parsed = parseCsv(csvText);
  errors.push(...parsed.errors);
  const missing = REQUIRED_COLUMNS.filter((c) => !parsed.header.includes(c));
  if (missing.length > 0) errors.push({ line: 1, message: `missing column(s): ${missing.join(', ')}` });
  const unknown = parsed.header.filter((h) => h !== '' && !(SCHOOL_MAP_COLUMNS as readonly string[]).includes(h));
  if (unknown.length > 0) errors.push({ line: 1, message: `unknown column(s): ${unknown.join(', ')} (expected: ${SCHOOL_MAP_COLUMNS.join(', ')})` });
  if (parsed.records.length === 0 && parsed.header.length > 0) errors.push({ line: 1, message: 'no data rows' });
  if (missing.length > 0) return { schools: [], zones: [], links: [], rows: parsed.records.length, errors };

  const schools = new Map<string, SchoolPlan>();
  const zones = new Map<string, ZonePlan>();
  const links = new Map<string, number>();
  for (const rec of parsed.records) {
    if (rec.fieldCount > parsed.header.length) {
      errors.push({ line: rec.line, message: `${rec.fieldCount} fields for ${parsed.header.length} columns (quote fields that contain commas)` });
      continue;
    }
    const values: Record<string, string> = {};
    for (const c of SCHOOL_MAP_COLUMNS) values[c] = (rec.values[c] ?? '').trim();
    const code = values.school_code;
    const earlier = schools.get(code);
    // Later rows of a school may leave the school's columns empty: take them from its first row.
    if (earlier) {
      const first: Record<string, string> = {
        kind: earlier.kind, parent_school_code: earlier.parentCode ?? '', name_ar: earlier.nameAr, name_fr: earlier.nameFr,
        address_ar: earlier.addressAr, address_fr: earlier.addressFr, commune_code: earlier.communeCode,
        seats_primary1: String(earlier.seatsPrimary1), seats_preschool: String(earlier.seatsPreschool),
      };
      for (const c of SCHOOL_COLUMNS) {
        if (values[c] === '') values[c] = first[c];
        else if (c === 'kind' ? KINDS[values[c].toLowerCase()] !== earlier.kind : values[c] !== first[c]) {
          errors.push({ line: rec.line, column: c, message: `differs from line ${earlier.line} for school ${code} ("${values[c]}" vs "${first[c]}"); leave it empty or repeat it identically` });
        }
      }
    }
    const result = rowSchema.safeParse(values);
    if (!result.success) {
      for (const issue of result.error.issues) {
        errors.push({ line: rec.line, column: String(issue.path[0] ?? ''), message: issue.message });
      }
      continue;
    }
    const r: ValidRow = { ...result.data, line: rec.line };
    if (!earlier) {
      schools.set(r.school_code, {
        code: r.school_code, kind: r.kind, parentCode: r.parent_school_code || null, nameAr: r.name_ar, nameFr: r.name_fr,
        addressAr: r.address_ar, addressFr: r.address_fr, communeCode: r.commune_code,
        seatsPrimary1: r.seats_primary1, seatsPreschool: r.seats_preschool, line: r.line,
      });
    }
    const zoneCommune = r.zone_commune_code || r.commune_code;
    const z0 = zones.get(r.zone_code);
    if (!z0) {
      zones.set(r.zone_code, {
        code: r.zone_code, nameAr: r.zone_name_ar, nameFr: r.zone_name_fr, communeCode: zoneCommune, explicitCommune: r.zone_commune_code !== '', line: r.line,
      });
    }
    else if (z0.nameAr !== r.zone_name_ar || z0.nameFr !== r.zone_name_fr || z0.communeCode !== zoneCommune) {
      errors.push({ line: r.line, column: 'zone_code', message: `zone ${r.zone_code} is described differently on line ${z0.line} (names and commune must be identical)` });
    }
    const key = `${r.school_code}\u0000${r.zone_code}`;
    if (links.has(key)) errors.push({ line: r.line, column: 'zone_code', message: `school ${r.school_code} and zone ${r.zone_code} already paired on line ${links.get(key)}` });
    else links.set(key, r.line);
  }
  // Parents listed in the file must be group schools (parents only in the database are checked later).
  for (const s of schools.values()) {
    const parent = s.parentCode ? schools.get(s.parentCode) : undefined;
    if (parent && parent.kind !== 'groupSchool') {
      errors.push({ line: s.line, column: 'parent_school_code', message: `parent ${s.parentCode} is a ${parent.kind}, not a groupSchool` });
    }
  }
  return {
    schools: [...schools.values()],
    zones: [...zones.values()],
    links: [...links.keys()].map((k) => k.split('\u0000') as [string, string]),
    rows: parsed.records.length,
    errors,
  };
}

const inList = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** Checks the plan against the database (communes, parents, zones, school year); adds to `errors`. */
async function checkAgainstDatabase(
  em: EntityManager,
  plan: ReturnType<typeof planSchoolMap>,
  schoolYear: string | undefined,
  errors: ImportError[],
): Promise<void> {
  if (schoolYear !== undefined) {
    const years = await em.execute<Array<{ code: string }>>('select code from school_year where code = ?', [schoolYear], 'all');
    if (years.length === 0) errors.push({ line: 1, message: `school year ${schoolYear} does not exist (seed the database first or pass --school-year)` });
  }

  const unitCodes = [...new Set([...plan.schools.map((s) => s.communeCode), ...plan.zones.map((z) => z.communeCode)])];
  const units = unitCodes.length === 0 ? [] : await em.execute<Array<{ code: string; directorate_code: string | null; has_arrondissements: boolean }>>(
    `select code, directorate_code, has_arrondissements from commune where code in (${inList(unitCodes.length)})`, unitCodes, 'all',
  );
  const unitBy = new Map(units.map((u) => [u.code, u]));
  const checkUnit = (code: string, line: number, column: string): boolean => {
    const u = unitBy.get(code);
    if (!u) errors.push({ line, column, message: `unknown commune code ${code} (HCP codes: see migrations/data/reference/hcp)` });
    else if (u.has_arrondissements) errors.push({ line, column, message: `commune ${code} is divided into arrondissements: use the arrondissement's code` });
    else if (!u.directorate_code) errors.push({ line, column, message: `commune ${code} has no provincial directorate` });
    else return true;
    return false;
  };
  for (const s of plan.schools) if (checkUnit(s.communeCode, s.line, 'commune_code')) s.directorateCode = unitBy.get(s.communeCode)!.directorate_code!;
  // A zone in its school's commune was checked with the school; check only explicit zone communes.
  for (const z of plan.zones) if (z.explicitCommune) checkUnit(z.communeCode, z.line, 'zone_commune_code');

  const planned = new Map(plan.schools.map((s) => [s.code, s]));
  const parentCodes = [...new Set(plan.schools.map((s) => s.parentCode).filter((c): c is string => c !== null && !planned.has(c)))];
  const dbParents = parentCodes.length === 0 ? [] : await em.execute<Array<{ code: string; kind: string; directorate_code: string }>>(
    `select code, kind, directorate_code from school where code in (${inList(parentCodes.length)})`, parentCodes, 'all',
  );
  for (const s of plan.schools) {
    if (!s.parentCode) continue;
    const inFile = planned.get(s.parentCode);
    const inDb = dbParents.find((p) => p.code === s.parentCode);
    if (!inFile && !inDb) {
      errors.push({ line: s.line, column: 'parent_school_code', message: `parent school ${s.parentCode} is neither in the file nor in the database` });
      continue;
    }
    if (inDb && inDb.kind !== 'groupSchool') errors.push({ line: s.line, column: 'parent_school_code', message: `parent ${s.parentCode} is a ${inDb.kind}, not a groupSchool` });
    const parentDirectorate = inFile ? inFile.directorateCode : inDb!.directorate_code;
    if (s.directorateCode && parentDirectorate && parentDirectorate !== s.directorateCode) {
      errors.push({ line: s.line, column: 'parent_school_code', message: `parent ${s.parentCode} is in directorate ${parentDirectorate}, the unit in ${s.directorateCode}` });
    }
  }
  // A group school turned into something else must not leave satellite units of the database orphaned.
  const demoted = plan.schools.filter((s) => s.kind !== 'groupSchool').map((s) => s.code);
  if (demoted.length > 0) {
    const children = await em.execute<Array<{ code: string; parent_school_code: string }>>(
      `select code, parent_school_code from school where parent_school_code in (${inList(demoted.length)})`, demoted, 'all',
    );
    for (const c of children) {
      const child = planned.get(c.code);
      if (child && child.parentCode !== c.parent_school_code) continue; // re-attached by this file
      const parent = planned.get(c.parent_school_code)!;
      errors.push({ line: parent.line, column: 'kind', message: `school ${parent.code} has satellite unit ${c.code} in the database: it must stay a groupSchool (or re-attach ${c.code} in this file)` });
    }
  }
  // A zone code is global: an existing zone must stay in its commune.
  const zoneCodes = plan.zones.map((z) => z.code);
  const dbZones = zoneCodes.length === 0 ? [] : await em.execute<Array<{ code: string; commune_code: string }>>(
    `select code, commune_code from residence_zone where code in (${inList(zoneCodes.length)})`, zoneCodes, 'all',
  );
  for (const dz of dbZones) {
    const z = plan.zones.find((x) => x.code === dz.code)!;
    if (dz.commune_code !== z.communeCode) errors.push({ line: z.line, column: 'zone_code', message: `zone ${z.code} already exists in commune ${dz.commune_code}, not ${z.communeCode}` });
  }
}

/**
 * Validates `csvText` (see docs/school-map-csv.md) and, when every row is valid, upserts its
 * schools (`is_demo = false`), residence zones, school↔zone links (a listed school's links
 * become exactly the file's) and seats for `opts.schoolYear` (default: the current school year)
 * in one transaction on `databaseUrl`. With `dryRun`, the transaction is rolled back and the
 * report says what would have changed.
 * @returns the report; when `ok` is false, `errors` lists every problem with its line number
 *   (header = line 1) and nothing was written.
 * @throws Error only when the database is unreachable or not migrated.
 */
export async function importSchoolMap(databaseUrl: string, csvText: string, opts: ImportOptions = {}): Promise<ImportReport> {
  const dryRun = opts.dryRun === true;
  const report = emptyReport(dryRun);
  const plan = planSchoolMap(csvText);
  report.rows = plan.rows;
  report.errors.push(...plan.errors);

  const orm = await createOrm(databaseUrl);
  try {
    const em = orm.em.fork();
    let schoolYear = opts.schoolYear;
    if (schoolYear === undefined) {
      const current = await em.execute<Array<{ code: string }>>('select code from school_year where is_current order by code desc limit 1', [], 'all');
      schoolYear = current[0]?.code;
      if (!schoolYear) report.errors.push({ line: 1, message: 'no current school year in the database: pass --school-year or seed the database first' });
    } else if (!/^\d{4}-\d{4}$/.test(schoolYear)) {
      report.errors.push({ line: 1, message: `school year must look like 2027-2028: ${schoolYear}` });
      schoolYear = undefined;
    }
    report.schoolYear = schoolYear ?? null;
    // Checked even when some rows are invalid, so that one run reports every error (valid rows only).
    await checkAgainstDatabase(em, plan, schoolYear, report.errors);
    report.errors.sort((a, b) => a.line - b.line);
    if (report.errors.length > 0) return report;

    try {
      await em.transactional(async (tem) => {
        report.zones = await upsertRows(
          tem,
          'residence_zone',
          ['code', 'name_ar', 'name_fr', 'commune_code', 'is_demo'],
          plan.zones.map((z) => [z.code, z.nameAr, z.nameFr, z.communeCode, false]),
          ['code'],
        );
        // Group schools first, so that satellite units' parents exist.
        const ordered = [...plan.schools].sort((a, b) => Number(a.kind === 'satelliteUnit') - Number(b.kind === 'satelliteUnit'));
        report.schools = await upsertRows(
          tem,
          'school',
          ['code', 'name_ar', 'name_fr', 'address_ar', 'address_fr', 'kind', 'commune_code', 'directorate_code', 'parent_school_code', 'is_demo'],
          ordered.map((s): SqlValue[] => [s.code, s.nameAr, s.nameFr, s.addressAr, s.addressFr, s.kind, s.communeCode, s.directorateCode!, s.parentCode, false]),
          ['code'],
        );
        const links = await upsertRows(tem, 'school_zone', ['school_code', 'residence_zone_code'], plan.links, ['school_code', 'residence_zone_code'], []);
        const removed = await tem.execute<Array<{ school_code: string }>>(
          `delete from school_zone where school_code in (${inList(plan.schools.length)})` +
            ` and (school_code, residence_zone_code) not in (${plan.links.map(() => '(?, ?)').join(', ')}) returning school_code`,
          [...plan.schools.map((s) => s.code), ...plan.links.flat()],
          'all',
        );
        report.links = { created: links.created, removed: removed.length, unchanged: links.unchanged };
        report.capacities = await upsertRows(
          tem,
          'school_capacity',
          ['school_code', 'school_year_code', 'level', 'seats'],
          plan.schools.flatMap((s): SqlValue[][] => [
            [s.code, schoolYear!, 'primary1', s.seatsPrimary1],
            [s.code, schoolYear!, 'preschool', s.seatsPreschool],
          ]),
          ['school_code', 'school_year_code', 'level'],
        );
        if (dryRun) throw new DryRunRollback();
      });
    } catch (err) {
      if (!(err instanceof DryRunRollback)) throw err;
    }
    report.ok = true;
    return report;
  } finally {
    await orm.close(true);
  }
}

/** Human summary of a report (no personal data: the school map holds none). */
export function formatReport(r: ImportReport): string {
  if (!r.ok) {
    const lines = r.errors.map((e) => `  line ${e.line}${e.column ? `, ${e.column}` : ''}: ${e.message}`);
    return `School map NOT imported: ${r.errors.length} error(s) in ${r.rows} row(s); nothing was written.\n${lines.join('\n')}`;
  }
  const c = (x: UpsertCounts): string => `${x.created} created, ${x.updated} updated, ${x.unchanged} unchanged`;
  return [
    `${r.dryRun ? 'Dry run (nothing written)' : 'School map imported'}: ${r.rows} row(s), seats for ${r.schoolYear}.`,
    `  schools: ${c(r.schools)}`,
    `  zones:   ${c(r.zones)}`,
    `  links:   ${r.links.created} created, ${r.links.removed} removed, ${r.links.unchanged} unchanged`,
    `  seats:   ${c(r.capacities)}`,
  ].join('\n');
}

/** Command line: `tsx scripts/import-schools.ts <file.csv> [--school-year 2027-2028] [--dry-run]` on `DATABASE_URL`. */
async function main(argv: string[]): Promise<number> {
  const usage = 'Usage: npm run import:schools -- <file.csv> [--school-year 2027-2028] [--dry-run]';
  let file: string | undefined;
  let schoolYear: string | undefined;
  let dryRun = false;
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--dry-run') dryRun = true;
    else if (a === '--school-year') schoolYear = argv[++i];
    else if (a.startsWith('--school-year=')) schoolYear = a.slice('--school-year='.length);
    else if (a === '--help' || a === '-h') {
      console.log(usage);
      return 0;
    } else if (!a.startsWith('--') && file === undefined) file = a;
    else {
      console.error(`Unknown argument ${a}\n${usage}`);
      return 2;
    }
  }
  if (!file || (argv.includes('--school-year') && !schoolYear)) {
    console.error(usage);
    return 2;
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    console.error(`Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const { loadConfig } = await import('../config');
  const report = await importSchoolMap(loadConfig().DATABASE_URL, text, { schoolYear, dryRun });
  (report.ok ? console.log : console.error)(formatReport(report));
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(2);
    },
  );
}
