/**
 * Worker process of the empty-pipeline anchor (bench/pipeline.ts starts it): same connection,
 * codec and worker settings as workers/worker.ts, the anchor workflow and do-nothing activities.
 * On SIGTERM it prints `{ reached: { reference: epochMs } }` as one JSON line and exits.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { codecFromConfig } from '../../temporal/codec';
import { workerTuning } from '../../workers/worker';
import { createAnchorActivities } from './pipelineActivities';

async function main(): Promise<void> {
  const config = loadConfig();
  const reached = new Map<string, number>();
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('./pipelineWorkflow'),
    activities: createAnchorActivities(reached),
    dataConverter: { payloadCodecs: [codecFromConfig(config)] },
    ...workerTuning(config),
  });
  process.once('SIGTERM', () => worker.shutdown());
  process.once('SIGINT', () => worker.shutdown());
  process.on('message', (m) => {
    if (m === 'report') process.send?.({ reached: Object.fromEntries(reached) });
  });
  await worker.run();
  await connection.close();
}

main().catch((err) => { console.error(err); process.exit(1); });
