/**
 * The Temporal worker: runs `preRegistration` workflows and their activities on the task queue.
 * `npm run worker` starts it alone; `npm start` starts it with everything else.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/postgresql';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, type Config } from '../config';
import { createActivities, type ActivityDeps } from '../activities';
import { createOrm } from '../entities/orm';
import { codecFromConfig } from '../temporal/codec';

/** Options to build a worker; `workflowBundle` (pre-bundled code) skips bundling, for tests. */
export interface TasjilWorkerOptions {
  config: Config;
  orm: MikroORM;
  adapters?: Omit<ActivityDeps, 'orm' | 'config'>;
  workflowBundle?: WorkerOptions['workflowBundle'];
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

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'worker' } });
  Runtime.install({ logger: new DefaultLogger('WARN', (entry) => log.warn({ sdk: entry.level }, entry.message)) });
  const orm = await createOrm(config.DATABASE_URL);
  const bundle = productionWorkflowBundle(config.NODE_ENV);
  const { worker, close } = await createWorker({ config, orm, ...(bundle ? { workflowBundle: { codePath: bundle } } : {}) });
  log.info({ workflowBundle: bundle ?? 'bundled at start' }, 'workflow code');
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await worker.run();
  await close();
  await orm.close();
  log.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    console.error('worker failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
