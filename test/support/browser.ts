/**
 * Debian's Chromium driven by playwright-core for the browser tests: the flags this machine needs
 * (no sandbox as root, no GPU, no background connections to Google's hosts), and where the
 * screenshots go.
 */
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Screenshots written by the test run (kept by CI as artefacts). */
export const SHOTS = path.join(__dirname, '..', '..', 'test-output', 'screenshots');

/** Launches headless Chromium (`CHROMIUM_PATH`, default `/usr/bin/chromium`). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
