/**
 * Read-only lists of the school map for the residence chooser: academy → directorate → commune
 * (or arrondissement) → residence zone → schools recruiting from that zone.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Academy, Commune, ProvincialDirectorate, ResidenceZone, School, SchoolYear } from '../../entities';
import type { Language } from '../../domain/types';

export interface Option { code: string; name: string }

const nameOf = (lang: Language, x: { nameAr: string; nameFr: string }) => (lang === 'ar' ? x.nameAr : x.nameFr);

/** The school year whose campaign is current (flag `isCurrent`), or null. */
export async function currentSchoolYear(em: EntityManager): Promise<SchoolYear | null> {
  return em.findOne(SchoolYear, { isCurrent: true });
}

export async function academies(em: EntityManager, lang: Language): Promise<Option[]> {
  const rows = await em.find(Academy, {}, { orderBy: { code: 'asc' } });
  return rows.map((a) => ({ code: a.code, name: nameOf(lang, a) }));
}

export async function directorates(em: EntityManager, lang: Language, academyCode: string): Promise<Option[]> {
  const rows = await em.find(ProvincialDirectorate, { academy: academyCode }, { orderBy: { code: 'asc' } });
  return rows.map((d) => ({ code: d.code, name: nameOf(lang, d) })).sort((a, b) => a.name.localeCompare(b.name, lang));
}

/** Residence units of a directorate: communes without arrondissements, and arrondissements. */
export async function communes(em: EntityManager, lang: Language, directorateCode: string): Promise<Option[]> {
  const rows = await em.find(Commune, { directorate: directorateCode, hasArrondissements: false });
  return rows.map((c) => ({ code: c.code, name: nameOf(lang, c) })).sort((a, b) => a.name.localeCompare(b.name, lang));
}

export async function zones(em: EntityManager, lang: Language, communeCode: string): Promise<Option[]> {
  const rows = await em.find(ResidenceZone, { commune: communeCode });
  return rows.map((z) => ({ code: z.code, name: nameOf(lang, z) })).sort((a, b) => a.name.localeCompare(b.name, lang));
}

export interface SchoolOption extends Option { address: string; isDemo: boolean }

/** Schools (and satellite units) whose recruitment zones include `zoneCode`. */
export async function schoolsForZone(em: EntityManager, lang: Language, zoneCode: string): Promise<SchoolOption[]> {
  const rows = await em.find(School, { zones: { code: zoneCode } }, { orderBy: { code: 'asc' } });
  return rows.map((s) => ({ code: s.code, name: nameOf(lang, s), address: lang === 'ar' ? s.addressAr : s.addressFr, isDemo: s.isDemo }));
}

/** Resolves a zone code to its full chain (for refilling the chooser), or null. */
export async function zoneChain(em: EntityManager, zoneCode: string): Promise<{ zone: ResidenceZone; commune: Commune; directorate: ProvincialDirectorate; academy: Academy } | null> {
  const zone = await em.findOne(ResidenceZone, { code: zoneCode }, { populate: ['commune.directorate.academy'] });
  const directorate = zone?.commune.directorate;
  if (!zone || !directorate) return null;
  return { zone, commune: zone.commune, directorate, academy: directorate.academy };
}

/**
 * Schools of a provincial directorate that do not recruit from the zone (the "another school"
 * choice of the parents' form, which then asks for a reason), ordered by code.
 */
export async function otherSchools(em: EntityManager, lang: Language, directorateCode: string, zoneCode: string): Promise<SchoolOption[]> {
  const inZone = new Set((await em.find(School, { zones: { code: zoneCode } }, { fields: ['code'] })).map((s) => s.code));
  const rows = await em.find(School, { directorate: { code: directorateCode } }, { orderBy: { code: 'asc' } });
  return rows.filter((s) => !inZone.has(s.code)).map((s) => ({ code: s.code, name: nameOf(lang, s), address: lang === 'ar' ? s.addressAr : s.addressFr, isDemo: s.isDemo }));
}

/** Whether the school recruits from the residence zone. */
export async function schoolServesZone(em: EntityManager, schoolCode: string, zoneCode: string): Promise<boolean> {
  return (await em.count(School, { code: schoolCode, zones: { code: zoneCode } })) > 0;
}
