/**
 * The messages a running pre-registration answers, as one state object with one method per message
 * (Temporal's `safe-message-handlers` pattern): `register()` installs every handler before the
 * workflow's first await, so no Update or query is lost; Updates refuse early in their validators;
 * parent edits run one at a time under a mutex (each applies a revision, re-runs the checks and
 * records the status: two must not interleave); decisions, corrections and withdrawal wait for the
 * edits in flight so they act on the parent's final data.
 */
import { ApplicationFailure, condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { needsDerogation } from '../domain/derogation';
import { validateDecision } from '../domain/rejectionReasons';
import type { Decision, PreRegistrationStatus } from '../domain/types';
import { STATUS } from '../temporal/searchAttributes';
import type { WorkflowActivities } from './proxies';
import {
  ALREADY_OPENED, CANNOT_WITHDRAW, DEROGATION_NOTE_REQUIRED, INVALID_DECISION, NOT_AWAITING_CORRECTION, NOT_AWAITING_DECISION,
  NOT_AWAITING_EXPORT_RETRY, correctionSubmittedUpdate, decideUpdate, openUpdate, parentEditUpdate, requestCorrectionUpdate,
  retryExportUpdate, statusQuery, withdrawUpdate, type DecisionResult, type PreRegistrationState,
} from './messages';

const refuse = (type: string, message: string): never => { throw ApplicationFailure.nonRetryable(message, type); };

export class PreRegistrationRequest {
  readonly state: PreRegistrationState;
  /** Set by the messages, read by the workflow's main path. */
  withdrawn = false;
  correctionSubmitted = false;
  exportRetryRequested = false;
  /** Parent edits accepted and not finished (counted synchronously: decisions and withdrawal wait for them). */
  private editing = 0;
  /** One parent edit applies at a time. */
  private readonly editLock = new Mutex();
  /** A correction request waits for edits in flight before it takes effect. */
  private askingCorrection = false;
  /** The `opened` record, written once. */
  private opening: Promise<void> | null = null;

  constructor(reference: string, private readonly acts: WorkflowActivities) {
    this.state = {
      reference, status: 'submitted', checks: null, decision: null, rejectionReasons: [], massarCode: null, corrections: 0,
      edits: 0, opened: false, reminded: false, escalated: false,
    };
  }

  /** Installs the query and every Update handler with its validator; call before the first await. */
  register(): void {
    setHandler(statusQuery, () => this.state);
    setHandler(decideUpdate, (d) => this.decide(d), { validator: (d) => this.validateDecide(d) });
    setHandler(requestCorrectionUpdate, (r) => this.requestCorrection(r), { validator: (_r) => this.validateAwaitingDecision() });
    setHandler(correctionSubmittedUpdate, () => this.correctionSubmittedByParent(), { validator: () => this.validateCorrectionSubmitted() });
    setHandler(withdrawUpdate, () => this.withdraw(), { validator: () => this.validateWithdraw() });
    setHandler(retryExportUpdate, (r) => this.retryExport(r), { validator: (_r) => this.validateRetryExport() });
    setHandler(openUpdate, (o) => this.open(o));
    setHandler(parentEditUpdate, (e) => this.parentEdit(e), { validator: (_e) => this.validateParentEdit() });
  }

  get reference(): string { return this.state.reference; }
  readonly editsDone = (): boolean => this.editing === 0;

  /** Shows a status (query and the `TasjilStatus` search attribute) without recording it. */
  show(status: PreRegistrationStatus): void {
    this.state.status = status;
    upsertSearchAttributes([{ key: STATUS, value: status }]);
  }

  /** Records a status (projection + timeline event), then shows it. */
  async setStatus(status: PreRegistrationStatus, details: Record<string, unknown> = {}): Promise<void> {
    await this.acts.db.recordStatus(this.reference, status, details);
    this.show(status);
  }

  private awaitingDecision(): boolean {
    return this.state.status === 'underReview' && this.state.decision === null && !this.withdrawn && !this.askingCorrection;
  }

  /** Records the first opening (timeline event `opened`); later calls wait for the same record. */
  private markOpened(openedBy: string): Promise<void> {
    this.state.opened = true;
    this.opening ??= this.acts.db.recordOpened(this.reference, openedBy);
    return this.opening;
  }

  // decide: the director approves or rejects.
  validateDecide(decision: Decision): void {
    this.validateAwaitingDecision();
    const checked = validateDecision(decision);
    if (!checked.ok) refuse(INVALID_DECISION, checked.error);
    if (checked.ok && checked.value.decision === 'approve' && needsDerogation(this.state.checks) && !checked.value.note) {
      refuse(DEROGATION_NOTE_REQUIRED, 'approving outside the zone, in the tolerance band or under age needs a derogation note');
    }
  }

  async decide(raw: Decision): Promise<DecisionResult> {
    const checked = validateDecision(raw); // accepted by the validator; this yields the normalised value
    const decision = checked.ok ? checked.value : raw;
    this.state.decision = decision.decision; // synchronously: a concurrent second decision is refused by the validator
    this.state.opened = true; // a decision implies the request was opened (recordDecision stamps opened_at)
    if (!this.editsDone()) {
      await condition(this.editsDone); // decide on the parent's final data
      if (decision.decision === 'approve' && needsDerogation(this.state.checks) && !decision.note) {
        this.state.decision = null;
        await this.markOpened(decision.decidedBy);
        refuse(DEROGATION_NOTE_REQUIRED, 'the edited request needs a derogation note to be approved');
      }
    }
    await this.acts.db.recordDecision(this.reference, decision);
    this.state.rejectionReasons = decision.decision === 'reject' ? decision.reasons : [];
    this.show(decision.decision === 'approve' ? 'approved' : 'rejected');
    return { status: this.state.status };
  }

  // requestCorrection: the director asks the parent to correct the request.
  validateAwaitingDecision(): void {
    if (!this.awaitingDecision()) refuse(NOT_AWAITING_DECISION, `not awaiting a decision (status ${this.state.status})`);
  }

  async requestCorrection({ requestedBy }: { requestedBy: string }): Promise<DecisionResult> {
    this.state.opened = true; // recordStatus stamps opened_at
    if (!this.editsDone()) {
      this.askingCorrection = true;
      await condition(this.editsDone);
      this.askingCorrection = false;
    }
    this.state.corrections += 1;
    this.correctionSubmitted = false;
    this.show('correctionRequested');
    await this.acts.db.recordStatus(this.reference, 'correctionRequested', { round: this.state.corrections, requestedBy });
    return { status: this.state.status };
  }

  // correctionSubmitted: the parent's corrected data is stored; answered once the checks ran again.
  validateCorrectionSubmitted(): void {
    if (this.state.status !== 'correctionRequested' || this.correctionSubmitted) {
      refuse(NOT_AWAITING_CORRECTION, `no correction awaited (status ${this.state.status})`);
    }
  }

  async correctionSubmittedByParent(): Promise<DecisionResult> {
    this.correctionSubmitted = true;
    await condition(() => this.withdrawn || this.state.status !== 'correctionRequested');
    return { status: this.state.status };
  }

  // withdraw: the parent ends the request before a decision.
  validateWithdraw(): void {
    if (this.withdrawn || this.askingCorrection || !['submitted', 'underReview', 'correctionRequested'].includes(this.state.status) || this.state.decision !== null) {
      refuse(CANNOT_WITHDRAW, `cannot withdraw (status ${this.state.status})`);
    }
  }

  async withdraw(): Promise<DecisionResult> {
    this.withdrawn = true;
    if (!this.editsDone()) await condition(this.editsDone); // an edit in flight stops before recording its status
    await this.setStatus('withdrawn');
    return { status: this.state.status };
  }

  // retryExport: staff retry an export Massar refused.
  validateRetryExport(): void {
    if (this.state.status !== 'exportFailed') refuse(NOT_AWAITING_EXPORT_RETRY, `no failed export to retry (status ${this.state.status})`);
  }

  async retryExport({ requestedBy }: { requestedBy: string }): Promise<DecisionResult> {
    this.exportRetryRequested = true;
    await this.setStatus('approved', { retryRequestedBy: requestedBy });
    return { status: this.state.status };
  }

  // open: the school's director opened the request (idempotent); answers once edits in flight are applied.
  async open({ openedBy }: { openedBy: string }): Promise<DecisionResult> {
    // Only a request awaiting review is opened here; a decision or correction request already marked it.
    if (!this.state.opened && !this.withdrawn && ['submitted', 'underReview'].includes(this.state.status)) void this.markOpened(openedBy);
    if (this.opening) await this.opening;
    await condition(this.editsDone); // the staff page then shows the parent's final data
    return { status: this.state.status };
  }

  // parentEdit: the parent's stored revision, applied before the request is opened; the checks re-run.
  validateParentEdit(): void {
    const s = this.state;
    if (s.opened || this.withdrawn || this.askingCorrection || s.decision !== null || !['submitted', 'underReview'].includes(s.status)) {
      refuse(ALREADY_OPENED, `the request can no longer be edited (status ${s.status}${s.opened ? ', opened' : ''})`);
    }
  }

  async parentEdit({ revisionId }: { revisionId: string }): Promise<DecisionResult> {
    this.editing += 1;
    try {
      // After the initial checks (and their underReview), one edit at a time.
      await condition(() => this.withdrawn || this.state.status !== 'submitted');
      await this.editLock.runExclusive(async () => {
        if (this.withdrawn) refuse(ALREADY_OPENED, 'withdrawn before the edit was applied');
        await this.acts.db.applyParentEdit(this.reference, revisionId);
        this.state.edits += 1;
        this.state.checks = await this.acts.db.runAutomaticChecks(this.reference);
        if (!this.withdrawn) await this.setStatus('underReview', { checks: this.state.checks, afterEdit: this.state.edits });
      });
    } finally {
      this.editing -= 1;
    }
    return { status: this.state.status };
  }
}
