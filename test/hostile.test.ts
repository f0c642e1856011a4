/**
 * Hostile input over every route and field, against the real app on the real stack (PostgreSQL,
 * Temporal). The routes come from the Express router stack, so a new route is covered without
 * touching this file; the fields of each form come from its page (`name="…"`) or, for the API,
 * from a valid submission.
 *
 * Every answer: no 5xx; nothing we sent as markup comes back unescaped; a 400/413 page refused at
 * the door carries its message in Arabic and in French (JSON: `message.ar` and `message.fr`);
 * `/health` still answers after each batch; no prototype was polluted. The summary (inputs tried,
 * by status code) is printed at the end.
 */
import { createApp } from '../web/app';
import pino from 'pino';
import { translator } from '../web/i18n';
import { MAX_PHOTO_BYTES } from '../web/services/photos';
import { demoSchool, startTestApp, testPhoto, validSubmission, type TestApp } from './support/app';
import { Browser, inputValue, toFormFields } from './support/http';
import { spaceHelpers } from './support/space';
import { signInStaff } from './support/staff';

let t: TestApp;
let school: Awaited<ReturnType<typeof demoSchool>>;
let chain: { academy: string; directorate: string };
let anon: Browser;
let parent: Browser;
let staff: Browser;
let staffAuth: string;
let reference: string;
let draftId: string;
let photo: Buffer;
const tokens = new Map<Browser, string>();

const byStatus = new Map<number, number>();
const failures: string[] = [];
let tried = 0;

/** Markup we send; it must never come back as markup. */
const MARKUP = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg/onload=alert(1)>"];
const RAW_MARKUP = ['<script>alert(1)', '<img src=x onerror', '<svg/onload'];
/** Handlebars' escaping, to find a catalogue message in a page. */
const esc = (x: string) => x.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;').replace(/`/g, '&#x60;').replace(/=/g, '&#x3D;');
/** The messages of input refused at the door, in both languages (up to their first parameter). */
const AR_DOOR = ['input.badText', 'input.badPath', 'input.malformed', 'input.truncated', 'input.unsupportedType', 'input.unexpectedFile', 'input.tooManyFields', 'input.tooLarge', 'input.uploadTooLarge', 'input.badNumber']
  .map((k) => [esc(translator('ar')(k, { name: '\u0000', min: '\u0000', max: '\u0000' }).split('\u0000')[0]), esc(translator('fr')(k, { name: '\u0000', min: '\u0000', max: '\u0000' }).split('\u0000')[0])] as const);
const DOOR_TITLES = [esc(translator('ar')('input.title')), esc(translator('fr')('input.title'))];

/** Text values for any string field (form-encoded raw, so that lone surrogates and bad escapes reach the server). */
const TEXT_PAYLOADS: Array<[string, string]> = [
  ['nul', 'a%00b'],
  ['loneSurrogate', '%ED%A0%80'],
  ['badPercent', '%E0%A4%A'],
  ['markup', encodeURIComponent(MARKUP[1])],
  ['script', encodeURIComponent(MARKUP[0])],
  ['sql', encodeURIComponent("' OR 1=1; DROP TABLE school; --")],
  ['bidi', encodeURIComponent('\u202Egnp.exe\u202C\u2066x\u2069')],
  ['long', 'x'.repeat(5000)],
];

function record(label: string, status: number, body: string, contentType: string, sent: string): void {
  tried += 1;
  byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  const fail = (why: string) => {
    failures.push(`${label}: ${why} (${status})`);
    if (process.env.TASJIL_TEST_VERBOSE === '1') process.stderr.write(`hostile FAIL ${label}: ${why} (${status}) ${status >= 500 || why.includes('message') ? body.slice(0, 300).replace(/\s+/g, ' ') : ''}\n`);
  };
  if (status >= 500) fail('5xx');
  for (const m of RAW_MARKUP) if (body.includes(m) && sent.includes(m.slice(1, 6))) fail(`markup reflected: ${m}`);
  if (status === 400 || status === 413) {
    const door = AR_DOOR.filter(([ar, fr]) => body.includes(ar) || body.includes(fr));
    if (contentType.includes('json')) {
      const j = JSON.parse(body) as { message?: { ar?: string; fr?: string }; errors?: unknown[] };
      if (!j.errors && !(j.message?.ar && j.message?.fr)) fail('JSON 4xx without message.ar and message.fr');
    } else if (contentType.includes('html')) {
      // Refused at the door: the message in both languages. Otherwise a form shown again with its error summary.
      if (door.length || DOOR_TITLES.some((x) => body.includes(x))) {
        if (!door.length || door.some(([ar, fr]) => !body.includes(ar) || !body.includes(fr)) || DOOR_TITLES.some((x) => !body.includes(x))) fail('door message not in both languages');
      }
      else if (!/class="error-summary|class="error-message|role="alert"/.test(body)) fail('4xx page without a message');
    }
  }
}

async function send(b: Browser | null, label: string, path: string, init: RequestInit = {}, sent = ''): Promise<Response | null> {
  try {
    const signal = AbortSignal.timeout(30000);
    const res = b ? await b.request(path, { ...init, signal }) : await fetch(t.baseUrl + path, { ...init, signal, redirect: 'manual' });
    const body = await res.text();
    record(label, res.status, body, res.headers.get('content-type') ?? '', sent || path + String(init.body ?? ''));
    return res;
  } catch (err) {
    tried += 1;
    failures.push(`${label}: request failed ${(err as Error).message}`);
    return null;
  }
}

/** One line on stderr per batch (TASJIL_TEST_VERBOSE=1), to follow a long run. */
const progress = (what: string) => { if (process.env.TASJIL_TEST_VERBOSE === '1') process.stderr.write(`hostile: ${tried} tried, ${failures.length} failures, after ${what}\n`); };

async function healthAnswers(label: string): Promise<void> {
  const res = await fetch(`${t.baseUrl}/health`);
  if (res.status !== 200 || (await res.json() as { status: string }).status !== 'ok') failures.push(`${label}: /health did not answer ok`);
}

/** A multipart body built by hand (so that broken ones can be sent). */
function multipart(parts: Array<{ name: string; value?: string | Buffer; filename?: string; type?: string }>, boundary = 'hostileBoundary42', end = true): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disp = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disp}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`));
    chunks.push(typeof p.value === 'string' ? Buffer.from(p.value) : p.value ?? Buffer.alloc(0));
    chunks.push(Buffer.from('\r\n'));
  }
  if (end) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

type Route = { method: string; path: string };

/** The app's routes, read from the Express router stack (mount paths included). */
function appRoutes(): Route[] {
  const { app, close } = createApp({ config: t.config, orm: t.orm, temporal: t.temporal, log: pino({ level: 'silent' }) });
  const out: Route[] = [];
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] }; rawPath?: unknown };
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) out.push({ method: m.toUpperCase(), path: (prefix + layer.route.path).replace(/\/$/, '') || '/' });
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  void close();
  return out.filter((r, i) => out.findIndex((x) => x.method === r.method && x.path === r.path) === i);
}

/** The path with its parameters filled with real values. */
function fill(path: string): string {
  return path.replace(/:(\w+)/g, (_m, name: string) => ({ reference, id: draftId, format: 'csv', step: 'child', table: 'requests', schoolCode: school.schoolCode }[name] ?? 'x'));
}
const browserFor = (path: string) => (path.startsWith('/staff') ? staff : path.startsWith('/space') || path.startsWith('/account') ? parent : anon);

/** The form's field names, from the page that shows it (the one-page form for POST /pre-registration). */
async function formFields(b: Browser, route: Route): Promise<string[]> {
  const page = route.path === '/pre-registration'
    ? `/pre-registration/new?level=primary1&academy=${chain.academy}&directorate=${chain.directorate}&commune=${school.communeCode}&zone=${school.zoneCode}`
    : route.path.endsWith('/decision') || route.path.endsWith('/correction') ? fill(route.path).replace(/\/(decision|correction)$/, '') : fill(route.path);
  const res = await b.get(page);
  const html = await res.text();
  const names = [...html.matchAll(/<(?:input|select|textarea)[^>]*\sname="([^"]+)"/g)].map((m) => m[1].replace(/&#x5B;/g, '[').replace(/&#x5D;/g, ']'));
  const fields = [...new Set(names)].filter((n) => n !== '_csrf' && n !== 'photo');
  return fields.length ? fields : ['identifier', 'password', 'code', 'birthCertificateNumber', 'reference', 'action', 'q'];
}

async function token(b: Browser): Promise<string> {
  const html = await (await b.get(b === staff ? '/staff/requests' : b === parent ? '/space' : '/')).text();
  const v = inputValue(html, '_csrf') ?? '';
  tokens.set(b, v);
  return v;
}

beforeAll(async () => {
  t = await startTestApp();
  school = await demoSchool(t);
  const [row] = await t.orm.em.fork().getConnection().execute<{ academy_code: string }[]>('select academy_code from provincial_directorate where code = ?', [school.directorateCode]);
  chain = { academy: row.academy_code, directorate: school.directorateCode };
  photo = await testPhoto();
  const H = spaceHelpers(t, school, chain);
  parent = (await H.newParent()).b;
  draftId = await H.newDraftId(parent);
  anon = new Browser(t.baseUrl);
  staff = new Browser(t.baseUrl);
  const res = await signInStaff(staff, school.director.username, school.director.password);
  expect(res.status).toBe(303);
  staffAuth = `Basic ${Buffer.from(`${school.director.username}:${school.director.password}`).toString('base64')}`;
  const sub = await fetch(`${t.baseUrl}/api/v1/pre-registrations`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...validSubmission(school, { civilStatus: { ...validSubmission(school).civilStatus, birthCertificateNumber: `HOST-${Date.now()}` } }), photo: { data: photo.toString('base64') } }),
  });
  expect(sub.status).toBe(201);
  reference = ((await sub.json()) as { reference: string }).reference;
  for (const b of [anon, parent, staff]) await token(b);
}, 120000);
afterAll(async () => { await t?.stop(); });

test('the router stack lists the routes of every area', () => {
  const routes = appRoutes();
  const paths = routes.map((r) => `${r.method} ${r.path}`);
  for (const p of ['POST /pre-registration', 'POST /api/v1/pre-registrations', 'PUT /api/v1/pre-registrations/:reference', 'POST /space/drafts/:id/photo', 'POST /account/sign-in', 'POST /staff/login', 'GET /staff/requests']) {
    expect(paths).toContain(p);
  }
});

describe('hostile input', () => {
  test('path parameters and query strings of every route', async () => {
    const routes = appRoutes();
    const pathValues = ['%00', 'a%00b', '%ED%A0%80', '%FF', '%E0%A4%A', '..%2F..%2Fetc%2Fpasswd', '%3Cscript%3Ealert(1)%3C%2Fscript%3E', encodeURIComponent(MARKUP[1]), 'x'.repeat(3000), "'%20OR%201=1--", '%E2%80%AE'];
    const queries = ['lang=%00', 'page=-1', 'page=0', 'page=99999999999999999999', 'page=1e308', 'page=abc', 'page=1&page=2', 'page[]=1', 'q=%00', `q=${encodeURIComponent(MARKUP[0])}`, 'q=%ED%A0%80', 'q=%', '__proto__[polluted]=1', 'from=2026-99-99&to=0000-00-00', `school=${'9'.repeat(2000)}`, 'reference=%00', 'sort=%00&dir=%00'];
    // Every query payload on the pages that read the query string, four (in turn) on the others.
    const readsQuery = /^\/(status|pre-registration\/new|staff\/requests|staff\/audit|staff\/exports|staff\/supervision|space)?$/;
    for (const [j, route] of routes.entries()) {
      const b = browserFor(route.path);
      // Staff credentials on the decision route only (each costs an Argon2 verification).
      const headers: Record<string, string> = route.path.endsWith('/decision') && route.path.startsWith('/api/') ? { Authorization: staffAuth } : {};
      if (route.method === 'GET') {
        const qs = readsQuery.test(route.path) || route.path.startsWith('/staff/exports') ? queries : queries.filter((_, i) => (i + j) % queries.length < 4);
        for (const q of qs) await send(b, `${route.method} ${route.path}?${q}`, `${fill(route.path)}?${q}`, { headers });
      }
      if (route.path.includes(':')) {
        for (const v of pathValues.filter((_, i) => i < 5 || (i + j) % pathValues.length < 3)) {
          const path = route.path.replace(/:(\w+)/g, (_m) => v).replace(/:(\w+)/g, '');
          await send(b, `${route.method} ${route.path} [param ${v.slice(0, 20)}]`, fill(path), { method: route.method, headers });
        }
      }
      await healthAnswers(route.path);
      progress(`${route.method} ${route.path}`);
    }
  }, 600000);

  test('form fields of every form route (urlencoded, with a valid CSRF token)', async () => {
    const routes = appRoutes().filter((r) => r.method === 'POST' && !r.path.startsWith('/api/') && !r.path.startsWith('/codec'));
    for (const route of routes) {
      // Signing out would end the sessions the other routes need: a session of its own.
      const own = /\/(logout|sign-out)$/.test(route.path) ? new Browser(t.baseUrl) : null;
      const b = own ?? browserFor(route.path);
      const csrf = own ? await token(own) : tokens.get(b)!;
      const fields = await formFields(b, route);
      const path = fill(route.path);
      const form = (extra: string) => ({ method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(csrf)}&${extra}` });
      // Every field gets NUL and one other payload in turn (all payloads over the fields of a form).
      for (const [i, f] of fields.entries()) {
        for (const [kind, v] of [TEXT_PAYLOADS[0], TEXT_PAYLOADS[1 + (i % (TEXT_PAYLOADS.length - 1))]]) await send(b, `${route.path} ${f}=${kind}`, path, form(`${encodeURIComponent(f)}=${v}`));
      }
      // Structure: keys, depth, counts, sizes, types.
      const structural: Array<[string, RequestInit]> = [
        ['nul in a key', form('a%00b=1')],
        ['prototype keys', form('__proto__[polluted]=1&constructor[prototype][polluted]=1&__proto__=x')],
        ['too deep', form('a[b][c][d][e][f][g]=1')],
        ['too many fields', form(Array.from({ length: 1200 }, (_, i) => `f${i}=1`).join('&'))],
        ['70 KB', form(`q=${'x'.repeat(70 * 1024)}`)],
        ['array for a text field', form(`${encodeURIComponent(fields[0])}[]=1&${encodeURIComponent(fields[0])}[x]=2`)],
        ['bad percent-encoding', form('%=%&%zz=%E0%A4%A')],
        ['JSON body', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ _csrf: csrf, a: 1 }) }],
        ['text/plain body', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' }],
        ['multipart without boundary', { method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: 'x' }],
        ['no body', { method: 'POST' }],
        ['charset unknown', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=klingon' }, body: 'a=1' }],
      ];
      for (const [kind, init] of structural) await send(b, `${route.path} [${kind}]`, path, init);
      await healthAnswers(route.path);
      progress(`form ${route.path}`);
    }
  }, 600000);

  test('multipart errors on the photo routes, before the CSRF check', async () => {
    const photoRoutes = appRoutes().filter((r) => r.method === 'POST' && (r.path === '/pre-registration' || r.path.endsWith('/photo') || r.path.endsWith('/correct')));
    expect(photoRoutes.map((r) => r.path).sort()).toEqual(['/pre-registration', '/pre-registrations/:reference/correct', '/space/drafts/:id/photo']);
    for (const route of photoRoutes) {
      const b = browserFor(route.path);
      const csrf = tokens.get(b)!;
      const path = fill(route.path);
      const mp = (body: Buffer, boundary = 'hostileBoundary42'): RequestInit => ({ method: 'POST', headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body: new Uint8Array(body) });
      const jpeg = { name: 'photo', value: photo, filename: 'a.jpg', type: 'image/jpeg' };
      const cases: Array<[string, RequestInit, number]> = [
        ['two files in one field', mp(multipart([{ name: '_csrf', value: csrf }, jpeg, jpeg])), 400],
        ['unexpected file field', mp(multipart([{ name: '_csrf', value: csrf }, { ...jpeg, name: 'child[firstNameAr]' }])), 400],
        ['too many fields', mp(multipart(Array.from({ length: 500 }, (_, i) => ({ name: `f${i}`, value: '1' })))), 413],
        ['truncated body', mp(multipart([{ name: '_csrf', value: csrf }, jpeg], 'hostileBoundary42', false).subarray(0, 2000)), 400],
        ['no boundary', { method: 'POST', headers: { 'Content-Type': 'multipart/form-data' }, body: multipart([jpeg]).toString('latin1') }, 400],
        ['wrong boundary', mp(multipart([{ name: '_csrf', value: csrf }]), 'anotherBoundary'), 400],
        ['garbage', mp(Buffer.from('\u0000\u0001garbage--hostileBoundary42\r\n\r\n')), 400],
        ['wrong content type', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }, 400],
        ['NUL in a field', mp(multipart([{ name: '_csrf', value: csrf }, { name: 'child[firstNameAr]', value: 'a\u0000b' }])), 400],
        ['NUL in a field name', mp(multipart([{ name: '_csrf', value: csrf }, { name: 'a\u0000b', value: 'x' }])), 400],
        ['too deep a field name', mp(multipart([{ name: '_csrf', value: csrf }, { name: 'a[b][c][d][e][f][g]', value: 'x' }])), 400],
        ['declared 100 MB', { method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=hostileBoundary42', 'Content-Length': String(100 * 1024 * 1024) }, body: new Uint8Array(multipart([jpeg]).subarray(0, 100)) }, -1],
        ['prototype keys', mp(multipart([{ name: '_csrf', value: csrf }, { name: '__proto__[polluted]', value: '1' }, { name: 'constructor[prototype][polluted]', value: '1' }])), -1],
        ['long field value', mp(multipart([{ name: '_csrf', value: csrf }, { name: 'child[firstNameAr]', value: 'ب'.repeat(40000) }])), -1],
      ];
      for (const [kind, init, expected] of cases) {
        if (kind === 'declared 100 MB') continue; // a lying Content-Length is refused by Node's HTTP parser; measured with curl instead (see the report)
        const res = await send(b, `${route.path} multipart [${kind}]`, path, init);
        if (res && expected > 0 && res.status !== expected) failures.push(`${route.path} multipart [${kind}]: expected ${expected}, got ${res.status}`);
      }
      await healthAnswers(route.path);
    }
  }, 600000);

  test('JSON API fields and structures', async () => {
    const base = validSubmission(school);
    const leaves = toFormFields(base).map(([k]) => k.replace(/\]/g, '').split('['));
    const setAt = (obj: Record<string, unknown>, path: string[], v: unknown) => {
      let o = obj;
      for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
      o[path[path.length - 1]] = v;
    };
    const values: Array<[string, unknown]> = [['nul', 'a\u0000b'], ['loneSurrogate', '\uD800x'], ['markup', MARKUP[1]], ['number', 1e308], ['object', { $ne: null }], ['array', ['a']], ['long', 'x'.repeat(5000)]];
    const json = (body: string, headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
    const put = (body: string): RequestInit => ({ method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-Birth-Certificate-Number': 'wrong/0000' }, body });
    for (const [i, leaf] of leaves.entries()) {
      for (const [kind, v] of [values[0], values[1 + (i % (values.length - 1))]]) {
        const body = structuredClone(base) as Record<string, unknown>;
        setAt(body, leaf, v);
        await send(null, `POST /api/v1/pre-registrations ${leaf.join('.')}=${kind}`, '/api/v1/pre-registrations', json(JSON.stringify(body)));
      }
    }
    await healthAnswers('api fields');
    const siblings40k = JSON.stringify({ ...base, siblings: Array.from({ length: 40000 }, () => ({ firstNameAr: 'x' })) });
    const structures: Array<[string, string, RequestInit]> = [
      ['malformed', '/api/v1/pre-registrations', json('{"level": "primary1",')],
      ['not an object', '/api/v1/pre-registrations', json('"hello"')],
      ['array root', '/api/v1/pre-registrations', json('[1,2,3]')],
      ['null', '/api/v1/pre-registrations', json('null')],
      ['deep nesting', '/api/v1/pre-registrations', json('['.repeat(5000) + ']'.repeat(5000))],
      ['40,000 siblings', '/api/v1/pre-registrations', json(siblings40k)],
      ['1,000 siblings (under the byte limits)', '/api/v1/pre-registrations', json(JSON.stringify({ ...base, siblings: Array.from({ length: 300 }, () => ({})) }))],
      ['siblings as an object of 2,000 keys', '/api/v1/pre-registrations', json(JSON.stringify({ ...base, siblings: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 1])) }))],
      ['prototype keys', '/api/v1/pre-registrations', json('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"child":{"__proto__":{"polluted":1}}}')],
      ['NUL in a key', '/api/v1/pre-registrations', json('{"a\\u0000b":1}')],
      ['photo not base64', '/api/v1/pre-registrations', json(JSON.stringify({ ...base, photo: { data: '%%%%' } }))],
      ['photo of the wrong type', '/api/v1/pre-registrations', json(JSON.stringify({ ...base, photo: 12 }))],
      ['photo over the limit', '/api/v1/pre-registrations', json(JSON.stringify({ ...base, photo: { data: Buffer.alloc(MAX_PHOTO_BYTES + 1024).toString('base64') } }))],
      ['11 MB of JSON', '/api/v1/pre-registrations', json(`{"x":"${'a'.repeat(11 * 1024 * 1024)}"}`)],
      ['form body', '/api/v1/pre-registrations', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' }],
      ['Idempotency-Key markup', '/api/v1/pre-registrations', json(JSON.stringify(base), { 'Idempotency-Key': MARKUP[0] })],
      ['decision: 70 KB', `/api/v1/pre-registrations/${reference}/decision`, json(`{"note":"${'x'.repeat(70 * 1024)}"}`, { Authorization: staffAuth })],
      ['decision: NUL', `/api/v1/pre-registrations/${reference}/decision`, json('{"decision":"reject","reasons":["a\\u0000"],"note":"\\u0000"}', { Authorization: staffAuth })],
      ['decision: wrong types', `/api/v1/pre-registrations/${reference}/decision`, json('{"decision":{"x":1},"reasons":"x","note":[1]}', { Authorization: staffAuth })],
      ['decision: NUL in Basic user', `/api/v1/pre-registrations/${reference}/decision`, json('{}', { Authorization: `Basic ${Buffer.from('a\u0000b:c').toString('base64')}` })],
      ['withdraw: markup certificate', `/api/v1/pre-registrations/${reference}/withdraw`, json('{}', { 'X-Birth-Certificate-Number': MARKUP[0] })],
      ['change: malformed', `/api/v1/pre-registrations/${reference}`, put('{"child":')],
      ['change: NUL', `/api/v1/pre-registrations/${reference}`, put('{"child":{"firstNameAr":"\\u0000"}}')],
      ['change: 40,000 siblings', `/api/v1/pre-registrations/${reference}`, put(siblings40k)],
    ];
    for (const [kind, path, init] of structures) {
      await send(null, `API [${kind}]`, path, init);
      await healthAnswers(`API [${kind}]`);
    }
  }, 600000);

  afterAll(() => {
    const summary = [...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
    console.log(`hostile input: ${tried} inputs tried; by status ${summary}; 5xx: ${[...byStatus].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0)}; failures: ${failures.length}`);
  });
});

test('every hostile input was answered as expected (no 5xx, no markup, messages, /health) and no prototype was polluted', () => {
  expect(failures.slice(0, 40)).toEqual([]);
  expect(tried).toBeGreaterThanOrEqual(300);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
});
