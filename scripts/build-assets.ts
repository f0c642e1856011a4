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

/** Top-level folders that hold no code of the image (everything else is a source folder). */
const NOT_SOURCES = new Set(['node_modules', 'dist', 'test', 'bench', 'docs', 'coverage', 'test-output']);

/** The source folders: every top-level folder of the repository but tests, docs, output and hidden ones. */
export function assetRoots(root: string = ROOT): string[] {
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !NOT_SOURCES.has(e.name))
    .map((e) => e.name)
    .sort();
}

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
  const roots = assetRoots();
  for (const rel of roots) copyTree(rel, counts);
  process.stdout.write(`[build] copied ${counts.files} asset file(s), ${(counts.bytes / 1024 / 1024).toFixed(1)} MB, from ${roots.join(', ')} into dist/\n`);
}
