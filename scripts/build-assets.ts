/**
 * Second step of `npm run build` (run compiled, `node dist/scripts/build-assets.js`): copies every
 * file the compiled code reads next to itself — Handlebars views and templates, i18n catalogues,
 * static files, reference data — from the source folders into dist/, at the same relative paths,
 * so that `__dirname`-relative paths work in dist/ as they do under tsx. TypeScript sources, tests
 * and source maps stay out.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The repository root (this file runs from dist/scripts/). */
const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');

/** Source folders whose assets the compiled code reads (the folders tsc compiles, minus tests). */
export const ASSET_ROOTS = ['web', 'activities', 'migrations', 'sandboxes', 'entities', 'domain', 'config', 'temporal', 'workers', 'workflows', 'observability'];

/** Files never copied: TypeScript (compiled instead), tests and fixtures. */
function isAsset(file: string): boolean {
  return !/\.(ts|tsx|map)$/.test(file) && !/(^|\/)(__fixtures__|fixtures)(\/|$)/.test(file);
}

function copyTree(rel: string, counts: { files: number; bytes: number }): void {
  const src = path.join(ROOT, rel);
  if (!fs.existsSync(src)) return;
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    const childRel = path.join(rel, entry.name);
    if (entry.isDirectory()) {
      copyTree(childRel, counts);
    } else if (entry.isFile() && isAsset(childRel)) {
      const dest = path.join(DIST, childRel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(path.join(ROOT, childRel), dest);
      counts.files += 1;
      counts.bytes += fs.statSync(dest).size;
    }
  }
}

if (require.main === module) {
  const counts = { files: 0, bytes: 0 };
  for (const rel of ASSET_ROOTS) copyTree(rel, counts);
  process.stdout.write(`[build] copied ${counts.files} asset file(s), ${(counts.bytes / 1024 / 1024).toFixed(1)} MB, into dist/\n`);
}
