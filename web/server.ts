/**
 * Web process entry point: `npm run web` (or started by `npm start`). Listens on PORT (3000).
 *
 * Runs WEB_PROCESSES web processes (default: one per core) with node:cluster: the primary only
 * forks and supervises them, they share the port. Nothing a request needs lives in one process's
 * memory (sessions are in PostgreSQL, CSRF is a signed cookie, the intake outbox is a table), so
 * any process serves any request.
 */
import cluster from 'node:cluster';
import os from 'node:os';
import pino from 'pino';
import { loadConfig } from '../config';
import { createOrm } from '../entities/orm';
import { connectTemporal } from '../temporal/client';
import { createApp } from './app';
import { keepConnectionsAlive } from './http/keepAlive';
import { ensureRetentionSchedule } from '../temporal/schedules';
import { errorForLog } from '../observability/logging';

async function serve(first: boolean): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'web' } });
  const orm = await createOrm(config.DATABASE_URL);
  const temporal = await connectTemporal(config);
  // Law 09-08: rejected and withdrawn requests are anonymised daily by a Temporal Schedule.
  if (first) await ensureRetentionSchedule(temporal.client, config.TEMPORAL_TASK_QUEUE);
  const { app, close, beginShutdown } = createApp({ config, orm, temporal, log });
  const server = keepConnectionsAlive(app.listen(config.PORT, () => log.info({ port: config.PORT, pid: process.pid }, 'web listening')));

  /**
   * SIGTERM / SIGINT: /ready answers 503 at once; the server stops accepting connections (idle
   * keep-alive ones are closed, responses in flight say `Connection: close`); requests in flight
   * get until SHUTDOWN_DEADLINE_MS to finish, then their connections are cut; then the session
   * pool and intake starter, the Temporal connection and the ORM are closed and the process exits
   * 0 (1 if a close failed).
   */
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    log.info({ signal, deadlineMs: config.SHUTDOWN_DEADLINE_MS }, 'web stopping: not ready, finishing requests in flight');
    beginShutdown();
    const deadline = setTimeout(() => {
      log.warn({ afterMs: Date.now() - started }, 'web stopping: deadline reached, closing the remaining connections');
      server.closeAllConnections();
    }, config.SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      void (async () => {
        let code = 0;
        for (const [name, fn] of [['app', close], ['temporal', () => temporal.close()], ['orm', () => orm.close()]] as const) {
          try {
            await fn();
          } catch (err) {
            code = 1;
            log.error({ err: errorForLog(err), what: name }, 'web stopping: close failed');
          }
        }
        log.info({ ms: Date.now() - started }, 'web stopped');
        log.flush?.();
        process.exit(code);
      })();
    });
    server.closeIdleConnections();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** The primary: forks `n` web processes, replaces one that dies, stops them all on SIGINT/SIGTERM. */
function supervise(n: number): void {
  const log = pino({ level: loadConfig().LOG_LEVEL, base: { service: 'web' } });
  let stopping = false;
  const fork = (first: boolean) => cluster.fork({ TASJIL_WEB_FIRST: first ? '1' : '0' });
  for (let i = 0; i < n; i++) fork(i === 0);
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'web process stopped; starting another');
    setTimeout(() => fork(false), 1000);
  });
  const stop = () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (!workers.length) process.exit(0);
    for (const w of workers) w?.process.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  const configured = loadConfig().WEB_PROCESSES;
  const processes = configured > 0 ? configured : os.availableParallelism();
  if (cluster.isPrimary && processes > 1) {
    supervise(processes);
  } else {
    serve(cluster.isPrimary || process.env.TASJIL_WEB_FIRST === '1').catch((err) => {
      pino({ base: { service: 'web' } }).fatal({ err: errorForLog(err) }, 'web failed');
      process.exit(1);
    });
  }
}
