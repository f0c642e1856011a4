#!/usr/bin/env node
/**
 * `npm start` and `npm test` on a fresh clone: installs the locked dependencies first when
 * node_modules is missing or older than package-lock.json (`npm ci`); for `npm test`, also the
 * browser the browser suites drive (Debian `chromium`) and an Arabic-capable font
 * (`fonts-noto-core`), with apt-get when running as root, else one line saying what to install
 * (the browser suites then fail with that line); then runs `tsx scripts/start.ts` or
 * `jest --runInBand`, passing any extra arguments through. (The Temporal CLI is found or built by
 * the test set-up itself, test/global-setup.ts.)
 * Plain JavaScript on purpose: it must run before anything is installed.
 */
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const [command, ...args] = process.argv.slice(2);
const targets = {
  start: ['tsx', ['scripts/start.ts', ...args]],
  test: ['jest', ['--runInBand', ...args]],
};
if (!targets[command]) {
  console.error(`usage: node scripts/bootstrap.js start|test [args…]`);
  process.exit(2);
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  console.error(`Tasjil needs Node.js 20 or later (this is ${process.version}).`);
  process.exit(1);
}

const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
const stale = !fs.existsSync(installed) || fs.statSync(installed).mtimeMs < fs.statSync(lock).mtimeMs;
if (stale) {
  console.log('[tasjil] installing dependencies from package-lock.json (npm ci)…');
  const t0 = Date.now();
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('[tasjil] npm ci failed: check your network access to the npm registry, then run the command again.');
    process.exit(r.status ?? 1);
  }
  console.log(`[tasjil] dependencies installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * Browser tests: Chromium (CHROMIUM_PATH, default /usr/bin/chromium) and, on Debian, the Noto fonts
 * that draw Arabic. As root: installed with apt-get (as `.ci/run` did). Otherwise: one line saying
 * what to install, passed to the tests as TASJIL_BROWSER_MISSING so that the browser suites fail
 * with it (test/support/browser.ts) instead of being skipped.
 */
function ensureBrowser() {
  const debianChromium = '/usr/bin/chromium';
  let chromiumPath = process.env.CHROMIUM_PATH || debianChromium;
  if (process.env.CHROMIUM_PATH && !fs.existsSync(process.env.CHROMIUM_PATH)) {
    // A CHROMIUM_PATH that names no file: say so, and use (or install) Debian's Chromium instead.
    console.log(`[tasjil] CHROMIUM_PATH=${process.env.CHROMIUM_PATH} names no file; using ${debianChromium} instead`);
    chromiumPath = debianChromium;
    process.env.CHROMIUM_PATH = debianChromium;
  }
  const hasDpkg = spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status === 0;
  const debianInstalled = (pkg) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    return r.status === 0 && r.stdout.includes('install ok installed');
  };
  const missing = [];
  if (!fs.existsSync(chromiumPath)) missing.push('chromium');
  if (hasDpkg && !debianInstalled('fonts-noto-core')) missing.push('fonts-noto-core');
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (isRoot && hasApt && (missing.includes('fonts-noto-core') || chromiumPath === debianChromium)) {
    console.log(`[tasjil] installing ${missing.join(' ')} for the browser tests (apt-get)…`);
    const t0 = Date.now();
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
    const install = update.status === 0
      ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env, encoding: 'utf8' })
      : update;
    if (install.status === 0 && fs.existsSync(chromiumPath)) {
      console.log(`[tasjil] installed ${missing.join(' ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return;
    }
    console.error(`${install.stdout || ''}${install.stderr || ''}`.trim().split('\n').slice(-20).join('\n'));
    console.error(`[tasjil] apt-get could not install ${missing.join(' ')}.`);
  }
  const line = hasDpkg
    ? `browser tests need ${missing.join(' and ')}: run \`sudo apt-get install --no-install-recommends ${missing.join(' ')}\`${missing.includes('chromium') ? ' (or set CHROMIUM_PATH to a Chromium binary)' : ''}`
    : `browser tests need Chromium at ${chromiumPath}: install Chromium and set CHROMIUM_PATH to its binary`;
  console.log(`[tasjil] ${line}; the browser suites fail until then.`);
  process.env.TASJIL_BROWSER_MISSING = line;
}

if (command === 'test' && process.env.TASJIL_UNIT_ONLY !== '1') ensureBrowser();

const [bin, binArgs] = targets[command];
const child = spawn(path.join(root, 'node_modules', '.bin', bin), binArgs, { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
