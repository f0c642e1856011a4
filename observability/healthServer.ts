/**
 * The worker's small HTTP server (it has no web server of its own): `GET /health` (liveness: the
 * process answers), `GET /ready` (200 while the worker runs and polls its task queue, else 503) and
 * `GET /metrics` (its Prometheus metrics: notifications, Massar exports, Node.js process; bearer
 * METRICS_TOKEN when set, refused in production without one).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsAuthorized, registry } from './metrics';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: {
  port: number;
  host?: string;
  ready: () => { ok: boolean; state: string };
  metricsToken?: string;
  production: boolean;
}): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string, type = 'application/json; charset=utf-8') => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') { send(405, JSON.stringify({ error: 'methodNotAllowed' })); return; }
    if (path === '/health') { send(200, JSON.stringify({ status: 'ok' })); return; }
    if (path === '/ready') {
      const r = opts.ready();
      send(r.ok ? 200 : 503, JSON.stringify({ status: r.ok ? 'ready' : 'unavailable', worker: r.state }));
      return;
    }
    if (path === '/metrics') {
      if (!metricsAuthorized(req.headers.authorization, opts.metricsToken, opts.production)) { send(opts.metricsToken ? 401 : 404, JSON.stringify({ error: 'notFound' })); return; }
      registry.metrics().then((text) => send(200, text, registry.contentType), () => send(500, JSON.stringify({ error: 'metrics' })));
      return;
    }
    send(404, JSON.stringify({ error: 'notFound' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
