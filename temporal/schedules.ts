/**
 * Temporal Schedules of Tasjil. `tasjil-retention` starts the `anonymizeExpired` workflow once a
 * day (02:00 UTC = 03:00 in Morocco outside Ramadan), never two runs at once.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';

/** Id of the retention schedule. */
export const RETENTION_SCHEDULE_ID = 'tasjil-retention';
/** Workflow type the retention schedule starts (workflows/retention.ts). */
export const RETENTION_WORKFLOW_TYPE = 'anonymizeExpired';

/**
 * Creates the retention schedule, or updates it to the given task queue and interval when it
 * already exists (safe at every start-up). `interval` (e.g. `'1 day'`, `'10 seconds'`) replaces
 * the daily default.
 */
export async function ensureRetentionSchedule(client: Client, taskQueue: string, opts: { interval?: string } = {}): Promise<void> {
  const spec: ScheduleOptions['spec'] = opts.interval
    ? { intervals: [{ every: opts.interval as never }] }
    : { intervals: [{ every: '1 day', offset: '2 hours' }] };
  const action: ScheduleOptions['action'] = {
    type: 'startWorkflow',
    workflowType: RETENTION_WORKFLOW_TYPE,
    workflowId: `${RETENTION_SCHEDULE_ID}-run`,
    taskQueue,
    args: [],
  };
  const policies: ScheduleOptions['policies'] = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' };
  try {
    await client.schedule.create({ scheduleId: RETENTION_SCHEDULE_ID, spec, action, policies, memo: { purpose: 'law 09-08 retention' } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(RETENTION_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action, policies }));
  }
}
