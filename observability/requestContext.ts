/**
 * The request id of the HTTP request being served, carried through async calls
 * (AsyncLocalStorage) so that the Temporal client interceptor (temporal/interceptors.ts) can put it
 * in the header of the workflow start or Update it sends; workflow and activity interceptors carry
 * it on to the activities' log lines.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** Temporal header carrying the request id (workflows/interceptors.ts reads the same name). */
export const REQUEST_ID_HEADER = 'tasjil-request-id';

/** An incoming `X-Request-Id` is kept when short and of a safe charset; else one is generated. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function acceptRequestId(incoming: unknown): string {
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

const storage = new AsyncLocalStorage<{ requestId: string }>();

/** Runs `fn` with `requestId` as the current request id. */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

/** The current request id, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * Request ids of workflows a request asked to start but that start later, outside the request (the
 * web's intake starter): kept in this process, by workflow id, until that start takes it. Bounded
 * (the oldest are dropped); a start made by another process goes without a request id.
 */
const pending = new Map<string, string>();
const PENDING_MAX = 10_000;

export function noteRequestIdFor(workflowId: string): void {
  const requestId = currentRequestId();
  if (!requestId) return;
  pending.delete(workflowId);
  pending.set(workflowId, requestId);
  if (pending.size > PENDING_MAX) pending.delete(pending.keys().next().value as string);
}

export function takeRequestIdFor(workflowId: string): string | undefined {
  const requestId = pending.get(workflowId);
  if (requestId !== undefined) pending.delete(workflowId);
  return requestId;
}
