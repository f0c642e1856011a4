import { EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';

/** A regional academy of education and training (AREF), one per region (law 71-15; 12 since 2016). Keyed by HCP region code. */
export class Academy {
  [PrimaryKeyProp]?: 'code';
  code!: string;
  nameAr!: string;
  nameFr!: string;
  regionNameAr!: string;
  regionNameFr!: string;
}
export const AcademySchema = new EntitySchema<Academy>({
  class: Academy,
  tableName: 'academy',
  properties: {
    code: { type: 'string', length: 2, primary: true },
    nameAr: { type: 'string', length: 200 },
    nameFr: { type: 'string', length: 200 },
    regionNameAr: { type: 'string', length: 100 },
    regionNameFr: { type: 'string', length: 100 },
  },
});

/** Kind of a provincial directorate's territory: prefecture (P), province (Pr), prefecture of arrondissements (PA). */
export type DirectorateKind = 'P' | 'Pr' | 'PA';

/** A provincial directorate (المديرية الإقليمية), 82 of them, keyed by HCP province/prefecture code (e.g. `01.511`). */
export class ProvincialDirectorate {
  [PrimaryKeyProp]?: 'code';
  code!: string;
  nameAr!: string;
  nameFr!: string;
  kind!: DirectorateKind;
  academy!: Academy;
  /** Contact for parents (address in both languages, phone in national format); null when unknown. */
  addressAr?: string | null;
  addressFr?: string | null;
  phone?: string | null;
}
export const ProvincialDirectorateSchema = new EntitySchema<ProvincialDirectorate>({
  class: ProvincialDirectorate,
  tableName: 'provincial_directorate',
  properties: {
    code: { type: 'string', length: 16, primary: true },
    nameAr: { type: 'string', length: 120 },
    nameFr: { type: 'string', length: 120 },
    kind: { type: 'string', length: 2 },
    academy: { kind: 'm:1', entity: () => Academy, index: true },
    addressAr: { type: 'string', length: 300, nullable: true },
    addressFr: { type: 'string', length: 300, nullable: true },
    phone: { type: 'string', length: 20, nullable: true },
  },
});

/**
 * A territorial unit a family can reside in: an HCP commune, or an arrondissement of a city commune
 * (`kind = 'arrondissement'`, `parentCode` = the city's code). Units with arrondissements are not
 * offered for residence; their arrondissements are. Casablanca's arrondissements belong to the
 * eight prefectures of arrondissements, so a unit's directorate is stored, not derived.
 */
export class Commune {
  [PrimaryKeyProp]?: 'code';
  code!: string;
  nameAr!: string;
  nameFr!: string;
  /** HCP type: `urban` or `rural` (arrondissements are `urban`). */
  type!: string;
  kind!: 'commune' | 'arrondissement';
  parentCode?: string | null;
  /** Null only for a city commune split across several directorates (Casablanca). */
  directorate?: ProvincialDirectorate | null;
  population2024!: number;
  hasArrondissements!: boolean;
}
export const CommuneSchema = new EntitySchema<Commune>({
  class: Commune,
  tableName: 'commune',
  properties: {
    code: { type: 'string', length: 16, primary: true },
    nameAr: { type: 'string', length: 120 },
    nameFr: { type: 'string', length: 120 },
    type: { type: 'string', length: 16 },
    kind: { type: 'string', length: 16 },
    parentCode: { type: 'string', length: 16, nullable: true },
    directorate: { kind: 'm:1', entity: () => ProvincialDirectorate, nullable: true, index: true },
    population2024: { type: 'integer' },
    hasArrondissements: { type: 'boolean', default: false },
  },
});

/** A school-map unit of residence (neighbourhood, village, douar) inside a commune or arrondissement. */
export class ResidenceZone {
  [PrimaryKeyProp]?: 'code';
  code!: string;
  nameAr!: string;
  nameFr!: string;
  commune!: Commune;
  isDemo!: boolean;
}
export const ResidenceZoneSchema = new EntitySchema<ResidenceZone>({
  class: ResidenceZone,
  tableName: 'residence_zone',
  properties: {
    code: { type: 'string', length: 32, primary: true },
    nameAr: { type: 'string', length: 150 },
    nameFr: { type: 'string', length: 150 },
    commune: { kind: 'm:1', entity: () => Commune, index: true },
    isDemo: { type: 'boolean', default: false },
  },
});
