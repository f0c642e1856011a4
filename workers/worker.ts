/**
 * The Temporal worker: runs `preRegistration` workflows and their activities on the task queue.
 * `npm run worker` starts it alone; `npm start` starts it with everything else.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { loadConfig, type Config } from '../config';
import { createActivities, type ActivityDeps } from '../activities';
import { createOrm } from '../entities/orm';
import { codecFromConfig } from '../temporal/codec';
import { startHealthServer } from '../observability/healthServer';
import { errorForLog } from '../observability/logging';
import { activityInterceptors } from './activityInterceptors';

/** Workflow interceptor modules, to bundle with the workflows (`bundleWorkflowCode({ workflowInterceptorModules })`). */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/interceptors')];

/** Options to build a worker; `workflowBundle` (pre-bundled code) skips bundling, for tests. */
export interface TasjilWorkerOptions {
  config: Config;
  orm: MikroORM;
  adapters?: Omit<ActivityDeps, 'orm' | 'config'>;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** How long running activities may finish after `shutdown()` (default: the SDK's, none). */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

/**
 * Worker settings from the configuration (`WORKER_*`; unset keeps the SDK's default): concurrent
 * activities and workflow tasks, the sticky cache of workflows, the pollers per task queue.
 */
export function workerTuning(config: Config): Partial<WorkerOptions> {
  const set = Object.entries({
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_WORKFLOW_TASKS,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentActivityTaskPolls: config.WORKER_ACTIVITY_POLLERS,
    maxConcurrentWorkflowTaskPolls: config.WORKER_WORKFLOW_POLLERS,
  }).filter(([, v]) => v !== undefined);
  return Object.fromEntries(set);
}

/** Creates (does not run) a worker connected to `config.TEMPORAL_ADDRESS`. */
export async function createWorker(opts: TasjilWorkerOptions): Promise<{ worker: Worker; close(): Promise<void> }> {
  const { config, orm } = opts;
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const activities = createActivities({ orm, config, ...opts.adapters });
  const { close: closeAdapters, ...activityFns } = activities;
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    activities: activityFns,
    dataConverter: { payloadCodecs: [codecFromConfig(config)] },
    ...workerTuning(config),
    // A pre-built bundle has its workflow interceptors bundled in (bundleWorkflowCode's workflowInterceptorModules).
    interceptors: { activity: [activityInterceptors], ...(opts.workflowBundle ? {} : { workflowModules: WORKFLOW_INTERCEPTOR_MODULES }) },
    ...(opts.shutdownGraceTime !== undefined ? { shutdownGraceTime: opts.shutdownGraceTime } : {}),
  });
  return {
    worker,
    async close() {
      closeAdapters();
      await connection.close();
    },
  };
}

/**
 * The pre-built workflow bundle (dist/workflow-bundle.js, written by `npm run build`) when running
 * compiled in production; null otherwise (the worker then bundles workflows/ at start).
 */
export function productionWorkflowBundle(nodeEnv: string, dir: string = __dirname): string | null {
  if (nodeEnv !== 'production') return null;
  const file = path.resolve(dir, '..', 'workflow-bundle.js');
  return fs.existsSync(file) ? file : null;
}

/** Temporal SDK log level for a pino level. */
function sdkLevel(level: string): LogLevel {
  return level === 'trace' ? 'TRACE' : level === 'debug' ? 'DEBUG' : level === 'info' ? 'INFO' : level === 'warn' ? 'WARN' : 'ERROR';
}

/**
 * Temporal's logger (SDK lines, `workflow.log`, activities' `Context.current().log`, each with the
 * workflow id, type and the request id of workers/activityInterceptors.ts) written by pino.
 */
function temporalLogger(log: Logger, level: string): DefaultLogger {
  return new DefaultLogger(sdkLevel(level), (entry) => {
    const meta: Record<string, unknown> = { ...(entry.meta ?? {}) };
    delete meta.taskToken; // opaque and long; the workflow id and activity id say the same
    if (meta.error instanceof Error) meta.error = errorForLog(meta.error);
    if (meta.failure instanceof Error) meta.failure = errorForLog(meta.failure);
    const method = entry.level === 'TRACE' ? 'trace' : entry.level === 'DEBUG' ? 'debug' : entry.level === 'INFO' ? 'info' : entry.level === 'WARN' ? 'warn' : 'error';
    log[method](meta, entry.message);
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'worker' } });
  Runtime.install({
    logger: temporalLogger(log, config.LOG_LEVEL),
    // The SDK's own metrics (task latencies, slots, polls…) on their own port, for Prometheus.
    ...(config.TEMPORAL_METRICS_ADDRESS ? { telemetryOptions: { metrics: { prometheus: { bindAddress: config.TEMPORAL_METRICS_ADDRESS } } } } : {}),
  });
  const orm = await createOrm(config.DATABASE_URL);
  const bundle = productionWorkflowBundle(config.NODE_ENV);
  const { worker, close } = await createWorker({
    config, orm, shutdownGraceTime: config.WORKER_SHUTDOWN_GRACE_MS, ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
  });
  log.info({ workflowBundle: bundle ?? 'bundled at start' }, 'workflow code');
  const health = await startHealthServer({
    port: config.WORKER_HEALTH_PORT,
    ready: () => ({ ok: worker.getState() === 'RUNNING', state: worker.getState() }),
    metricsToken: config.METRICS_TOKEN,
    production: config.NODE_ENV === 'production',
  });
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, healthPort: health.port, temporalMetrics: config.TEMPORAL_METRICS_ADDRESS || null }, 'worker running');
  // SIGTERM: stop polling, let running activities finish (WORKER_SHUTDOWN_GRACE_MS), then exit.
  const stop = (signal: string) => {
    log.info({ signal, graceMs: config.WORKER_SHUTDOWN_GRACE_MS }, 'worker stopping: draining activities');
    worker.shutdown();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  await worker.run();
  await close();
  await orm.close();
  await health.close();
  log.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    pino({ base: { service: 'worker' } }).fatal({ err: errorForLog(err) }, 'worker failed');
    process.exit(1);
  });
}
