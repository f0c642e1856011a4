/**
 * Residence in one step (issue 15 item 3): the place of residence found by typing, over real HTTP
 * and PostgreSQL, at every door (the parents' space residence step without JavaScript, the results
 * fragment its script fetches, the JSON API): folded Arabic and Latin matching, the query length
 * limited at the door (400 in both languages), no match, and a commune without an online school
 * map giving its directorate's address, phone and the green number.
 */
import { startTestApp, demoSchool, type TestApp } from './support/app';
import { Browser } from './support/http';
import { spaceHelpers } from './support/space';
import { PLACE_QUERY_MAX, PLACE_RESULTS_MAX } from '../web/services/schoolMap';

let t: TestApp;
let H: ReturnType<typeof spaceHelpers>;
let b: Browser;
let draftId: string;

beforeAll(async () => {
  t = await startTestApp();
  const school = await demoSchool(t);
  H = spaceHelpers(t, school, { academy: '', directorate: school.directorateCode });
  ({ b } = await H.newParent());
  draftId = await H.newDraftId(b);
});
afterAll(async () => { await t?.stop(); });

/** The place lines of a results list (radio labels and map-less communes), in order. */
const placesIn = (html: string) => [...html.matchAll(/<label for="place-\d+">([^<]*)<\/label>|<div class="panel place place-nomap">\s*<p><strong>([^<]*)<\/strong>/g)].map((m) => (m[1] ?? m[2]).replace(/&#x27;/g, "'"));
/** French typography puts no-break spaces before colons and inside guillemets: compared as spaces. */
const plain = (html: string) => html.replace(/[\u00a0\u202f]/g, ' ');
const step = async (q: string, lang: 'ar' | 'fr') => {
  const res = await b.get(`/space/drafts/${draftId}/school?lang=${lang}&place=${encodeURIComponent(q)}`);
  return { status: res.status, text: async () => plain(await res.text()) };
};

test('an Arabic query, folded (اكدال finds أكدال): the zones of Agdal-Riyad, then the commune Agdal (Fès) without a map (the green number: no contact known for that directorate), each with its region names', async () => {
  const res = await step('اكدال', 'ar');
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(placesIn(html)).toEqual([
    'أكدال — جماعة أكدال الرياض — مديرية الرباط',
    'حي الرياض — جماعة أكدال الرياض — مديرية الرباط',
    'جماعة أكدال — مديرية فاس',
  ]);
  expect(html).toContain('<p id="place-count" class="hint" role="status" aria-live="polite">عدد النتائج: 3</p>');
  expect(html).toContain('<input type="radio" id="place-0" name="residence[residenceZoneCode]" value="04.421.01.01-Z01">');
  expect(html).toContain('<p>أو الرقم الأخضر المجاني: <a href="tel:0800001122" class="green-number"><bdi dir="ltr">0800 00 11 22</bdi></a></p>');
  expect(html).not.toContain('class="directorate-phone"');
});

test('a Latin query, accent- and case-insensitive (AIN diab finds Aïn Diab): one zone', async () => {
  const res = await step('AIN diab', 'fr');
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(placesIn(html)).toEqual(['Aïn Diab — commune Anfa — direction Casablanca-Anfa']);
  expect(html).toContain('Nombre de résultats : 1');
  // The same search, as the page's script fetches it, and as the JSON API gives it.
  const fragment = plain(await (await b.get(`/places/results?lang=fr&place=${encodeURIComponent('ain DIAB')}&field=${encodeURIComponent('residence[residenceZoneCode]')}`)).text());
  expect(placesIn(fragment)).toEqual(['Aïn Diab — commune Anfa — direction Casablanca-Anfa']);
  const api = await (await fetch(`${t.baseUrl}/api/v1/school-map/places?q=${encodeURIComponent('Aïn Diab')}`)).json();
  expect(api).toEqual({ places: [{
    kind: 'zone', zoneCode: '06.141.01.01-Z01', communeCode: '06.141.01.01', directorateCode: '06.141.01.00', academyCode: '06',
    zoneAr: 'عين الذئاب', zoneFr: 'Aïn Diab', communeAr: 'أنفا', communeFr: 'Anfa', directorateAr: 'الدار البيضاء-أنفا', directorateFr: 'Casablanca-Anfa', directorateContact: null,
  }], more: false });
});

test(`a query longer than ${PLACE_QUERY_MAX} characters: 400, the message in both languages, the query kept (cut to the limit)`, async () => {
  const long = 'ا'.repeat(PLACE_QUERY_MAX + 1);
  const res = await step(long, 'ar');
  expect(res.status).toBe(400);
  const html = await res.text();
  expect(html).toContain(`<span class="error-message" id="place-error">البحث طويل جدا: 60 حرفا على الأكثر. <span lang="fr" dir="ltr">Recherche trop longue : 60 caractères au plus.</span></span>`);
  expect(html).toContain(`value="${'ا'.repeat(PLACE_QUERY_MAX)}"`);
  const api = await fetch(`${t.baseUrl}/api/v1/school-map/places?q=${encodeURIComponent(long)}`);
  expect(api.status).toBe(400);
  expect(await api.json()).toEqual({ error: 'tooLong', message: { ar: 'البحث طويل جدا: 60 حرفا على الأكثر.', fr: 'Recherche trop longue : 60 caractères au plus.' } });
  const fragment = await b.get(`/places/results?place=${encodeURIComponent(long)}`);
  expect(fragment.status).toBe(400);
});

test('no match: a message naming the query, no list', async () => {
  const res = await step('Zzqxw', 'fr');
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(placesIn(html)).toEqual([]);
  expect(html).toContain('<p class="panel" id="place-none">Aucun résultat pour « Zzqxw ». Essayez une autre partie du nom ou le nom de la commune.</p>');
  expect(html).toContain('Nombre de résultats : 0');
});

test(`a wide query lists at most ${PLACE_RESULTS_MAX} places and says there are more`, async () => {
  const html = await (await step('ain', 'fr')).text();
  expect(placesIn(html)).toHaveLength(PLACE_RESULTS_MAX);
  expect(html).toContain("D&#x27;autres résultats existent : ajoutez un mot du nom pour préciser.");
});

test('a commune without an online map (Bab Berred): its directorate\'s address and phone, and the green number, as tel: links', async () => {
  const ar = await (await step('باب برد', 'ar')).text();
  expect(placesIn(ar)).toEqual(['جماعة باب برد — مديرية شفشاون']);
  expect(ar).toContain('<p>العنوان: المديرية الإقليمية للتربية الوطنية، شارع الحسن الثاني، شفشاون</p>');
  expect(ar).toContain('<a href="tel:0539986011" class="directorate-phone"><bdi dir="ltr">05 39 98 60 11</bdi></a>');
  expect(ar).toContain('<a href="tel:0800001122" class="green-number"><bdi dir="ltr">0800 00 11 22</bdi></a>');
  const fr = await (await step('bab berred', 'fr')).text();
  expect(placesIn(fr)).toEqual(['Commune Bab Berred — direction Chefchaouen']);
  expect(fr).toContain('<p>Adresse : Direction provinciale de l&#x27;éducation nationale, avenue Hassan II, Chefchaouen</p>');
  expect(fr).toContain('ou le numéro vert gratuit : <a href="tel:0800001122" class="green-number">');
});

test('choosing a place found (no JavaScript): the step again with that place and its schools', async () => {
  const html = await (await step('agdal', 'fr')).text();
  expect(placesIn(html)[0]).toBe('Agdal — commune Agdal Riyad — direction Rabat');
  const res = await H.postStep(b, draftId, 'school', [['residence[residenceZoneCode]', '04.421.01.01-Z01']]);
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe(`/space/drafts/${draftId}/school`);
  const page = plain(await (await b.get(`/space/drafts/${draftId}/school?lang=fr`)).text());
  expect(page).toContain('<p class="panel" id="chosen-place">Lieu de résidence choisi : <strong>Agdal — commune Agdal Riyad — direction Rabat</strong></p>');
  expect(page).toContain('name="schoolPick"');
});

test('the one-page form: the same search (radios named zone), a zone chosen opens the form with the whole chain; too long: 400 in both languages', async () => {
  const anon = new Browser(t.baseUrl);
  const res = await anon.get(`/pre-registration/new?lang=fr&level=primary1&place=${encodeURIComponent('ain diab')}`);
  expect(res.status).toBe(200);
  const html = plain(await res.text());
  expect(placesIn(html)).toEqual(['Aïn Diab — commune Anfa — direction Casablanca-Anfa']);
  expect(html).toContain('<input type="radio" id="place-0" name="zone" value="06.141.01.01-Z01">');
  const chosen = await (await anon.get('/pre-registration/new?lang=fr&level=primary1&place=ain+diab&zone=06.141.01.01-Z01')).text();
  expect(chosen).toContain('<input type="hidden" name="residence[communeCode]" value="06.141.01.01">');
  expect(chosen).toContain('<input type="hidden" name="residence[residenceZoneCode]" value="06.141.01.01-Z01">');
  const long = await anon.get(`/pre-registration/new?lang=fr&level=primary1&place=${'a'.repeat(PLACE_QUERY_MAX + 1)}`);
  expect(long.status).toBe(400);
  expect(plain(await long.text())).toContain('<span class="error-message" id="place-error">Recherche trop longue : 60 caractères au plus. <span lang="ar" dir="rtl">البحث طويل جدا: 60 حرفا على الأكثر.</span></span>');
});
