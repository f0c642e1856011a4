/**
 * JSON API v1, the school map an API client needs to fill a pre-registration: academies →
 * provincial directorates → communes (or arrondissements) → residence zones → schools recruiting
 * from a zone. Read-only and public (the names are public administrative data).
 */
import { Router } from 'express';
import type { Language } from '../../domain/types';
import type { WebDeps } from '../app';
import * as map from '../services/schoolMap';
import { translator } from '../i18n';

export function apiSchoolMapRouter(deps: WebDeps): Router {
  const r = Router();
  const em = () => deps.orm.em.fork();
  /** Both languages for each item: `{ code, nameAr, nameFr }`. */
  const both = async <T extends { code: string; name: string }>(list: (lang: Language) => Promise<T[]>) => {
    const [ar, fr] = await Promise.all([list('ar'), list('fr')]);
    const frByCode = new Map(fr.map((x) => [x.code, x]));
    return ar.map(({ name, ...rest }) => ({ ...rest, nameAr: name, nameFr: frByCode.get(rest.code)?.name ?? '' }));
  };
  r.get('/academies', async (_req, res) => { res.json(await both((l) => map.academies(em(), l))); });
  r.get('/academies/:code/directorates', async (req, res) => { res.json(await both((l) => map.directorates(em(), l, String(req.params.code)))); });
  r.get('/directorates/:code/communes', async (req, res) => { res.json(await both((l) => map.communes(em(), l, String(req.params.code)))); });
  r.get('/communes/:code/zones', async (req, res) => { res.json(await both((l) => map.zones(em(), l, String(req.params.code)))); });
  r.get('/zones/:code/schools', async (req, res) => {
    const [ar, fr] = await Promise.all([map.schoolsForZone(em(), 'ar', String(req.params.code)), map.schoolsForZone(em(), 'fr', String(req.params.code))]);
    const frByCode = new Map(fr.map((x) => [x.code, x]));
    res.json(ar.map((s) => ({ code: s.code, nameAr: s.name, nameFr: frByCode.get(s.code)?.name ?? '', addressAr: s.address, addressFr: frByCode.get(s.code)?.address ?? '', isDemo: s.isDemo })));
  });
  /** `?q=`: residence zones and communes without an online map whose name contains what was typed (both languages). */
  r.get('/places', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    const [ar, fr] = await Promise.all([map.searchPlaces(em(), 'ar', q), map.searchPlaces(em(), 'fr', q, Number.MAX_SAFE_INTEGER)]);
    if (!ar.ok || !fr.ok) {
      const key = ar.ok ? 'tooShort' : ar.error;
      res.status(400).json({ error: key, message: { ar: translator('ar')(`residence.${key}`, { max: map.PLACE_QUERY_MAX }), fr: translator('fr')(`residence.${key}`, { max: map.PLACE_QUERY_MAX }) } });
      return;
    }
    const frByKey = new Map(fr.places.map((p) => [p.zoneCode ?? p.communeCode, p]));
    res.json({
      places: ar.places.map((p) => {
        const f = frByKey.get(p.zoneCode ?? p.communeCode);
        return {
          kind: p.kind, zoneCode: p.zoneCode, communeCode: p.communeCode, directorateCode: p.directorateCode, academyCode: p.academyCode,
          zoneAr: p.zone, zoneFr: f?.zone ?? null, communeAr: p.commune, communeFr: f?.commune ?? '', directorateAr: p.directorate, directorateFr: f?.directorate ?? '',
          directorateContact: p.contact ? { addressAr: p.contact.address, addressFr: f?.contact?.address ?? null, phone: p.contact.phone, greenNumber: map.GREEN_NUMBER } : null,
        };
      }),
      more: ar.more,
    });
  });
  return r;
}
