/**
 * docker-compose.yml, as Docker Compose itself resolves it (`docker compose config --format json`):
 * the topology of issue 12 (Temporal server + admin-tools one-shots, compiled processes with
 * health checks, restart policies and limits) and the exposure rule of issue 11 (nothing of
 * Temporal published; the UI and the mail catcher on the host's loopback only).
 * Needs Docker Compose v2 (`docker compose`, or the binary .ci/run builds into
 * ~/.cache/tasjil/bin/docker-compose); skipped with a warning without it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultCacheDir, isExecutable, whichOnPath } from '../scripts/lib/temporal';
import { TEMPORAL_SERVER_VERSION } from '../scripts/lib/temporalServer';

interface Port { target: number; published?: string; host_ip?: string }
interface Service {
  image?: string;
  command?: string[];
  ports?: Port[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  deploy?: { resources?: { limits?: { memory?: string; cpus?: number } } };
}

const ROOT = path.resolve(__dirname, '..');

async function composeCommand(): Promise<string[] | null> {
  const cached = path.join(defaultCacheDir(process.env), 'bin', 'docker-compose');
  if (await isExecutable(cached)) return [cached];
  const docker = await whichOnPath('docker');
  if (docker) {
    const ok = await promisify(execFile)(docker, ['compose', 'version']).then(() => true, () => false);
    if (ok) return [docker, 'compose'];
  }
  return null;
}

let services: Record<string, Service> | null = null;

beforeAll(async () => {
  const cmd = await composeCommand();
  if (!cmd) {
    console.warn('skipped: no Docker Compose v2 (docker compose, or ~/.cache/tasjil/bin/docker-compose built by .ci/run)');
    return;
  }
  const { stdout } = await promisify(execFile)(cmd[0]!, [...cmd.slice(1), '-f', 'docker-compose.yml', 'config', '--format', 'json'], {
    cwd: ROOT,
    // The file's own defaults, whatever this shell exports.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    maxBuffer: 16 * 1024 * 1024,
  });
  services = (JSON.parse(stdout) as { services: Record<string, Service> }).services;
}, 60_000);

const svc = (name: string): Service => {
  const s = services![name];
  if (!s) throw new Error(`no service ${name}`);
  return s;
};

describe('docker-compose.yml', () => {
  const itCompose = (name: string, fn: () => void) => it(name, () => (services ? fn() : undefined));

  itCompose('runs the Temporal server of TEMPORAL_ENGINE=server, its schema and namespace set up by admin-tools one-shots', () => {
    const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    expect(svc('temporal').image).toBe(`temporalio/server:${version}`);
    expect(svc('temporal-schema').image).toMatch(new RegExp(`^temporalio/admin-tools:${version.replace(/\./g, '\\.')}-`));
    expect(svc('temporal-namespace').image).toBe(svc('temporal-schema').image);
    expect(Object.values(services!).some((s) => /auto-setup/.test(s.image ?? ''))).toBe(false);
    expect(svc('temporal').depends_on).toEqual({ 'temporal-schema': expect.objectContaining({ condition: 'service_completed_successfully' }) });
    expect(svc('temporal').environment).toMatchObject({ DB: 'postgres12', DBNAME: 'temporal', VISIBILITY_DBNAME: 'temporal_visibility' });
    expect(svc('temporal-namespace').depends_on?.temporal?.condition).toBe('service_healthy');
    expect(svc('setup').depends_on?.['temporal-namespace']?.condition).toBe('service_completed_successfully');
    expect(svc('temporal-namespace').command?.join('\n')).toContain('--retention 2160h');
  });

  itCompose('publishes nothing of Temporal, and the UI and the mail catcher on 127.0.0.1 only', () => {
    expect(svc('temporal').ports ?? []).toEqual([]);
    expect(svc('postgres').ports ?? []).toEqual([]);
    for (const name of ['temporal-ui', 'mailpit']) {
      const ports = svc(name).ports ?? [];
      expect(ports.length).toBeGreaterThan(0);
      for (const p of ports) expect(p.host_ip).toBe('127.0.0.1');
    }
    const publicServices = Object.entries(services!)
      .filter(([, s]) => (s.ports ?? []).some((p) => p.host_ip !== '127.0.0.1'))
      .map(([name]) => name);
    expect(publicServices).toEqual(['web']);
  });

  itCompose('gives the read-only UI the web’s /codec, and /codec the UI’s origin', () => {
    const ui = svc('temporal-ui').environment!;
    const web = svc('web').environment!;
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe(`${web.PUBLIC_BASE_URL}/codec`);
    expect(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
    expect(ui.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    expect(new URL(web.TEMPORAL_UI_URL!).port).toBe(String(svc('temporal-ui').ports![0]!.target));
    expect(web.NODE_ENV).toBe('production');
  });

  itCompose('runs compiled JavaScript with node, with health checks, restart policies and limits', () => {
    expect(svc('web').command).toEqual(['node', 'dist/web/server.js']);
    expect(svc('worker').command).toEqual(['node', 'dist/workers/worker.js']);
    expect(svc('setup').command).toEqual(['node', 'dist/scripts/migrate.js', '--seed', '--search-attributes']);
    expect(svc('web').healthcheck?.test.join(' ')).toContain('http://127.0.0.1:3000/ready');
    expect(svc('worker').healthcheck?.test.join(' ')).toContain('http://127.0.0.1:3001/ready');
    for (const name of ['web', 'worker', 'temporal', 'postgres', 'temporal-ui', 'massar-sandbox', 'sms-sandbox', 'mailpit']) {
      expect([name, svc(name).restart]).toEqual([name, 'unless-stopped']);
      expect([name, Number(svc(name).deploy?.resources?.limits?.memory) > 0]).toEqual([name, true]);
    }
    for (const name of ['temporal-schema', 'temporal-namespace']) expect(svc(name).restart).toBe('on-failure:5');
  });
});
