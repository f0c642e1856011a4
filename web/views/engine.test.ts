/**
 * The view engine renders exactly what express-handlebars 7 (which it replaces) rendered, for pages
 * with and without layout, with partials (also in a subfolder) and helpers reading `@root`; the
 * page cache serves the same HTML with each visitor's own CSRF token and never another model's page.
 */
import path from 'node:path';
import { ExpressHandlebars } from 'express-handlebars';
import { helpers } from './helpers';
import { createViewEngine } from './engine';

const VIEWS = __dirname;
const options = {
  extname: '.hbs', defaultLayout: 'main', layoutsDir: path.join(VIEWS, 'layouts'), partialsDir: path.join(VIEWS, 'partials'), helpers,
};
const view = (name: string) => path.join(VIEWS, `${name}.hbs`);
/** What Express hands the engine: app locals (settings), res.locals and the route's model, merged. */
const model = (lang: 'ar' | 'fr', extra: Record<string, unknown>) => ({
  settings: { views: VIEWS, 'view engine': 'hbs' }, cache: true, _locals: {},
  lang, dir: lang === 'ar' ? 'rtl' : 'ltr', otherLang: lang === 'ar' ? 'fr' : 'ar', switchUrl: `/x?lang=${lang === 'ar' ? 'fr' : 'ar'}`,
  parentSignedIn: false, greenNumber: '0800 000 000', devOutbox: false, csrfToken: 'a'.repeat(64) + '.' + 'b'.repeat(64), ...extra,
});
const statusModel = (lang: 'ar' | 'fr', status = 'submitted') => model(lang, {
  title: 'Status', pr: { reference: 'P27-AAAAA-BBBBB', status, level: 'primary1', schoolYear: '2027-2028', decisionDueOn: '2027-06-20' },
  events: [{ at: new Date('2027-06-01T10:15:00Z'), label: `timeline.status.${status}`, status }],
  nextStep: `parent.status.next.${status}`, canManage: true, documents: [],
});

function expressHandlebars(file: string, m: object): Promise<string> {
  const hbs = new ExpressHandlebars(options);
  return new Promise((resolve, reject) => { void hbs.renderView(file, m as Parameters<typeof hbs.renderView>[1], (err: Error | null, html?: string) => (err ? reject(err) : resolve(html!))); });
}

test.each([
  ['parent/status', statusModel('ar')],
  ['parent/status', statusModel('fr', 'approved')],
  ['parent/home', model('fr', { title: 'Accueil', lookupError: 'x < y', lookupValue: '"quoted"' })],
  ['error', model('ar', { title: 'Not found', message: 'missing' })],
  ['partials/placeResults', model('fr', { layout: false, search: null, radioName: 'zone', current: '' })],
])('%s renders as express-handlebars rendered it', async (name, m) => {
  const ours = createViewEngine(options).render(view(name), m);
  expect(ours).toBe(await expressHandlebars(view(name), m));
  expect(ours.length).toBeGreaterThan(0);
});

test('the page cache: the same HTML with each visitor\'s own token, another language or status renders anew', () => {
  const engine = createViewEngine(options);
  const cached = (m: Record<string, unknown>) => engine.render(view('parent/status'), { ...m, pageCache: { perVisitor: ['csrfToken'] } });
  const plain = (m: Record<string, unknown>) => engine.render(view('parent/status'), m);
  const a = { ...statusModel('ar'), csrfToken: `${'1'.repeat(64)}.${'2'.repeat(64)}` };
  const b = { ...statusModel('ar'), csrfToken: `${'3'.repeat(64)}.${'4'.repeat(64)}` };
  expect(cached(a)).toBe(plain(a));
  expect(engine.cachedPages()).toBe(1);
  const second = cached(b);
  expect(engine.cachedPages()).toBe(1); // served from the cache…
  expect(second).toBe(plain(b)); // …with b's token, never a's
  expect(second).toContain(`value="${b.csrfToken}"`);
  expect(second).not.toContain(a.csrfToken);

  const fr = cached({ ...statusModel('fr'), csrfToken: a.csrfToken });
  expect(engine.cachedPages()).toBe(2);
  expect(fr).toContain('<html lang="fr" dir="ltr">');
  expect(cached(a)).toContain('<html lang="ar" dir="rtl">');
  const approved = cached({ ...statusModel('ar', 'approved'), csrfToken: a.csrfToken });
  expect(engine.cachedPages()).toBe(3);
  expect(approved).toContain('data-status="approved"');
  // A token that needs escaping is escaped as {{csrfToken}} escapes it; no token: no cache.
  expect(cached({ ...a, csrfToken: 'x"<y' })).toBe(plain({ ...a, csrfToken: 'x"<y' }));
  const before = engine.cachedPages();
  expect(cached({ ...a, csrfToken: '' })).toBe(plain({ ...a, csrfToken: '' }));
  expect(engine.cachedPages()).toBe(before);
});
