/**
 * A request's workflow history told in words, for supervisors: what happened and when, in the
 * page's language — submitted, the automatic checks and their results, each message sent to the
 * parent (and by which channel), reminders and alerts, who opened, asked for a correction, decided
 * what (staff display names, never ids), each Massar export attempt and its outcome, the end.
 *
 * Read from the history with its payloads already decoded (`TasjilTemporal.history`): the
 * workflow input, activity arguments and results, and Update arguments carry codes, the reference
 * and staff user ids only (no personal data). Workflow tasks, timers and the status bookkeeping
 * activities are left out (the raw events stay on their own page).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import type { TFunction } from 'i18next';
import { RejectionReason, School, StaffUser } from '../../entities';

/** One sentence of the story. `kind` names what it tells (stable, for tests and styling). */
export interface StoryLine { at: Date | null; kind: string; text: string }

type Json = Record<string, unknown>;
interface PayloadList { payloads?: unknown[] | null }

/** The marker the SDK records for a local activity's outcome. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function values(list: PayloadList | null | undefined): unknown[] {
  return (list?.payloads ?? []).map((p) => {
    try {
      return defaultPayloadConverter.fromPayload(p as never);
    } catch {
      return undefined;
    }
  });
}
const first = (list: PayloadList | null | undefined): Json => {
  const v = values(list)[0];
  return v && typeof v === 'object' ? (v as Json) : {};
};
function toDate(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): Date | null {
  if (!ts?.seconds) return null;
  return new Date(Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The story of one request's history in `lang` (`t` fixed to that language). */
export async function requestStory(em: EntityManager, history: History, t: TFunction, lang: 'ar' | 'fr'): Promise<StoryLine[]> {
  const events = history.events ?? [];

  // Staff named in Updates, schools named in the input, rejection reasons: one query each.
  const staffIds = new Set<string>();
  let schoolCode = '';
  for (const e of events) {
    const args = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args;
    if (args) {
      const a = first(args);
      for (const k of ['decidedBy', 'requestedBy', 'openedBy']) if (UUID.test(str(a[k]))) staffIds.add(str(a[k]));
    }
    if (e.workflowExecutionStartedEventAttributes) schoolCode = str(first(e.workflowExecutionStartedEventAttributes.input).schoolCode);
  }
  const staff = new Map((staffIds.size ? await em.find(StaffUser, { id: { $in: [...staffIds] } }, { fields: ['id', 'displayName', 'role'] }) : [])
    .map((u) => [u.id, u]));
  const school = schoolCode ? await em.findOne(School, { code: schoolCode }, { fields: ['code', 'nameAr', 'nameFr'] }) : null;
  const reasons = new Map((await em.find(RejectionReason, {})).map((r) => [r.code, lang === 'ar' ? r.textAr : r.textFr]));
  // Inside Arabic text, codes and dates are isolated left to right and names by their first strong
  // letter (the plain-text twins of <bdi dir="ltr"> and <bdi>: the sentences are catalogue text).
  const ltr = (v: string) => (lang === 'ar' ? `\u2066${v}\u2069` : v);
  const isolated = (v: string) => (lang === 'ar' ? `\u2068${v}\u2069` : v);
  const who = (id: unknown) => {
    const u = staff.get(str(id));
    return u ? t('story.who', { name: isolated(u.displayName), role: t(`story.role.${u.role}`) }) : t('story.someone');
  };
  const list = (items: string[]) => items.join(lang === 'ar' ? '، ' : ', ');

  const scheduled = new Map<string, { name: string; args: unknown[] }>();
  const attempts = new Map<string, { attempt: number; lastFailure: string }>();
  let massarAttempts = 0;
  const out: StoryLine[] = [];
  const say = (at: Date | null, kind: string, text: string) => out.push({ at, kind, text });

  /** One activity's outcome (a task, or a local activity's marker) told in words. */
  const step = (at: Date | null, act: { name: string; args: unknown[] }, done: boolean, result: Json, failure: string, tries: { attempt: number; lastFailure: string }) => {
    switch (act.name) {
      case 'runChecksAndQueue':
      case 'runAutomaticChecks': {
        if (!done) { say(at, 'checksFailed', t('story.checksFailed', { error: failure })); break; }
        const c = (act.name === 'runChecksAndQueue' ? result.checks : result) as Json | undefined;
        if (!c) break;
        say(at, 'checks', t('story.checks', {
          age: t(`check.age.${str(c.age)}`), zone: t(`check.zone.${str(c.zone)}`),
          duplicate: t(`check.duplicate.${str(c.duplicate)}`), hijri: t(`check.hijriConsistency.${str(c.hijriConsistency)}`),
        }));
        break;
      }
      case 'notifyParent': {
        const event = str(act.args[1]);
        const channels = ['email', 'sms'].filter((ch) => result[ch] === 'sent').map((ch) => t(`story.channel.${ch}`));
        const failedChannels = ['email', 'sms'].filter((ch) => result[ch] === 'failed').map((ch) => t(`story.channel.${ch}`));
        if (!done) say(at, 'messageFailed', t('story.messageFailed', { message: t(`story.message.${event}`), error: failure }));
        else if (channels.length) say(at, 'message', t('story.messageSent', { message: t(`story.message.${event}`), channels: list(channels) }));
        else say(at, 'messageNotSent', t('story.messageNotSent', { message: t(`story.message.${event}`) }));
        if (done && failedChannels.length) say(at, 'messageFailed', t('story.messageChannelFailed', { message: t(`story.message.${event}`), channels: list(failedChannels) }));
        break;
      }
      case 'remindDirector':
        say(at, 'reminder', t('story.reminder'));
        break;
      case 'escalateToSupervisor':
        say(at, 'escalated', t('story.escalated'));
        break;
      case 'exportToMassar': {
        // Each scheduled export is one or more attempts (the SDK retries; the history keeps the last one).
        massarAttempts += tries.attempt;
        if (done) say(at, 'massar', t('story.massarDone', { attempt: massarAttempts, code: ltr(str(result.massarCode)) }));
        else say(at, 'massarFailed', t('story.massarFailed', { attempt: massarAttempts, error: failure }));
        if (tries.attempt > 1) say(at, 'massarRetries', t('story.massarRetries', { count: tries.attempt - 1, error: tries.lastFailure }));
        break;
      }
      default:
        if (!done) say(at, 'stepFailed', t('story.stepFailed', { error: failure }));
    }
  };

  for (const e of events) {
    const at = toDate(e.eventTime as never);
    if (e.workflowExecutionStartedEventAttributes) {
      const input = first(e.workflowExecutionStartedEventAttributes.input);
      say(at, 'submitted', t('story.submitted', {
        level: t(`level.${str(input.level)}`), school: school ? isolated(lang === 'ar' ? school.nameAr : school.nameFr) : ltr(str(input.schoolCode)), year: ltr(str(input.schoolYear)),
      }));
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      scheduled.set(String(e.eventId), { name: a.activityType?.name ?? '', args: values(a.input) });
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      attempts.set(String(a.scheduledEventId), { attempt: a.attempt ?? 1, lastFailure: a.lastFailure?.message ?? '' });
    } else if (e.activityTaskCompletedEventAttributes || e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes) {
      const completed = e.activityTaskCompletedEventAttributes;
      const failed = e.activityTaskFailedEventAttributes;
      const id = String((completed ?? failed ?? e.activityTaskTimedOutEventAttributes)?.scheduledEventId);
      step(at, scheduled.get(id) ?? { name: '', args: [] }, Boolean(completed), completed ? first(completed.result) : {},
        failed?.failure?.cause?.message || failed?.failure?.message || (e.activityTaskTimedOutEventAttributes ? t('story.timedOut') : ''),
        attempts.get(id) ?? { attempt: 1, lastFailure: '' });
    } else if (e.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) {
      // A local activity (the intake's checks and queue): its type and attempt in the marker's data, its result beside.
      const m = e.markerRecordedEventAttributes;
      const data = first(m.details?.data);
      step(at, { name: str(data.activity_type), args: [] }, !m.failure, m.failure ? {} : first(m.details?.result),
        m.failure?.cause?.message || m.failure?.message || '', { attempt: Number(data.attempt) || 1, lastFailure: '' });
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      const input = e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input;
      const a = first(input?.args);
      switch (input?.name) {
        case 'decide': {
          const note = str(a.note) ? t('story.withNote') : '';
          if (a.decision === 'approve') say(at, 'approved', `${t('story.approved', { who: who(a.decidedBy) })}${note}`);
          else {
            const codes = Array.isArray(a.reasons) ? (a.reasons as unknown[]).map(str) : [];
            say(at, 'rejected', `${t('story.rejected', { who: who(a.decidedBy), reasons: list(codes.map((c) => reasons.get(c) ?? c)) })}${note}`);
          }
          break;
        }
        case 'requestCorrection': say(at, 'correctionRequested', t('story.correctionRequested', { who: who(a.requestedBy) })); break;
        case 'open': say(at, 'opened', t('story.opened', { who: who(a.openedBy) })); break;
        case 'retryExport': say(at, 'retryExport', t('story.retryExport', { who: who(a.requestedBy) })); break;
        case 'withdraw': say(at, 'withdrawn', t('story.withdrawn')); break;
        case 'correctionSubmitted': say(at, 'corrected', t('story.corrected')); break;
        case 'parentEdit': say(at, 'edited', t('story.edited')); break;
        default: break;
      }
    } else if (e.workflowExecutionCompletedEventAttributes) {
      const state = first(e.workflowExecutionCompletedEventAttributes.result);
      say(at, 'completed', t('story.completed', { status: t(`status.${str(state.status)}`) }));
    } else if (e.workflowExecutionFailedEventAttributes || e.workflowExecutionTerminatedEventAttributes || e.workflowExecutionTimedOutEventAttributes) {
      say(at, 'stopped', t('story.stopped'));
    }
  }
  return out;
}
