/**
 * Workflow interceptors (bundled with the workflows, see workers/worker.ts): the HTTP request id the
 * web put in the header of the workflow start or of an Update (temporal/interceptors.ts) is
 * remembered and passed on in the header of every activity the workflow schedules, so that
 * activity log lines carry it (workers/activityInterceptors.ts); workflow log lines
 * (`workflow.log`) carry it too. Headers are part of the history: replay sees the same ids.
 */
import { defaultPayloadConverter, type Headers, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** Same name as observability/requestContext.ts (workflow code may not import it). */
const REQUEST_ID_HEADER = 'tasjil-request-id';

function readRequestId(headers: Headers): string | undefined {
  const payload = headers[REQUEST_ID_HEADER];
  if (!payload) return undefined;
  try {
    const v = defaultPayloadConverter.fromPayload<unknown>(payload);
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  // The id of the latest request that reached this workflow (its start, then each Update or signal).
  let requestId: string | undefined;
  const remember = (headers: Headers): void => {
    requestId = readRequestId(headers) ?? requestId;
  };
  const withRequestId = (headers: Headers): Headers =>
    requestId ? { ...headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) } : headers;
  return {
    inbound: [{
      execute(input, next) {
        remember(input.headers);
        return next(input);
      },
      handleUpdate(input, next) {
        remember(input.headers);
        return next(input);
      },
      handleSignal(input, next) {
        remember(input.headers);
        return next(input);
      },
    }],
    outbound: [{
      scheduleActivity(input, next) {
        return next({ ...input, headers: withRequestId(input.headers) });
      },
      scheduleLocalActivity(input, next) {
        return next({ ...input, headers: withRequestId(input.headers) });
      },
      getLogAttributes(input, next) {
        return next(requestId ? { ...input, requestId } : input);
      },
    }],
  };
};
