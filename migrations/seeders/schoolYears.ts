/**
 * School years (from `migrations/data/school-years.json`), their age rules (domain
 * `defaultAgeRules(startYear)`: primary1 and preschool) and the rejection-reason catalogue
 * (domain `DEFAULT_REJECTION_REASONS`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { defaultAgeRules } from '../../domain/age';
import { LEVELS } from '../../domain/types';
import { DEFAULT_REJECTION_REASONS } from '../../domain/rejectionReasons';
import { DEFAULT_REQUIREMENTS, DOCUMENT_KINDS, REQUIREMENTS } from '../../domain/documents';
import { dataDir } from './reference';
import { upsertRows, type UpsertCounts } from './sql';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const schoolYearsFile = z.object({
  schoolYears: z
    .array(
      z.object({
        code: z.string().regex(/^\d{4}-\d{4}$/),
        startDate: isoDate,
        campaignOpensOn: isoDate,
        campaignClosesOn: isoDate,
        isCurrent: z.boolean(),
        decisionReminderDays: z.number().int().positive(),
        escalationDays: z.number().int().positive(),
        anonymizeAfterDays: z.number().int().positive(),
        /** Last day to bring the originals to the school after approval. */
        originalsDueBy: isoDate.optional(),
        /** Per level, a campaign window other than the year's (e.g. preschool closing earlier). */
        levels: z.record(z.enum(['primary1', 'preschool']), z.object({ campaignOpensOn: isoDate, campaignClosesOn: isoDate })).optional(),
        /** Per level, which supporting documents are required, optional or absent (a kind or level not named: required). */
        documents: z.record(z.enum(['primary1', 'preschool']), z.partialRecord(z.enum(DOCUMENT_KINDS), z.enum(REQUIREMENTS))).optional(),
      }),
    )
    .min(1),
});

/** One school year as seeded: `code` `YYYY-YYYY`, dates `YYYY-MM-DD`, campaign window inclusive. */
export type SchoolYearData = z.infer<typeof schoolYearsFile>['schoolYears'][number];

/**
 * Reads and checks `school-years.json`: codes are consecutive years (`2027-2028`), the start date
 * falls in the first year, the campaign closes on or after it opens and before the start, and
 * exactly one year is current.
 * @throws Error (zod or a message) when the file is invalid.
 */
export function loadSchoolYears(file: string = path.join(dataDir(), 'school-years.json')): SchoolYearData[] {
  const { schoolYears } = schoolYearsFile.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  for (const y of schoolYears) {
    const [a, b] = y.code.split('-').map(Number);
    if (b !== a + 1 || !y.startDate.startsWith(`${a}-`)) throw new Error(`School year ${y.code}: code or start date inconsistent`);
    if (y.campaignClosesOn < y.campaignOpensOn || y.campaignClosesOn >= y.startDate) throw new Error(`School year ${y.code}: campaign window inconsistent`);
    if (y.originalsDueBy !== undefined && (y.originalsDueBy < y.campaignOpensOn || y.originalsDueBy >= y.startDate)) throw new Error(`School year ${y.code}: originalsDueBy outside the campaign and the year's start`);
    for (const [level, w] of Object.entries(y.levels ?? {})) {
      if (w.campaignClosesOn < w.campaignOpensOn || w.campaignClosesOn >= y.startDate) throw new Error(`School year ${y.code}, ${level}: campaign window inconsistent`);
    }
  }
  if (schoolYears.filter((y) => y.isCurrent).length !== 1) throw new Error('school-years.json: exactly one school year must be current');
  return schoolYears;
}

/** What `seedSchoolYears` did. */
export interface SchoolYearsSeedResult {
  schoolYears: UpsertCounts;
  ageRules: UpsertCounts;
  rejectionReasons: UpsertCounts;
  currentSchoolYear: string;
}

/**
 * Upserts the school years, their age rules (one per year and level) and the rejection reasons on
 * `em` (call inside a transaction). The file's current year becomes the only current one. A
 * rejection reason's `active` flag is left as it is (only codes, texts and order are seeded).
 */
export async function seedSchoolYears(em: EntityManager): Promise<SchoolYearsSeedResult> {
  const years = loadSchoolYears();
  const schoolYears = await upsertRows(
    em,
    'school_year',
    ['code', 'start_date', 'campaign_opens_on', 'campaign_closes_on', 'is_current', 'decision_reminder_days', 'escalation_days', 'anonymize_after_days', 'originals_due_by'],
    years.map((y) => [y.code, y.startDate, y.campaignOpensOn, y.campaignClosesOn, y.isCurrent, y.decisionReminderDays, y.escalationDays, y.anonymizeAfterDays, y.originalsDueBy ?? null]),
    ['code'],
  );
  const current = years.find((y) => y.isCurrent)!.code;
  await em.execute('update "school_year" set "is_current" = false where "is_current" and "code" <> ?', [current], 'run');

  const rules = years.flatMap((y) => defaultAgeRules(Number(y.code.slice(0, 4))));
  const ageRules = await upsertRows(
    em,
    'age_rule',
    ['school_year_code', 'level', 'eligible_born_on_or_before', 'eligible_born_on_or_after', 'tolerance_born_from', 'tolerance_born_to', 'reference_date', 'source'],
    rules.map((r) => [r.schoolYear, r.level, r.eligibleBornOnOrBefore, r.eligibleBornOnOrAfter, r.toleranceBornFrom, r.toleranceBornTo, r.referenceDate, r.source]),
    ['school_year_code', 'level'],
  );
  const rejectionReasons = await upsertRows(
    em,
    'rejection_reason',
    ['code', 'text_ar', 'text_fr', 'sort_order'],
    DEFAULT_REJECTION_REASONS.map((r) => [r.code, r.textAr, r.textFr, r.sortOrder]),
    ['code'],
  );
  // The window of each year and level: the level's own dates, else the year's.
  await upsertRows(
    em,
    'campaign_window',
    ['school_year_code', 'level', 'opens_on', 'closes_on'],
    years.flatMap((y) => LEVELS.map((level) => {
      const w = y.levels?.[level] ?? { campaignOpensOn: y.campaignOpensOn, campaignClosesOn: y.campaignClosesOn };
      return [y.code, level, w.campaignOpensOn, w.campaignClosesOn];
    })),
    ['school_year_code', 'level'],
  );
  // The supporting documents each year and level asks for (what the file does not name is required).
  await upsertRows(
    em,
    'document_requirement',
    ['school_year_code', 'level', 'kind', 'requirement'],
    years.flatMap((y) => LEVELS.flatMap((level) => DOCUMENT_KINDS.map((kind) => [y.code, level, kind, y.documents?.[level]?.[kind] ?? DEFAULT_REQUIREMENTS[kind]]))),
    ['school_year_code', 'level', 'kind'],
  );
  return { schoolYears, ageRules, rejectionReasons, currentSchoolYear: current };
}
