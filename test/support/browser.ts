/**
 * Debian's Chromium driven by playwright-core for the browser tests: the flags this machine needs
 * (no sandbox as root, no GPU, no background connections to Google's hosts), and where the
 * screenshots go.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Screenshots written by the test run (kept by CI as artefacts). */
export const SHOTS = path.join(__dirname, '..', '..', 'test-output', 'screenshots');

/**
 * Launches headless Chromium (`CHROMIUM_PATH`, default `/usr/bin/chromium`). Rejects with the line
 * `npm test` printed (scripts/bootstrap.js, TASJIL_BROWSER_MISSING) when the browser or the Arabic
 * font is missing, so that the browser suites fail saying what to install.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (process.env.TASJIL_BROWSER_MISSING) throw new Error(process.env.TASJIL_BROWSER_MISSING);
  if (!fs.existsSync(executablePath)) {
    throw new Error(`browser tests need Chromium at ${executablePath}: on Debian \`sudo apt-get install --no-install-recommends chromium fonts-noto-core\` (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
