/**
 * Activity interceptors of the worker: the request id that came with the activity's header
 * (workflows/interceptors.ts) is added to every log line of the activity (`Context.current().log`,
 * Temporal's activity logger, which also carries the workflow id and activity type); each
 * activity logs one line when it ends; notification and Massar export metrics are counted from
 * what the activities return or throw (observability/metrics.ts), without touching the activities.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { REQUEST_ID_HEADER } from '../observability/requestContext';
import { massarExportDuration, massarExportRefusals, massarExportRetries, notifications } from '../observability/metrics';

function countNotification(args: unknown[], result: unknown, failed: boolean): void {
  const event = typeof args[1] === 'string' ? args[1] : 'unknown';
  if (failed) {
    notifications.inc({ event, channel: 'all', outcome: 'error' });
    return;
  }
  const r = (result ?? {}) as Record<string, unknown>;
  for (const channel of ['email', 'sms'] as const) {
    if (typeof r[channel] === 'string') notifications.inc({ event, channel, outcome: r[channel] as string });
  }
}

export const activityInterceptors: ActivityInterceptorsFactory = (ctx: Context) => {
  let requestId: string | undefined;
  return {
    inbound: {
      async execute(input, next) {
        const payload = input.headers[REQUEST_ID_HEADER];
        if (payload) {
          try {
            const v = defaultPayloadConverter.fromPayload<unknown>(payload);
            if (typeof v === 'string') requestId = v;
          } catch {
            // an unreadable header is ignored
          }
        }
        const { activityType, attempt } = ctx.info;
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        if (activityType === 'exportToMassar' && attempt > 1) massarExportRetries.inc();
        try {
          const result = await next(input);
          if (activityType === 'notifyParent') countNotification(input.args, result, false);
          if (activityType === 'exportToMassar') massarExportDuration.observe({ outcome: 'exported' }, seconds());
          ctx.log.info('activity completed', { attempt, ms: Math.round(seconds() * 1000) });
          return result;
        } catch (err) {
          const refused = err instanceof ApplicationFailure && err.type === 'MassarRejectedError';
          if (activityType === 'notifyParent') countNotification(input.args, undefined, true);
          if (activityType === 'exportToMassar') {
            massarExportDuration.observe({ outcome: refused ? 'refused' : 'error' }, seconds());
            if (refused) massarExportRefusals.inc();
          }
          // The SDK logs the failure itself (with its message); this line names only its type.
          ctx.log.info('activity ended with an error', { attempt, ms: Math.round(seconds() * 1000), errorType: err instanceof ApplicationFailure ? err.type : (err as Error)?.name });
          throw err;
        }
      },
    },
    outbound: {
      getLogAttributes(input, next) {
        return next(requestId ? { ...input, requestId } : input);
      },
    },
  };
};
