/**
 * Helpers for tests that use the stack started by test/global-setup.ts (real PostgreSQL, Temporal
 * dev server, Massar / SMTP / SMS sandboxes). globalSetup passes everything through process.env.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../config';

/** The configuration the app would see under test: `loadConfig(process.env)`. */
export function testConfig(): Config {
  return loadConfig(process.env);
}

/** True when globalSetup started the services (false under TASJIL_UNIT_ONLY=1). */
export function stackAvailable(): boolean {
  return process.env.TASJIL_TEST_STACK === '1';
}

/**
 * Throws a clear error when the services are not running, for integration suites to call in
 * `beforeAll`.
 */
export function requireStack(): Config {
  if (!stackAvailable()) {
    throw new Error('This suite needs the test stack (PostgreSQL, Temporal, sandboxes); run it without TASJIL_UNIT_ONLY=1.');
  }
  return testConfig();
}

/** A short random suffix (hex) for ids that must not collide between tests or runs. */
export function uniqueSuffix(bytes = 4): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * A Temporal client on the test server and namespace; call `close()` in `afterAll`.
 */
export async function temporalTestClient(): Promise<{ client: Client; connection: Connection; close(): Promise<void> }> {
  const cfg = requireStack();
  const connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
  return { client, connection, close: () => connection.close() };
}

/**
 * URL of a scratch database `name` on the test PostgreSQL server (DATABASE_URL set by the test
 * stack, else TEST_DATABASE_URL, else 127.0.0.1:5432), for suites that need a database of their own.
 */
export function scratchDatabaseUrl(name: string): string {
  const u = new URL(process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
  u.pathname = `/${name}`;
  return u.toString();
}
