/**
 * The demo school map (`migrations/data/demo-school-map.json`): schools, satellite units,
 * residence zones, the zones each school recruits from, and first-year seats. Everything it
 * writes is marked `is_demo = true`. Illustrative data, not the ministry's (see the file's `about`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { LEVELS } from '../../domain/types';
import { dataDir } from './reference';
import { upsertRows, type SqlValue, type UpsertCounts } from './sql';

/** Share of a commune's population entering the first year of public primary each year (reference README). */
export const PRIMARY1_INTAKE_RATE = 0.016;

const seats = z.number().int().min(0).max(1000);
const demoMapFile = z.object({
  schoolYears: z.array(z.string().regex(/^\d{4}-\d{4}$/)).min(1),
  zones: z
    .array(
      z.object({
        code: z.string().regex(/^\d{2}\.\d{3}\.\d{2}\.\d{1,2}-Z\d{2}$/, 'zone code must be <commune code>-Z<nn>'),
        nameAr: z.string().min(1).max(150),
        nameFr: z.string().min(1).max(150),
      }),
    )
    .min(1),
  schools: z
    .array(
      z.object({
        code: z.string().regex(/^[0-9A-Z]{4,16}$/),
        kind: z.enum(['school', 'groupSchool', 'satelliteUnit']),
        parentSchoolCode: z.string().nullable(),
        nameAr: z.string().min(1).max(200),
        nameFr: z.string().min(1).max(200),
        addressAr: z.string().max(300),
        addressFr: z.string().max(300),
        communeCode: z.string(),
        directorateCode: z.string(),
        zoneCodes: z.array(z.string()).min(1),
        seats: z.object({ primary1: seats, preschool: seats }),
      }),
    )
    .min(1),
  /** Demo contacts of the map's provincial directorates (shown when a commune has no online map). */
  directorates: z
    .array(z.object({ code: z.string(), addressAr: z.string().min(1).max(300), addressFr: z.string().min(1).max(300), phone: z.string().regex(/^0[5-8]\d{8}$/) }))
    .default([]),
});

/** The demo school map as read from its JSON file. */
export type DemoSchoolMap = z.infer<typeof demoMapFile>;
/** One school of the demo map. */
export type DemoSchool = DemoSchoolMap['schools'][number];

/** The commune (or arrondissement) code of a zone code `<communeCode>-Z<nn>`. */
export function zoneCommuneCode(zoneCode: string): string {
  return zoneCode.replace(/-Z\d+$/, '');
}

/**
 * Reads `demo-school-map.json` and checks what needs no database: unique codes, zones known,
 * every satellite unit's parent a group school of the map and only satellites having a parent.
 * @throws Error listing every problem found.
 */
export function loadDemoSchoolMap(file: string = path.join(dataDir(), 'demo-school-map.json')): DemoSchoolMap {
  const map = demoMapFile.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  const problems: string[] = [];
  const zoneCodes = new Set<string>();
  for (const z of map.zones) {
    if (zoneCodes.has(z.code)) problems.push(`zone ${z.code} listed twice`);
    zoneCodes.add(z.code);
  }
  const byCode = new Map<string, DemoSchool>();
  for (const s of map.schools) {
    if (byCode.has(s.code)) problems.push(`school ${s.code} listed twice`);
    byCode.set(s.code, s);
  }
  for (const s of map.schools) {
    for (const zc of s.zoneCodes) if (!zoneCodes.has(zc)) problems.push(`school ${s.code}: unknown zone ${zc}`);
    if (s.kind === 'satelliteUnit') {
      const parent = s.parentSchoolCode === null ? undefined : byCode.get(s.parentSchoolCode);
      if (!parent || parent.kind !== 'groupSchool') problems.push(`satellite unit ${s.code}: parent must be a group school of the map`);
    } else if (s.parentSchoolCode !== null) {
      problems.push(`school ${s.code}: only a satellite unit has a parent school`);
    }
  }
  if (problems.length > 0) throw new Error(`demo-school-map.json: ${problems.join('; ')}`);
  return map;
}

/** What `seedDemoSchoolMap` did. */
export interface DemoSchoolMapSeedResult {
  schools: UpsertCounts;
  zones: UpsertCounts;
  links: { created: number; removed: number };
  capacities: UpsertCounts;
  /** Codes of the demo schools, group schools before their satellite units. */
  schoolCodes: string[];
}

/**
 * Upserts the demo school map on `em` (call inside a transaction): zones, schools (group schools
 * before satellite units), school↔zone links (links of demo schools that the file no longer lists
 * are removed) and seats for each listed school year and level. Checks against the database that
 * each commune exists, is a residence unit (not a city split into arrondissements), belongs to the
 * school's stated directorate, that the school years exist, and that a commune's demo primary-1
 * seats stay below 1.6% of its population.
 * @throws Error listing every inconsistency (nothing is written: the caller's transaction rolls back).
 */
export async function seedDemoSchoolMap(em: EntityManager, map: DemoSchoolMap = loadDemoSchoolMap()): Promise<DemoSchoolMapSeedResult> {
  const communeCodes = [...new Set([...map.schools.map((s) => s.communeCode), ...map.zones.map((z) => zoneCommuneCode(z.code))])];
  const communes = await em.execute<Array<{ code: string; directorate_code: string | null; has_arrondissements: boolean; population2024: number }>>(
    `select code, directorate_code, has_arrondissements, population2024 from commune where code in (${communeCodes.map(() => '?').join(', ')})`,
    communeCodes,
    'all',
  );
  const communeBy = new Map(communes.map((c) => [c.code, c]));
  const years = await em.execute<Array<{ code: string }>>(
    `select code from school_year where code in (${map.schoolYears.map(() => '?').join(', ')})`,
    map.schoolYears,
    'all',
  );
  const problems: string[] = [];
  for (const y of map.schoolYears) if (!years.some((r) => r.code === y)) problems.push(`unknown school year ${y}`);
  for (const code of communeCodes) {
    const c = communeBy.get(code);
    if (!c) problems.push(`unknown commune ${code}`);
    else if (c.has_arrondissements) problems.push(`commune ${code} is split into arrondissements: use an arrondissement code`);
  }
  const seatsByCommune = new Map<string, number>();
  for (const s of map.schools) {
    const c = communeBy.get(s.communeCode);
    if (c && c.directorate_code !== s.directorateCode) problems.push(`school ${s.code}: commune ${s.communeCode} belongs to directorate ${c.directorate_code}, not ${s.directorateCode}`);
    seatsByCommune.set(s.communeCode, (seatsByCommune.get(s.communeCode) ?? 0) + s.seats.primary1);
  }
  for (const [code, total] of seatsByCommune) {
    const c = communeBy.get(code);
    if (c && total > Math.round(c.population2024 * PRIMARY1_INTAKE_RATE)) {
      problems.push(`commune ${code}: ${total} primary-1 seats exceed 1.6% of its ${c.population2024} inhabitants`);
    }
  }
  if (problems.length > 0) throw new Error(`Demo school map: ${problems.join('; ')}`);

  const zones = await upsertRows(
    em,
    'residence_zone',
    ['code', 'name_ar', 'name_fr', 'commune_code', 'is_demo'],
    map.zones.map((z) => [z.code, z.nameAr, z.nameFr, zoneCommuneCode(z.code), true]),
    ['code'],
  );
  const ordered = [...map.schools].sort((a, b) => Number(a.kind === 'satelliteUnit') - Number(b.kind === 'satelliteUnit'));
  const schools = await upsertRows(
    em,
    'school',
    ['code', 'name_ar', 'name_fr', 'address_ar', 'address_fr', 'kind', 'commune_code', 'directorate_code', 'parent_school_code', 'is_demo'],
    ordered.map((s): SqlValue[] => [s.code, s.nameAr, s.nameFr, s.addressAr, s.addressFr, s.kind, s.communeCode, s.directorateCode, s.parentSchoolCode, true]),
    ['code'],
  );
  const pairs = map.schools.flatMap((s) => s.zoneCodes.map((z): SqlValue[] => [s.code, z]));
  const linksCreated = await upsertRows(em, 'school_zone', ['school_code', 'residence_zone_code'], pairs, ['school_code', 'residence_zone_code'], []);
  const removed = await em.execute<Array<{ school_code: string }>>(
    `delete from school_zone where school_code in (${map.schools.map(() => '?').join(', ')})` +
      ` and (school_code, residence_zone_code) not in (${pairs.map(() => '(?, ?)').join(', ')}) returning school_code`,
    [...map.schools.map((s) => s.code), ...pairs.flat()],
    'all',
  );
  for (const d of map.directorates) {
    const updated = await em.execute('update provincial_directorate set address_ar = ?, address_fr = ?, phone = ? where code = ?', [d.addressAr, d.addressFr, d.phone, d.code], 'run');
    if (!(updated as { affectedRows?: number }).affectedRows) throw new Error(`Demo school map: directorate ${d.code} does not exist`);
  }
  const capacities = await upsertRows(
    em,
    'school_capacity',
    ['school_code', 'school_year_code', 'level', 'seats'],
    map.schools.flatMap((s) => map.schoolYears.flatMap((y) => LEVELS.map((level): SqlValue[] => [s.code, y, level, s.seats[level]]))),
    ['school_code', 'school_year_code', 'level'],
  );
  return {
    schools,
    zones,
    links: { created: linksCreated.created, removed: removed.length },
    capacities,
    schoolCodes: ordered.map((s) => s.code),
  };
}
