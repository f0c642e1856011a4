#!/usr/bin/env node
/**
 * `npm start` and `npm test` on a fresh clone: installs the locked dependencies first when
 * node_modules is missing or older than package-lock.json (`npm ci`), then runs
 * `tsx scripts/start.ts` or `jest --runInBand`, passing any extra arguments through.
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

const [bin, binArgs] = targets[command];
const child = spawn(path.join(root, 'node_modules', '.bin', bin), binArgs, { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
