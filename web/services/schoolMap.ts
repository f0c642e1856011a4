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

/** Longest place search accepted, in characters (refused at the door beyond). */
export const PLACE_QUERY_MAX = 60;
/** Most places listed for one search. */
export const PLACE_RESULTS_MAX = 12;
/** The green number (free call) given with a directorate's contact. */
export const GREEN_NUMBER = '0800001122';

/**
 * A name folded for matching: lower case, no accents, no Arabic diacritics or tatweel, the alef,
 * yaa and taa marbuta variants merged, punctuation as spaces (so «Aïn» finds «Ain», «اكدال»
 * finds «أكدال»).
 */
export function foldName(s: string): string {
  return s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[\u064b-\u065f\u0670\u0640]/g, '')
    .replace(/[أإآٱ]/g, 'ا').replace(/ى/g, 'ي').replace(/ة/g, 'ه').replace(/ؤ/g, 'و').replace(/ئ/g, 'ي')
    .replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

export interface DirectorateContact { name: string; address: string | null; phone: string | null }
/** One place found: a residence zone (with its commune), or a commune with no online map. */
export interface Place {
  kind: 'zone' | 'commune';
  zoneCode: string | null; communeCode: string; directorateCode: string; academyCode: string;
  zone: string | null; commune: string; directorate: string;
  /** The directorate's contact, for a commune without an online school map. */
  contact: DirectorateContact | null;
}
export type PlaceSearch = { ok: true; query: string; places: Place[]; more: boolean } | { ok: false; error: 'tooShort' | 'tooLong' };

interface PlaceRow {
  zone_code: string | null; zone_ar: string | null; zone_fr: string | null;
  commune_code: string; commune_ar: string; commune_fr: string;
  directorate_code: string; directorate_ar: string; directorate_fr: string; academy_code: string;
  address_ar: string | null; address_fr: string | null; phone: string | null;
}

const placeOf = (lang: Language, r: PlaceRow): Place => ({
  kind: r.zone_code ? 'zone' : 'commune',
  zoneCode: r.zone_code, communeCode: r.commune_code, directorateCode: r.directorate_code, academyCode: r.academy_code,
  zone: r.zone_code ? (lang === 'ar' ? r.zone_ar : r.zone_fr) : null,
  commune: lang === 'ar' ? r.commune_ar : r.commune_fr,
  directorate: lang === 'ar' ? r.directorate_ar : r.directorate_fr,
  contact: r.zone_code ? null : { name: lang === 'ar' ? r.directorate_ar : r.directorate_fr, address: lang === 'ar' ? r.address_ar : r.address_fr, phone: r.phone },
});

const PLACE_ROWS = `
  select z.code as zone_code, z.name_ar as zone_ar, z.name_fr as zone_fr, c.code as commune_code, c.name_ar as commune_ar, c.name_fr as commune_fr,
         d.code as directorate_code, d.name_ar as directorate_ar, d.name_fr as directorate_fr, d.academy_code,
         d.address_ar, d.address_fr, d.phone
    from commune c join provincial_directorate d on d.code = c.directorate_code
    left join residence_zone z on z.commune_code = c.code
   where not c.has_arrondissements`;

/**
 * Finds the neighbourhoods (residence zones) and communes whose name, in either language, contains
 * every word typed (folded: case, accents, Arabic letter variants), zones first; a commune is
 * listed on its own only when it has no online map (no zones), with its directorate's contact.
 * The one search of every door (parents' space, one-page form, JSON API).
 */
export async function searchPlaces(em: EntityManager, lang: Language, query: string, limit = PLACE_RESULTS_MAX): Promise<PlaceSearch> {
  const q = query.trim();
  if (q.length > PLACE_QUERY_MAX) return { ok: false, error: 'tooLong' };
  const words = foldName(q).split(' ').filter(Boolean);
  if (words.join('').length < 2) return { ok: false, error: 'tooShort' };
  const rows = await em.getConnection().execute<PlaceRow[]>(PLACE_ROWS);
  const hits = rows.filter((r) => {
    const text = foldName([r.zone_ar, r.zone_fr, r.commune_ar, r.commune_fr].filter(Boolean).join(' '));
    return words.every((w) => text.includes(w));
  });
  // Zones first (a map to choose from), then by name in the page's language.
  const places = hits.map((r) => placeOf(lang, r)).sort((a, b) => Number(a.kind === 'commune') - Number(b.kind === 'commune')
    || `${a.zone ?? ''} ${a.commune}`.localeCompare(`${b.zone ?? ''} ${b.commune}`, lang));
  return { ok: true, query: q, places: places.slice(0, limit), more: places.length > limit };
}

/** The place of a residence zone (to show the choice made), or null. */
export async function placeOfZone(em: EntityManager, lang: Language, zoneCode: string): Promise<Place | null> {
  const [row] = await em.getConnection().execute<PlaceRow[]>(`${PLACE_ROWS} and z.code = ?`, [zoneCode]);
  return row ? placeOf(lang, row) : null;
}
