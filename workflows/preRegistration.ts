/**
 * The pre-registration lifecycle, one workflow per request (workflow ID `preRegistration-<reference>`).
 *
 *   submitted → automatic checks (age, zone, duplicate, Hijri) → parent told "received" → underReview
 *   (until staff `open` the request, the parent may edit it: `parentEdit`, the checks re-run)
 *   ⇄ correctionRequested (director asks, parent edits, checks re-run)
 *   → director's `decide` Update → approve: Massar export → registered (+ Massar code)
 *                                → reject: rejected (+ coded reasons)
 *   → parent told the outcome.                      `withdraw` (parent) ends it before a decision.
 *
 * Orchestration only: every fact is read and written by activities (workflows/proxies.ts, one
 * proxy per outside system); the messages are handled by the request's state object
 * (workflows/request.ts). Inputs and results carry codes and the reference, never personal data (a
 * correction's message and edited data live in PostgreSQL). Running requests replay the saved
 * histories in test/fixtures/histories: a change of the commands below needs `patched()` (README).
 */
import { ActivityFailure, ApplicationFailure, allHandlersFinished, condition, patched } from '@temporalio/workflow';
import { activitiesFor, MASSAR_REJECTED, type WorkflowActivities } from './proxies';
import type { PreRegistrationInput, PreRegistrationState } from './messages';
import { PreRegistrationRequest } from './request';

export * from './messages';

/** Patch: the checks and the status `underReview` in one activity, before "received" (3 → 2 activities to the queue, 1 to underReview). */
export const CHECKS_AND_QUEUE_IN_ONE_ACTIVITY = 'checks-and-queue-in-one-activity';
/** Patch: that step as a local activity (a marker in the first workflow task, no activity task). */
export const CHECKS_AS_LOCAL_ACTIVITY = 'checks-as-local-activity';

export async function preRegistration(input: PreRegistrationInput): Promise<PreRegistrationState> {
  const acts = activitiesFor(input.timeouts);
  const { db, intake, notify } = acts;
  const request = new PreRegistrationRequest(input.reference, acts);
  request.register(); // before the first await: no Update or query is ever lost
  const { state, reference } = request;

  // 1. Automatic checks and the director's queue, the parent told "received"; again after each correction.
  const local = patched(CHECKS_AS_LOCAL_ACTIVITY);
  if (local || patched(CHECKS_AND_QUEUE_IN_ONE_ACTIVITY)) {
    state.checks = (await (local ? intake : db).runChecksAndQueue(reference)).checks;
    if (!request.withdrawn) request.show('underReview');
    await notify.notifyParent(reference, 'received', 0);
  } else { // requests started before 2026-12: checks, "received", then the status
    state.checks = await db.runAutomaticChecks(reference);
    await notify.notifyParent(reference, 'received', 0);
    if (!request.withdrawn) await request.setStatus('underReview', { checks: state.checks });
  }
  for (;;) {
    await awaitDirector(request, acts, input.deadlines);
    if (request.withdrawn || state.status !== 'correctionRequested') break;
    const round = state.corrections;
    await notify.notifyParent(reference, 'correctionRequested', round);
    await condition(() => request.withdrawn || request.correctionSubmitted || state.corrections !== round);
    if (request.withdrawn) break;
    if (state.corrections !== round) continue;
    state.checks = await db.runAutomaticChecks(reference);
    request.correctionSubmitted = false;
    await request.setStatus('underReview', { checks: state.checks, afterCorrection: round });
  }

  // 2. The outcome.
  if (request.withdrawn) {
    await notify.notifyParent(reference, 'withdrawn', 0);
  } else if (state.status === 'approved') {
    await exportUntilRegistered(request, acts);
    await notify.notifyParent(reference, 'registered', 0);
  } else {
    await notify.notifyParent(reference, 'rejected', 0);
  }

  await condition(allHandlersFinished);
  return state;
}

/** Waits for the director, reminding and escalating when the deadlines pass (once per request). */
async function awaitDirector(request: PreRegistrationRequest, { notify }: WorkflowActivities, d: PreRegistrationInput['deadlines']): Promise<void> {
  const { state, reference } = request;
  const moved = () => request.withdrawn || state.status !== 'underReview';
  if (d && !state.reminded && !(await condition(moved, d.reminderAfterMs))) {
    await notify.remindDirector(reference);
    state.reminded = true;
  }
  if (d && state.reminded && !state.escalated && !(await condition(moved, Math.max(1, d.escalateAfterMs - d.reminderAfterMs)))) {
    await notify.escalateToSupervisor(reference);
    state.escalated = true;
    await notify.notifyParent(reference, 'reminder', 0);
  }
  await condition(moved);
}

/** Exports to Massar until it gives a code; a refusal parks the request as `exportFailed` until staff retry. */
async function exportUntilRegistered(request: PreRegistrationRequest, { db, massar }: WorkflowActivities): Promise<void> {
  const { state, reference } = request;
  for (;;) {
    try {
      const { massarCode } = await massar.exportToMassar(reference);
      await db.recordRegistration(reference, massarCode);
      state.massarCode = massarCode;
      request.show('registered');
      return;
    } catch (err) {
      if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === MASSAR_REJECTED)) throw err;
      await request.setStatus('exportFailed', { error: err.cause.message });
      request.exportRetryRequested = false;
      await condition(() => request.exportRetryRequested);
    }
  }
}
