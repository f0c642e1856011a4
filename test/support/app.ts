/**
 * Starts the real application in-process for integration tests: MikroORM on the test database,
 * the demo data, a Temporal worker (workflows bundled once per file) and the Express app on an
 * ephemeral port. Everything talks to the services started by test/global-setup.ts.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import sharp from 'sharp';
import { createOrm } from '../../entities/orm';
import { seedAll } from '../../migrations/seed';
import { connectTemporal, type TasjilTemporal } from '../../temporal/client';
import { createWorker, WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/worker';
import { createApp } from '../../web/app';
import { gregorianToHijri } from '../../domain/hijri';
import { loadConfig, type Config } from '../../config';
import { currentNotice } from '../../web/services/privacy';
import { requireStack } from './stack';
import { keepConnectionsAlive } from '../../web/http/keepAlive';

export interface TestApp {
  config: Config;
  orm: MikroORM;
  temporal: TasjilTemporal;
  baseUrl: string;
  demoAccounts: Array<{ role: string; username: string; password: string; scope: string }>;
  stop(): Promise<void>;
}

/**
 * Starts ORM + seed + worker + web. `withWorker: false` leaves workflows unprocessed; `clock` sets
 * the app's "now"; `env` adds configuration variables (e.g. `TRUST_PROXY`) to the test stack's.
 */
export async function startTestApp(opts: { withWorker?: boolean; web?: boolean; clock?: () => Date; env?: Record<string, string> } = {}): Promise<TestApp> {
  const config = opts.env ? (requireStack(), loadConfig({ ...process.env, ...opts.env })) : requireStack();
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') }); // keep the SDK's INFO lines out of the test output
  } catch {
    // already installed in this process by an earlier suite
  }
  const orm = await createOrm(config.DATABASE_URL);
  const { demoAccounts } = await seedAll(config.DATABASE_URL);
  const temporal = await connectTemporal(config);
  let stopWorker = async () => undefined as void;
  if (opts.withWorker !== false) {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, logger: silentLogger });
    const { worker, close } = await createWorker({ config, orm, workflowBundle });
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
      await close();
    };
  }
  let server: Server | null = null;
  let baseUrl = '';
  let closeApp = async () => undefined as void;
  if (opts.web !== false) {
    const { app, close } = createApp({ config: { ...config, PORT: 0 }, orm, temporal, log: pino({ level: 'silent' }), clock: opts.clock });
    server = await new Promise<Server>((resolve) => { const s = keepConnectionsAlive(app.listen(0, '127.0.0.1', () => resolve(s))); });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    closeApp = close;
  }
  return {
    config, orm, temporal, baseUrl, demoAccounts,
    async stop() {
      if (server) await closeServer(server);
      await closeApp();
      await stopWorker();
      await temporal.close();
      await orm.close(true);
    },
  };
}

/**
 * Closes a test's HTTP server at once: stops accepting and cuts every connection still open. The
 * web keeps idle keep-alive connections 65 s (web/http/keepAlive.ts); `close()` alone waits for
 * any connection Node does not count as idle, which outlasted a 60 s afterAll on a loaded CI
 * machine. A test's requests are all answered by then: nothing in flight is lost.
 */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

const silentLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** A school of the demo map with one of its zones and its commune, and its director's account. */
export async function demoSchool(t: TestApp, which: 'first' | 'second' = 'first') {
  const rows = await t.orm.em.fork().getConnection().execute<{ school_code: string; zone_code: string; commune_code: string; directorate_code: string }[]>(
    `select s.code as school_code, z.code as zone_code, z.commune_code, s.directorate_code
       from school s join school_zone sz on sz.school_code = s.code join residence_zone z on z.code = sz.residence_zone_code
      where s.is_demo and s.kind = 'school' order by s.code, z.code`,
  );
  const bySchool = [...new Map(rows.map((r) => [r.school_code, r])).values()];
  const row = bySchool[which === 'first' ? 0 : 1];
  const director = t.demoAccounts.find((a) => a.role === 'director' && a.username.endsWith(row.school_code));
  if (!director) throw new Error(`no demo director for ${row.school_code}`);
  return { schoolCode: row.school_code, zoneCode: row.zone_code, communeCode: row.commune_code, directorateCode: row.directorate_code, director };
}

/** A 300×400 JPEG, as a phone would upload. */
export function testPhoto(): Promise<Buffer> {
  return sharp({ create: { width: 300, height: 400, channels: 3, background: { r: 200, g: 180, b: 160 } } }).jpeg().toBuffer();
}

/** A complete, valid submission (API JSON shape) for `school`; overrides are merged shallowly. */
export function validSubmission(school: { schoolCode: string; zoneCode: string; communeCode: string }, overrides: Record<string, unknown> = {}) {
  const birthDate = '2021-05-10';
  return {
    level: 'primary1',
    child: { firstNameAr: 'ياسين', lastNameAr: 'العلوي', firstNameLatin: 'Yassine', lastNameLatin: 'El Alaoui' },
    civilStatus: {
      birthDate, birthDateHijri: gregorianToHijri(birthDate), birthPlace: 'الرباط',
      birthCertificateNumber: '1234/2021', birthCertificateDate: '2021-05-20',
      fatherLineage: 'محمد بن أحمد العلوي', motherLineage: 'فاطمة بنت علي',
    },
    siblings: [],
    guardianRole: 'father',
    father: {
      firstNameAr: 'محمد', lastNameAr: 'العلوي', firstNameLatin: 'Mohammed', lastNameLatin: 'El Alaoui',
      cin: 'AB123456', profession: 'أستاذ', address: 'حي الرياض، الرباط', phone: '0612345678', email: 'parent@example.ma',
    },
    mother: {
      firstNameAr: 'فاطمة', lastNameAr: 'بناني', firstNameLatin: 'Fatima', lastNameLatin: 'Bennani',
      cin: '', profession: '', address: '', phone: '', email: '',
    },
    residence: { communeCode: school.communeCode, residenceZoneCode: school.zoneCode },
    schoolCode: school.schoolCode,
    language: 'ar',
    // The privacy notice accepted (the one-page form's ticked checkbox, the API's required field).
    privacyNoticeVersion: currentNotice().version,
    ...overrides,
  };
}

/** Polls `fn` until it returns a truthy value (every 200 ms, up to `timeoutMs`). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 30000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
