/**
 * Jest globalTeardown: stops what test/global-setup.ts started (sandboxes, then Temporal, then an
 * embedded PostgreSQL if one was started) and removes the run's temporary DATA_DIR.
 * The test database itself is kept for inspection; the next run re-creates it.
 */
import fs from 'node:fs/promises';
import { STACK_GLOBAL, type TestStackHandles } from './support/handles';

export default async function globalTeardown(): Promise<void> {
  const handles = (globalThis as Record<string, unknown>)[STACK_GLOBAL] as TestStackHandles | undefined;
  if (!handles) return;
  const errors: string[] = [];
  for (const s of [...handles.stops].reverse()) {
    try {
      await s.stop();
    } catch (err) {
      errors.push(`${s.name}: ${(err as Error).message}`);
    }
  }
  handles.stops.length = 0;
  if (handles.tempDir) await fs.rm(handles.tempDir, { recursive: true, force: true });
  delete (globalThis as Record<string, unknown>)[STACK_GLOBAL];
  if (errors.length) process.stderr.write(`[test stack] errors while stopping:\n  ${errors.join('\n  ')}\n`);
}
