/**
 * The view engine: one Handlebars environment, created once per process, with the helpers and the
 * partials registered on it and every template compiled once (the same output as express-handlebars
 * 7 with `view cache` on, which this replaces: sources and rendered pages trimmed, partials named by
 * their path under the partials folder without the extension — `supervision/daily` —, the layout
 * `main` unless the view's model says `layout: false` or names another, `{{{body}}}` in the layout,
 * `@root` the model).
 *
 * Why: express-handlebars merged the helpers and the partials into fresh objects, re-resolved paths
 * and went through several promises on every render, even with its caches warm — about a sixth of a
 * status page's CPU. Here a render is a map look-up and two template calls.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

export interface ViewEngineOptions {
  /** File extension of templates, with the dot (`.hbs`). */
  extname: string;
  layoutsDir: string;
  partialsDir: string;
  /** Layout used when the model has no `layout` (a name in layoutsDir, without the extension). */
  defaultLayout: string;
  helpers: Record<string, Handlebars.HelperDelegate>;
}

type Model = Record<string, unknown>;

/**
 * A page whose HTML may be kept and served again for the same model (the model's `pageCache`): the
 * public status page read without proof. `perVisitor` names the model's values that differ per
 * visitor (the CSRF token): the page is rendered once with a placeholder in their place, and each
 * answer substitutes the visitor's own value, escaped as `{{value}}` escapes it — so they are never
 * part of the key nor kept.
 */
export interface PageCache { perVisitor: string[] }

/** How many pages the cache keeps (first in, first out): a status page is ~10 KB. */
export const PAGE_CACHE_MAX = 500;

/** Model entries Express adds that no template reads (app settings, the raw locals, the cache flag): left out of the key. */
const NOT_KEYED = new Set(['settings', '_locals', 'cache']);
type Callback = (err: Error | null, html?: string) => void;

/** Every file ending in `ext` under `dir`, as paths relative to `dir` with `/` separators. */
function filesUnder(dir: string, ext: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...filesUnder(dir, ext, rel));
    else if (entry.name.endsWith(ext)) out.push(rel);
  }
  return out.sort();
}

export interface ViewEngine {
  /** For `app.engine(ext, …)`: renders the view at `filePath` with the model Express built. */
  engine: (filePath: string, model: object, callback: Callback) => void;
  /** Renders a view (absolute path) with its layout, synchronously (from the page cache when the model has `pageCache`). */
  render: (filePath: string, model: Model) => string;
  /** Pages in the page cache (tests). */
  cachedPages: () => number;
}

export function createViewEngine(opts: ViewEngineOptions): ViewEngine {
  const hb = Handlebars.create();
  hb.registerHelper(opts.helpers);
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  const template = (filePath: string): Handlebars.TemplateDelegate => {
    let t = compiled.get(filePath);
    if (!t) {
      t = hb.compile(fs.readFileSync(filePath, 'utf8').trim());
      compiled.set(filePath, t);
    }
    return t;
  };
  for (const rel of filesUnder(opts.partialsDir, opts.extname)) {
    hb.registerPartial(rel.slice(0, -opts.extname.length), template(path.resolve(opts.partialsDir, rel)));
  }
  const layoutPath = (layout: string): string => path.resolve(opts.layoutsDir, path.extname(layout) ? layout : layout + opts.extname);

  const renderPage = (filePath: string, model: Model): string => {
    const body = template(path.resolve(filePath))(model).trim();
    const layout = 'layout' in model ? model.layout : opts.defaultLayout;
    if (!layout) return body;
    return template(layoutPath(String(layout)))({ ...model, body }).trim();
  };
  /**
   * The page cache: key = the view's path and the JSON of its whole model (layout data included:
   * language, direction, switch link, signed-in flag…), the per-visitor values replaced by
   * placeholders; value = the HTML with the placeholders. The exact JSON is the key (no hash
   * that could collide); a model that differs in anything renders anew.
   */
  const pages = new Map<string, string>();
  const nonce = randomUUID().replace(/-/g, '');
  const renderCached = (filePath: string, model: Model, spec: PageCache): string => {
    const values = spec.perVisitor.map((name) => model[name]);
    // A missing per-visitor value would change what the template shows (`{{#if csrfToken}}`): no cache then.
    if (!values.every((v) => typeof v === 'string' && v !== '')) return renderPage(filePath, model);
    const placeholders = spec.perVisitor.map((_, i) => `tasjil-per-visitor-${nonce}-${i}`);
    const keyed: Model = {};
    for (const k of Object.keys(model)) if (!NOT_KEYED.has(k)) keyed[k] = model[k];
    spec.perVisitor.forEach((name, i) => { keyed[name] = placeholders[i]; });
    const key = `${filePath}\n${JSON.stringify(keyed)}`;
    let page = pages.get(key);
    if (page === undefined) {
      const withPlaceholders: Model = { ...model };
      spec.perVisitor.forEach((name, i) => { withPlaceholders[name] = placeholders[i]; });
      page = renderPage(filePath, withPlaceholders);
      if (pages.size >= PAGE_CACHE_MAX) pages.delete(pages.keys().next().value!);
      pages.set(key, page);
    }
    let html = page;
    placeholders.forEach((ph, i) => { html = html.split(ph).join(Handlebars.escapeExpression(values[i] as string)); });
    return html;
  };
  const render = (filePath: string, model: Model): string => {
    const spec = model.pageCache as PageCache | undefined;
    return spec ? renderCached(path.resolve(filePath), model, spec) : renderPage(filePath, model);
  };
  const engine = (filePath: string, model: object, callback: Callback): void => {
    let html: string;
    try {
      html = render(filePath, model as Model);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback(null, html);
  };
  return { engine, render, cachedPages: () => pages.size };
}
