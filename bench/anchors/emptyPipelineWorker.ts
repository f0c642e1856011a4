/**
 * The worker of the empty-pipeline anchor (`bench/submit.ts`): runs `emptyPipelineWorkflow` on its
 * own task queue with activities that do nothing, and prints `underReview <reference> <epoch ms>`
 * when a workflow's checks-and-queue step runs (what the benchmark times). Its own process, so that its
 * CPU is measured apart; same payload codec and default worker options as Tasjil's worker.
 *
 *   node --import tsx bench/anchors/emptyPipelineWorker.ts <temporalAddress> <namespace> <taskQueue>
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { codecFromConfig } from '../../temporal/codec';

async function main(): Promise<void> {
  const [address, namespace, taskQueue] = process.argv.slice(2);
  if (!address || !namespace || !taskQueue) throw new Error('usage: emptyPipelineWorker.ts <address> <namespace> <taskQueue>');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection, namespace, taskQueue,
    workflowsPath: require.resolve('./emptyPipelineWorkflow'),
    dataConverter: { payloadCodecs: [codecFromConfig(loadConfig())] },
    activities: {
      // Where Tasjil's activity writes the status underReview: the moment the benchmark times.
      async runChecksAndQueue(reference: string) { process.stdout.write(`underReview ${reference} ${Date.now()}\n`); return { checks: { allPassed: true }, queued: true }; },
      async notifyParent() { /* nothing */ },
    },
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  const stop = () => worker.shutdown();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await running;
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(`empty pipeline worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
