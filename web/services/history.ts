/**
 * Turns a Temporal workflow history into readable rows for supervisors: time (Africa/Casablanca),
 * event type, and a short description (activity name, update name and outcome, timer, failure).
 */
import { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';

/** One readable history row. `kind` is a catalogue key suffix (`history.kind.<kind>`). */
export interface HistoryRow { id: number; at: Date | null; type: string; kind: string; detail: string }

const EventType = temporal.api.enums.v1.EventType;

function toDate(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): Date | null {
  if (!ts?.seconds) return null;
  return new Date(Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}

function decode(payloads: { payloads?: unknown[] | null } | null | undefined): string {
  const list = payloads?.payloads ?? [];
  return list.map((p) => {
    try {
      return JSON.stringify(defaultPayloadConverter.fromPayload(p as never));
    } catch {
      return '…';
    }
  }).join(', ');
}

/** Maps every event of `history`, in order. */
export function readableHistory(history: History): HistoryRow[] {
  const scheduled = new Map<string, string>();
  return (history.events ?? []).map((e) => {
    const id = Number(e.eventId);
    const typeName = EventType[e.eventType ?? 0] ?? String(e.eventType);
    const type = typeName.replace(/^EVENT_TYPE_/, '');
    let kind = 'other';
    let detail = '';
    if (e.workflowExecutionStartedEventAttributes) {
      kind = 'started';
      detail = decode(e.workflowExecutionStartedEventAttributes.input);
    } else if (e.activityTaskScheduledEventAttributes) {
      kind = 'activityScheduled';
      detail = e.activityTaskScheduledEventAttributes.activityType?.name ?? '';
      scheduled.set(String(e.eventId), detail);
    } else if (e.activityTaskStartedEventAttributes) {
      kind = 'activityStarted';
      detail = `${scheduled.get(String(e.activityTaskStartedEventAttributes.scheduledEventId)) ?? ''} (#${e.activityTaskStartedEventAttributes.attempt ?? 1})`;
    } else if (e.activityTaskCompletedEventAttributes) {
      kind = 'activityCompleted';
      detail = `${scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) ?? ''} → ${decode(e.activityTaskCompletedEventAttributes.result)}`;
    } else if (e.activityTaskFailedEventAttributes) {
      kind = 'activityFailed';
      detail = `${scheduled.get(String(e.activityTaskFailedEventAttributes.scheduledEventId)) ?? ''}: ${e.activityTaskFailedEventAttributes.failure?.message ?? ''}`;
    } else if (e.activityTaskTimedOutEventAttributes) {
      kind = 'activityTimedOut';
      detail = scheduled.get(String(e.activityTaskTimedOutEventAttributes.scheduledEventId)) ?? '';
    } else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      // A local activity (the intake's checks and queue): its type and attempt in the marker's data, its result beside.
      kind = 'localActivity';
      const m = e.markerRecordedEventAttributes;
      let data: { activity_type?: string; attempt?: number } = {};
      try { data = JSON.parse(decode(m.details?.data)) as typeof data; } catch { /* not JSON: shown without its type */ }
      detail = `${data.activity_type ?? ''} (#${data.attempt ?? 1}) ${m.failure ? `✗ ${m.failure.message ?? ''}` : `→ ${decode(m.details?.result)}`}`;
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      kind = 'updateAccepted';
      const req = e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
      detail = `${req?.input?.name ?? ''} ${decode(req?.input?.args)}`;
    } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
      kind = 'updateCompleted';
      const o = e.workflowExecutionUpdateCompletedEventAttributes.outcome;
      detail = o?.failure ? `✗ ${o.failure.message ?? ''}` : decode(o?.success);
    } else if (e.timerStartedEventAttributes) {
      kind = 'timerStarted';
    } else if (e.timerFiredEventAttributes) {
      kind = 'timerFired';
    } else if (e.upsertWorkflowSearchAttributesEventAttributes) {
      kind = 'searchAttributes';
      const fields = e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {};
      detail = Object.entries(fields).map(([k, v]) => `${k}=${decode({ payloads: [v] })}`).join(', ');
    } else if (e.workflowExecutionCompletedEventAttributes) {
      kind = 'completed';
      detail = decode(e.workflowExecutionCompletedEventAttributes.result);
    } else if (e.workflowExecutionFailedEventAttributes) {
      kind = 'failed';
      detail = e.workflowExecutionFailedEventAttributes.failure?.message ?? '';
    } else if (e.workflowTaskScheduledEventAttributes || e.workflowTaskStartedEventAttributes || e.workflowTaskCompletedEventAttributes) {
      kind = 'workflowTask';
    }
    return { id, at: toDate(e.eventTime as never), type, kind, detail };
  });
}
