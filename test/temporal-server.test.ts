/**
 * The production engine's helpers (scripts/lib/temporalServer.ts) and the worker's choice of a
 * pre-built workflow bundle. The engine itself is exercised end to end by running the suites with
 * TEMPORAL_ENGINE=server (CI runs test/e2e.test.ts and test/workflow.test.ts on it).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  freeServerPorts,
  SERVER_CONFIG_DIR,
  serverPortsFrom,
  serverStartSettings,
  temporalEngine,
  testServerDatabaseNames,
} from '../scripts/lib/temporalServer';
import { defaultCacheDir, isExecutable } from '../scripts/lib/temporal';
import { productionWorkflowBundle } from '../workers/worker';

describe('TEMPORAL_ENGINE', () => {
  it('is the dev server when unset, empty or "dev", the Temporal server for "server" (any case)', () => {
    expect(temporalEngine({})).toBe('dev');
    expect(temporalEngine({ TEMPORAL_ENGINE: '' })).toBe('dev');
    expect(temporalEngine({ TEMPORAL_ENGINE: 'dev' })).toBe('dev');
    expect(temporalEngine({ TEMPORAL_ENGINE: 'server' })).toBe('server');
    expect(temporalEngine({ TEMPORAL_ENGINE: ' Server ' })).toBe('server');
  });

  it('refuses any other value, naming both choices', () => {
    expect(() => temporalEngine({ TEMPORAL_ENGINE: 'auto-setup' })).toThrow(
      'TEMPORAL_ENGINE must be "dev" (the Temporal CLI dev server, the default) or "server" (the Temporal server on PostgreSQL); got "auto-setup"',
    );
  });
});

describe('server start settings', () => {
  it('defaults to port 7433 and the databases temporal / temporal_visibility', () => {
    expect(serverStartSettings({})).toEqual({ port: 7433, databaseName: 'temporal', visibilityDatabaseName: 'temporal_visibility' });
  });

  it('reads TEMPORAL_SERVER_PORT, TEMPORAL_DB_NAME and TEMPORAL_VISIBILITY_DB_NAME', () => {
    expect(serverStartSettings({ TEMPORAL_SERVER_PORT: '7533', TEMPORAL_DB_NAME: 'tq', TEMPORAL_VISIBILITY_DB_NAME: 'tq_vis' })).toEqual({
      port: 7533,
      databaseName: 'tq',
      visibilityDatabaseName: 'tq_vis',
    });
  });

  it('refuses a port whose membership ports would not fit a smallint, and odd database names', () => {
    expect(() => serverStartSettings({ TEMPORAL_SERVER_PORT: '32760' })).toThrow('TEMPORAL_SERVER_PORT must be a port between 1024 and 32750 (got "32760")');
    expect(() => serverStartSettings({ TEMPORAL_SERVER_PORT: '80' })).toThrow('TEMPORAL_SERVER_PORT must be a port between 1024 and 32750 (got "80")');
    expect(() => serverStartSettings({ TEMPORAL_DB_NAME: 'Temporal; DROP' })).toThrow(
      'TEMPORAL_DB_NAME must be a lower-case PostgreSQL database name (letters, digits, _), got "Temporal; DROP"',
    );
    expect(() => serverStartSettings({ TEMPORAL_DB_NAME: 'same', TEMPORAL_VISIBILITY_DB_NAME: 'same' })).toThrow('TEMPORAL_DB_NAME and TEMPORAL_VISIBILITY_DB_NAME must differ');
  });

  it('lays the ports out after the frontend', () => {
    expect(serverPortsFrom(7433)).toEqual({
      frontend: 7433,
      history: 7434,
      matching: 7435,
      worker: 7436,
      frontendHttp: 7437,
      frontendMembership: 7443,
      historyMembership: 7444,
      matchingMembership: 7445,
      workerMembership: 7446,
      metrics: 7450,
    });
  });

  it('draws ten distinct free ports for a test server, all below 32768 (membership ports are smallint)', async () => {
    const ports = Object.values(await freeServerPorts());
    expect(ports).toHaveLength(10);
    expect(new Set(ports).size).toBe(10);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(20000);
      expect(p).toBeLessThan(32768);
    }
  });
});

describe('scratch databases of the test stack', () => {
  it('are named after the test database', () => {
    expect(testServerDatabaseNames('tasjil_test_engine')).toEqual({
      databaseName: 'tasjil_test_engine_temporal',
      visibilityDatabaseName: 'tasjil_test_engine_temporal_visibility',
    });
  });

  it('stay within PostgreSQL’s 63 characters and distinct for long names', () => {
    const a = testServerDatabaseNames(`tasjil_test_${'x'.repeat(50)}_a`);
    const b = testServerDatabaseNames(`tasjil_test_${'x'.repeat(50)}_b`);
    for (const n of [a.databaseName, a.visibilityDatabaseName, b.databaseName, b.visibilityDatabaseName]) {
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(/^[a-z0-9_]+$/);
    }
    expect(a.visibilityDatabaseName).toMatch(/_temporal_visibility$/);
    expect(a.databaseName).not.toBe(b.databaseName);
  });
});

describe('the committed server configuration', () => {
  const serverBin = path.join(defaultCacheDir(process.env), 'bin', 'server');

  it('renders with the databases, credentials and ports the start helper sets', async () => {
    if (!(await isExecutable(serverBin))) {
      // The binary is built by the first TEMPORAL_ENGINE=server run (or CI); without it there is nothing to render.
      console.warn(`skipped: ${serverBin} is not built`);
      return;
    }
    const { stdout } = await promisify(execFile)(
      serverBin,
      ['--root', path.dirname(path.dirname(SERVER_CONFIG_DIR)), '--config', 'temporal/server', '--env', 'tasjil', 'render-config'],
      {
        env: {
          ...process.env,
          TASJIL_TEMPORAL_DB_HOST: 'db.example',
          TASJIL_TEMPORAL_DB_PORT: '6543',
          TASJIL_TEMPORAL_DB_USER: 'temporal_user',
          TASJIL_TEMPORAL_DB_PASSWORD: 'p"w:d',
          TASJIL_TEMPORAL_DB_NAME: 'tq',
          TASJIL_TEMPORAL_VISIBILITY_DB_NAME: 'tq_vis',
          TASJIL_TEMPORAL_FRONTEND_PORT: '21001',
          TASJIL_TEMPORAL_HISTORY_MEMBERSHIP_PORT: '21011',
          TASJIL_TEMPORAL_METRICS_PORT: '21017',
        },
      },
    );
    expect(stdout).toContain('databaseName: tq\n');
    expect(stdout).toContain('databaseName: tq_vis\n');
    expect(stdout.match(/connectAddr: db\.example:6543\n/g)).toHaveLength(2);
    expect(stdout.match(/user: temporal_user\n/g)).toHaveLength(2);
    expect(stdout.match(/pluginName: postgres12\n/g)).toHaveLength(2);
    expect(stdout).toContain('numHistoryShards: 4\n');
    expect(stdout).toContain('grpcPort: 21001\n');
    expect(stdout).toContain('membershipPort: 21011\n');
    expect(stdout).toContain('rpcAddress: 127.0.0.1:21001\n');
    expect(stdout).toContain('listenAddress: 127.0.0.1:21017\n');
    // A password with a quote and a colon still parses (the template quotes it); render-config masks it.
    expect(stdout.match(/password: '\*{6}'\n/g)).toHaveLength(2);
    expect(stdout.match(/bindOnIP: 127\.0\.0\.1\n/g)).toHaveLength(4);
  }, 30_000);
});

describe('pre-built workflow bundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tasjil-bundle-'));
    await fs.mkdir(path.join(dir, 'workers'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('is used only in production, and only when `npm run build` wrote it', async () => {
    const workersDir = path.join(dir, 'workers');
    expect(productionWorkflowBundle('production', workersDir)).toBeNull();
    await fs.writeFile(path.join(dir, 'workflow-bundle.js'), '// bundle');
    expect(productionWorkflowBundle('production', workersDir)).toBe(path.join(dir, 'workflow-bundle.js'));
    expect(productionWorkflowBundle('development', workersDir)).toBeNull();
    expect(productionWorkflowBundle('test', workersDir)).toBeNull();
  });
});
