/**
 * What globalSetup leaves on `globalThis` for globalTeardown (both run in Jest's parent process;
 * test files cannot see it: they read `process.env`).
 */
export const STACK_GLOBAL = '__TASJIL_TEST_STACK__';

export interface TestStackHandles {
  /** Things to stop, in start order; teardown stops them in reverse. */
  stops: Array<{ name: string; stop: () => Promise<void> }>;
  /** Per-run DATA_DIR, removed at teardown. */
  tempDir: string | null;
}
