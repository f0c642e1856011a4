import { Collection, EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';
import type { Level } from '../domain/types';
import { Commune, ProvincialDirectorate, ResidenceZone } from './reference';

/** `school`: an autonomous primary school; `groupSchool`: a rural group school (مجموعة مدارس) with satellite units; `satelliteUnit`: one of its units (فرعية). */
export type SchoolKind = 'school' | 'groupSchool' | 'satelliteUnit';

/** A public primary school or satellite unit of the school map (الخريطة المدرسية), keyed by its code. */
export class School {
  [PrimaryKeyProp]?: 'code';
  code!: string;
  nameAr!: string;
  nameFr!: string;
  addressAr!: string;
  addressFr!: string;
  kind!: SchoolKind;
  commune!: Commune;
  directorate!: ProvincialDirectorate;
  parentSchool?: School | null;
  /** True for the shipped demo school map: shown as such in the UI. */
  isDemo!: boolean;
  zones = new Collection<ResidenceZone>(this);
}
export const SchoolSchema = new EntitySchema<School>({
  class: School,
  tableName: 'school',
  properties: {
    code: { type: 'string', length: 16, primary: true },
    nameAr: { type: 'string', length: 200 },
    nameFr: { type: 'string', length: 200 },
    addressAr: { type: 'string', length: 300, default: '' },
    addressFr: { type: 'string', length: 300, default: '' },
    kind: { type: 'string', length: 16 },
    commune: { kind: 'm:1', entity: () => Commune, index: true },
    directorate: { kind: 'm:1', entity: () => ProvincialDirectorate, index: true },
    parentSchool: { kind: 'm:1', entity: () => School, nullable: true, index: true },
    isDemo: { type: 'boolean', default: false },
    zones: { kind: 'm:n', entity: () => ResidenceZone, pivotTable: 'school_zone', owner: true },
  },
});

/** A school year (الموسم الدراسي), e.g. `2026-2027`, with its start date and the parents' campaign window. */
export class SchoolYear {
  [PrimaryKeyProp]?: 'code';
  code!: string;
  startDate!: string;
  campaignOpensOn!: string;
  campaignClosesOn!: string;
  isCurrent!: boolean;
  /** Days without a decision before the director is reminded. */
  decisionReminderDays!: number;
  /** Days without a decision before the directorate's supervisor is alerted. */
  escalationDays!: number;
  /** Days after which rejected and withdrawn requests are anonymised (law 09-08). */
  anonymizeAfterDays!: number;
  /** Last day for an approved child's guardian to bring the originals to the school (null: no date given). */
  originalsDueBy?: string | null;
}
export const SchoolYearSchema = new EntitySchema<SchoolYear>({
  class: SchoolYear,
  tableName: 'school_year',
  properties: {
    code: { type: 'string', length: 9, primary: true },
    startDate: { type: 'date' },
    campaignOpensOn: { type: 'date' },
    campaignClosesOn: { type: 'date' },
    isCurrent: { type: 'boolean', default: false },
    decisionReminderDays: { type: 'integer', default: 7 },
    escalationDays: { type: 'integer', default: 14 },
    anonymizeAfterDays: { type: 'integer', default: 365 },
    originalsDueBy: { type: 'date', nullable: true },
  },
});

/** First-year seats of a school for a school year and level. */
export class SchoolCapacity {
  id!: number;
  school!: School;
  schoolYear!: SchoolYear;
  level!: Level;
  seats!: number;
}
export const SchoolCapacitySchema = new EntitySchema<SchoolCapacity>({
  class: SchoolCapacity,
  tableName: 'school_capacity',
  uniques: [{ properties: ['school', 'schoolYear', 'level'] }],
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    school: { kind: 'm:1', entity: () => School },
    schoolYear: { kind: 'm:1', entity: () => SchoolYear },
    level: { type: 'string', length: 16 },
    seats: { type: 'integer' },
  },
});

/** The age rule of one school year and level, as data (see domain AgeRule). */
export class AgeRuleRow {
  id!: number;
  schoolYear!: SchoolYear;
  level!: Level;
  eligibleBornOnOrBefore!: string;
  eligibleBornOnOrAfter?: string | null;
  toleranceBornFrom?: string | null;
  toleranceBornTo?: string | null;
  referenceDate!: string;
  source!: string;
}
export const AgeRuleSchema = new EntitySchema<AgeRuleRow>({
  class: AgeRuleRow,
  tableName: 'age_rule',
  uniques: [{ properties: ['schoolYear', 'level'] }],
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    schoolYear: { kind: 'm:1', entity: () => SchoolYear },
    level: { type: 'string', length: 16 },
    eligibleBornOnOrBefore: { type: 'date' },
    eligibleBornOnOrAfter: { type: 'date', nullable: true },
    toleranceBornFrom: { type: 'date', nullable: true },
    toleranceBornTo: { type: 'date', nullable: true },
    referenceDate: { type: 'date' },
    source: { type: 'text' },
  },
});

/**
 * The parents' pre-registration window of one school year and level: open from `opensOn` to the
 * end of `closesOn` (inclusive dates, civil days in Africa/Casablanca). Seeded from
 * migrations/data/school-years.json (a year's `levels` override its campaign dates).
 */
export class CampaignWindow {
  [PrimaryKeyProp]?: ['schoolYear', 'level'];
  schoolYear!: SchoolYear;
  level!: Level;
  opensOn!: string;
  closesOn!: string;
}
export const CampaignWindowSchema = new EntitySchema<CampaignWindow>({
  class: CampaignWindow,
  tableName: 'campaign_window',
  properties: {
    schoolYear: { kind: 'm:1', entity: () => SchoolYear, primary: true },
    level: { type: 'string', length: 16, primary: true },
    opensOn: { type: 'date' },
    closesOn: { type: 'date' },
  },
});

/** The rejection-reason catalogue (codes in domain, texts as data). */
export class RejectionReason {
  [PrimaryKeyProp]?: 'code';
  code!: string;
  textAr!: string;
  textFr!: string;
  sortOrder!: number;
  active!: boolean;
}
export const RejectionReasonSchema = new EntitySchema<RejectionReason>({
  class: RejectionReason,
  tableName: 'rejection_reason',
  properties: {
    code: { type: 'string', length: 32, primary: true },
    textAr: { type: 'string', length: 300 },
    textFr: { type: 'string', length: 300 },
    sortOrder: { type: 'integer' },
    active: { type: 'boolean', default: true },
  },
});
