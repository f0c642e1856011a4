/**
 * JSON API v1, the school map an API client needs to fill a pre-registration: academies →
 * provincial directorates → communes (or arrondissements) → residence zones → schools recruiting
 * from a zone. Read-only and public (the names are public administrative data).
 */
import { Router } from 'express';
import type { Language } from '../../domain/types';
import type { WebDeps } from '../app';
import * as map from '../services/schoolMap';

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
  return r;
}
