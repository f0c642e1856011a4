/**
 * Last step of `npm run build` (run compiled, `node dist/scripts/bundle-workflows.js`): bundles the
 * workflow code once with the Temporal SDK's bundler into dist/workflow-bundle.js. In production
 * (NODE_ENV=production) the worker loads that file (`workflowBundle: { codePath }`) instead of
 * bundling at every start (seconds of CPU and about 100 MB of memory saved per worker start).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import * as workerModule from '../workers/worker';

/**
 * The workflow interceptor modules the worker registers (`interceptors.workflowModules`): a
 * pre-built bundle must contain them, since the worker ignores that option when given a bundle.
 */
function workflowInterceptorModules(): string[] {
  return (workerModule as { WORKFLOW_INTERCEPTOR_MODULES?: string[] }).WORKFLOW_INTERCEPTOR_MODULES ?? [];
}

/** Where the bundle is written, relative to the compiled workers/worker.js: dist/workflow-bundle.js. */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

async function main(): Promise<void> {
  const started = Date.now();
  const out = path.resolve(__dirname, '..', WORKFLOW_BUNDLE_FILE);
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules: workflowInterceptorModules(),
    logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: (m) => process.stderr.write(`[bundle] ${m}\n`), error: (m) => process.stderr.write(`[bundle] ${m}\n`), log: () => undefined },
  });
  await fs.writeFile(`${out}.tmp`, code);
  await fs.rename(`${out}.tmp`, out);
  const interceptors = workflowInterceptorModules().map((m) => path.relative(path.resolve(__dirname, '..'), m));
  process.stdout.write(
    `[build] workflow bundle ${path.relative(process.cwd(), out)} (${(code.length / 1024).toFixed(0)} KB${interceptors.length ? `, interceptors ${interceptors.join(', ')}` : ''}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`[build] bundling the workflows failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
