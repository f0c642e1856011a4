/**
 * Temporal client interceptor of the web process: puts the current HTTP request id
 * (observability/requestContext.ts) in the header of every workflow start, Update and signal, so
 * that the workflow and its activities log it; counts the directors' decisions and the parents'
 * edits by outcome as the workflow answers their Update (observability/metrics.ts).
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { Headers, Next, WorkflowClientInterceptor, WorkflowStartUpdateInput, WorkflowStartUpdateOutput } from '@temporalio/client';
import { currentRequestId, REQUEST_ID_HEADER, takeRequestIdFor } from '../observability/requestContext';
import { decisions, parentEdits } from '../observability/metrics';

function withRequestId(headers: Headers, workflowId?: string): Headers {
  // A start made later by the intake starter takes the id its request noted (noteRequestIdFor).
  const noted = workflowId ? takeRequestIdFor(workflowId) : undefined;
  const requestId = noted ?? currentRequestId();
  return requestId ? { ...headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) } : headers;
}

function countUpdate(input: WorkflowStartUpdateInput, refused: boolean): void {
  if (input.updateName === 'decide') {
    const decision = (input.args[0] as { decision?: string } | undefined)?.decision;
    decisions.inc({ outcome: refused ? 'refused' : decision === 'approve' || decision === 'reject' ? decision : 'unknown' });
  } else if (input.updateName === 'parentEdit') {
    parentEdits.inc({ outcome: refused ? 'refused' : 'applied' });
  }
}

export const requestIdClientInterceptor: WorkflowClientInterceptor = {
  start(input, next) {
    return next({ ...input, headers: withRequestId(input.headers, input.options.workflowId) });
  },
  signal(input, next) {
    return next({ ...input, headers: withRequestId(input.headers) });
  },
  signalWithStart(input, next) {
    return next({ ...input, headers: withRequestId(input.headers) });
  },
  async startUpdate(input: WorkflowStartUpdateInput, next: Next<WorkflowClientInterceptor, 'startUpdate'>): Promise<WorkflowStartUpdateOutput> {
    let out: WorkflowStartUpdateOutput;
    try {
      out = await next({ ...input, headers: withRequestId(input.headers) });
    } catch (err) {
      countUpdate(input, true);
      throw err;
    }
    // An Update waited for to completion carries its outcome: a failure is a refusal by the workflow.
    if (out.outcome) countUpdate(input, Boolean(out.outcome.failure));
    return out;
  },
};
