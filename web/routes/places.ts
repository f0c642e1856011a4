/**
 * Finding a place of residence by typing (issue 15): the model both doors render (the parents'
 * space residence step and the one-page form), and the results fragment the pages' script fetches
 * while one types. The search itself is `searchPlaces` (web/services/schoolMap.ts).
 */
import { Router, type Response } from 'express';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Language } from '../../domain/types';
import type { RouteDeps } from '../app';
import { translator } from '../i18n';
import { GREEN_NUMBER, PLACE_QUERY_MAX, searchPlaces, type Place } from '../services/schoolMap';

/** A Moroccan ten-digit number in pairs after the prefix for reading: 0537701234 → "05 37 70 12 34"; the green number 0800 00 11 22. */
export function phoneDisplay(phone: string): string {
  return phone.startsWith('080') ? phone.replace(/^(\d{4})(\d{2})(\d{2})(\d{2})$/, '$1 $2 $3 $4') : phone.replace(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/, '$1 $2 $3 $4 $5');
}

export const greenNumber = { tel: GREEN_NUMBER, display: phoneDisplay(GREEN_NUMBER) };

/** A place with its directorate's phone in reading form. */
export const shownPlace = (p: Place) => ({ ...p, contact: p.contact ? { ...p.contact, phoneDisplay: p.contact.phone ? phoneDisplay(p.contact.phone) : '' } : null });

export interface PlaceSearchModel {
  status: number; query: string;
  search: { query: string; places: ReturnType<typeof shownPlace>[]; more: boolean; count: number } | null;
  error: { message: string; other: { lang: Language; dir: string; message: string } } | null;
}

/**
 * The search of the query string's `place` (absent: no search yet). A query too long, or not a
 * single string, is a 400 with the message in both languages; too short, a hint (200).
 */
export async function placeSearchModel(em: EntityManager, lang: Language, raw: unknown): Promise<PlaceSearchModel> {
  if (raw === undefined) return { status: 200, query: '', search: null, error: null };
  const other: Language = lang === 'ar' ? 'fr' : 'ar';
  const bilingual = (key: string) => ({ message: translator(lang)(key, { max: PLACE_QUERY_MAX }) as string, other: { lang: other, dir: other === 'ar' ? 'rtl' : 'ltr', message: translator(other)(key, { max: PLACE_QUERY_MAX }) as string } });
  if (typeof raw !== 'string') return { status: 400, query: '', search: null, error: bilingual('residence.tooLong') };
  const found = await searchPlaces(em, lang, raw);
  if (!found.ok) {
    return found.error === 'tooLong'
      ? { status: 400, query: raw.slice(0, PLACE_QUERY_MAX), search: null, error: bilingual('residence.tooLong') }
      : { status: 200, query: raw, search: null, error: bilingual('residence.tooShort') };
  }
  return { status: 200, query: found.query, search: { query: found.query, places: found.places.map(shownPlace), more: found.more, count: found.places.length }, error: null };
}

/** Names a results radio may carry (the space's draft field, the one-page form's chooser). */
const FIELDS = new Set(['residence[residenceZoneCode]', 'zone']);

/** `GET /places/results?place=…&field=…&current=…`: the results fragment, for the pages' script. */
export function placesRouter(deps: RouteDeps): Router {
  const r = Router();
  r.get('/places/results', async (req, res: Response) => {
    const lang: Language = res.locals.lang;
    const field = typeof req.query.field === 'string' && FIELDS.has(req.query.field) ? req.query.field : 'zone';
    const model = await placeSearchModel(deps.orm.em.fork(), lang, req.query.place);
    res.status(model.status).set('Cache-Control', 'no-store').render('partials/placeResults', {
      layout: false, search: model.search, radioName: field, current: typeof req.query.current === 'string' ? req.query.current : '', greenNumber,
    });
  });
  return r;
}
