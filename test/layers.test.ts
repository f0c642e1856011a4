/**
 * Layers point one way (house rules): `web` → services → (domain, persistence, temporal client);
 * `workflows` → domain; `activities` → (domain, persistence, outside systems). Reads the imports of
 * every source file of the inner layers.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');
const sources = (dir: string) => fs.readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => path.join(dir, f));
/** `[specifier, typeOnly]` of every import / export-from / require of a file. */
const importsOf = (file: string): Array<[string, boolean]> => {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'|require\('([^']+)'\)|import\('([^']+)'\)/g)]
    .map((m) => [m[3] ?? m[4] ?? m[5], Boolean(m[2])] as [string, boolean]);
};
const resolved = (file: string, spec: string) => (spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : spec);

test('activities, workflows, persistence, domain and the worker never import web/', () => {
  const offenders = ['activities', 'workflows', 'persistence', 'domain', 'workers'].flatMap(sources)
    .flatMap((f) => importsOf(f).map(([s]) => [f, resolved(f, s)]).filter(([, r]) => r === 'web' || r.startsWith(`web${path.sep}`)));
  expect(offenders).toEqual([]);
});

test('workflows import only deterministic code: the workflow SDK, domain, their own modules, and types', () => {
  const allowed = (r: string, typeOnly: boolean) => typeOnly || r === '@temporalio/workflow' || r === 'async-mutex'
    || r.startsWith(`domain${path.sep}`) || r.startsWith(`workflows${path.sep}`) || r === path.join('temporal', 'searchAttributes');
  const offenders = sources('workflows').flatMap((f) => importsOf(f).filter(([s, t]) => !allowed(resolved(f, s), t)).map(([s]) => `${f}: ${s}`));
  expect(offenders).toEqual([]);
  expect(sources('workflows').length).toBeGreaterThanOrEqual(5);
});

test('domain is pure: no database, Temporal, web, persistence or activity import', () => {
  const inner = ['web', 'activities', 'workflows', 'persistence', 'entities', 'temporal', 'workers', 'config'];
  const offenders = sources('domain').flatMap((f) => importsOf(f).map(([s]) => resolved(f, s))
    .filter((r) => inner.some((d) => r === d || r.startsWith(`${d}${path.sep}`)) || /^(@temporalio|@mikro-orm|pg$|express)/.test(r))
    .map((r) => `${f}: ${r}`));
  expect(offenders).toEqual([]);
});

test('the workflow file stays a readable process: well under 200 lines', () => {
  expect(fs.readFileSync(path.join(root, 'workflows', 'preRegistration.ts'), 'utf8').split('\n').length).toBeLessThan(150);
});
