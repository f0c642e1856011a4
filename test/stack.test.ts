/**
 * The test stack itself: what globalSetup promises every integration suite.
 */
import net from 'node:net';
import { Client as PgClient } from 'pg';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../temporal/searchAttributes';
import { stackAvailable, temporalTestClient, testConfig } from './support/stack';

const describeStack = stackAvailable() ? describe : describe.skip;

describeStack('test stack (globalSetup)', () => {
  test('configuration points at per-run services', () => {
    const cfg = testConfig();
    expect(cfg.NODE_ENV).toBe('test');
    expect(cfg.TEMPORAL_TASK_QUEUE).toMatch(/^tasjil-test-/);
    expect(cfg.TEMPORAL_ADDRESS).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(cfg.DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
  });

  test('PostgreSQL database is migrated', async () => {
    const pg = new PgClient({ connectionString: testConfig().DATABASE_URL });
    await pg.connect();
    try {
      const res = await pg.query<{ n: string }>('SELECT count(*)::text AS n FROM mikro_orm_migrations');
      expect(Number(res.rows[0]!.n)).toBeGreaterThan(0);
    } finally {
      await pg.end();
    }
  });

  test('Temporal namespace keeps histories 90 days and has the custom search attributes', async () => {
    const { connection, close } = await temporalTestClient();
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace: testConfig().TEMPORAL_NAMESPACE });
      expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBeGreaterThanOrEqual(90 * 24 * 3600);
      const sa = await connection.operatorService.listSearchAttributes({ namespace: testConfig().TEMPORAL_NAMESPACE });
      for (const { name } of CUSTOM_SEARCH_ATTRIBUTES) expect(Object.keys(sa.customAttributes ?? {})).toContain(name);
    } finally {
      await close();
    }
  });

  test('Massar and SMS sandboxes answer /health; the SMTP sandbox accepts connections', async () => {
    const cfg = testConfig();
    expect((await fetch(`${cfg.MASSAR_BASE_URL}/health`)).status).toBe(200);
    expect((await fetch(`${cfg.TWILIO_API_BASE_URL}/health`)).status).toBe(200);
    const greeting = await new Promise<string>((resolve, reject) => {
      const sock = net.connect({ host: cfg.SMTP_HOST, port: cfg.SMTP_PORT });
      sock.setTimeout(5000, () => reject(new Error('SMTP greeting timeout')));
      sock.once('data', (b) => {
        sock.end('QUIT\r\n');
        resolve(b.toString('utf8'));
      });
      sock.once('error', reject);
    });
    expect(greeting).toMatch(/^220 /);
  });
});
