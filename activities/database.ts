/**
 * Database activities: thin adapters between the workflow and PostgreSQL. Each call forks its own
 * EntityManager; each write is idempotent (a retried activity changes nothing twice).
 */
import { LockMode, type MikroORM } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import { classifyAge } from '../domain/age';
import { ageOn } from '../domain/dates';
import { checkHijriConsistency } from '../domain/hijri';
import { checkZone } from '../domain/zone';
import type { AutomaticChecksSummary, Decision, PreRegistrationStatus } from '../domain/types';
import {
  AgeRuleRow, AuditLog, PreRegistration, PreRegistrationEvent, PreRegistrationRevision, type AutomaticChecksDetail,
} from '../entities';
import { assignSubmission } from '../persistence/preRegistrationRows';
import type { Activities } from './types';

/** Statuses after which a request no longer counts as a live duplicate candidate. */
const DEAD_STATUSES: PreRegistrationStatus[] = ['rejected', 'withdrawn', 'draft'];

type Em = ReturnType<MikroORM['em']['fork']>;

/** The request by reference; `withZones` also loads its school and the school's zones (the checks need them). */
async function loadRequest(em: Em, reference: string, withZones = true): Promise<PreRegistration> {
  const pr = await em.findOne(PreRegistration, { reference }, withZones ? { populate: ['school', 'school.zones'] } : {});
  if (!pr) throw ApplicationFailure.nonRetryable(`pre-registration ${reference} not found`, 'PreRegistrationNotFound');
  return pr;
}

/** Inserts a timeline event unless one with the same key exists (retries are harmless); inside `em`'s transaction if any. */
export async function addEvent(
  em: Em, pr: PreRegistration, eventKey: string, type: string,
  opts: { status?: PreRegistrationStatus | null; actor?: string | null; details?: Record<string, unknown>; at?: Date } = {},
): Promise<void> {
  await em.getConnection().execute(
    `insert into pre_registration_event (pre_registration_id, event_key, type, status, actor, details, at)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (pre_registration_id, event_key) do nothing`,
    [pr.id, eventKey, type, opts.status ?? null, opts.actor ?? null, JSON.stringify(opts.details ?? {}), opts.at ?? new Date()],
    'all', em.getTransactionContext(),
  );
}

/** Runs the age, zone, duplicate and Hijri checks of a loaded request, stores them with their timeline entry. */
async function runChecks(em: Em, pr: PreRegistration): Promise<AutomaticChecksSummary> {
  const rule = await em.findOne(AgeRuleRow, { schoolYear: pr.schoolYear, level: pr.level });
  if (!rule) throw ApplicationFailure.nonRetryable(`no age rule for ${pr.schoolYear} ${pr.level}`, 'AgeRuleMissing');
  const ageRule = {
    schoolYear: pr.schoolYear, level: pr.level,
    eligibleBornOnOrBefore: rule.eligibleBornOnOrBefore, eligibleBornOnOrAfter: rule.eligibleBornOnOrAfter ?? null,
    toleranceBornFrom: rule.toleranceBornFrom ?? null, toleranceBornTo: rule.toleranceBornTo ?? null,
    referenceDate: rule.referenceDate, source: rule.source,
  };
  const age = classifyAge(pr.birthDate, ageRule);
  const { years, months } = ageOn(pr.birthDate, rule.referenceDate);
  const schoolZoneCodes = pr.school.zones.getItems().map((z) => z.code).sort();
  const zone = checkZone(pr.residenceZone.code, schoolZoneCodes);
  const others = await em.getConnection().execute<{ reference: string }[]>(
    `select reference from pre_registration
      where id <> ? and duplicate_keys && ?::text[] and status <> all(?::text[]) order by submitted_at`,
    [pr.id, `{${pr.duplicateKeys.map((k) => `"${k.replace(/["\\]/g, '\\$&')}"`).join(',')}}`, `{${DEAD_STATUSES.join(',')}}`],
  );
  const candidates = others.map((o) => o.reference);
  const hijri = checkHijriConsistency(pr.birthDate, pr.birthDateHijri);
  const detail: AutomaticChecksDetail = {
    ranAt: new Date().toISOString(),
    age: {
      result: age, years, months, referenceDate: rule.referenceDate,
      rule: { eligibleBornOnOrBefore: ageRule.eligibleBornOnOrBefore, eligibleBornOnOrAfter: ageRule.eligibleBornOnOrAfter, toleranceBornFrom: ageRule.toleranceBornFrom, toleranceBornTo: ageRule.toleranceBornTo },
    },
    zone: { result: zone, residenceZoneCode: pr.residenceZone.code, schoolZoneCodes },
    duplicate: { result: candidates.length ? 'possibleDuplicate' : 'none', candidates },
    hijriConsistency: { result: hijri.result, expectedHijri: hijri.expectedHijri, enteredHijri: pr.birthDateHijri, differenceDays: hijri.differenceDays },
  };
  const summary: AutomaticChecksSummary = { age, zone, duplicate: detail.duplicate.result, hijriConsistency: hijri.result };
  pr.checks = detail;
  pr.ageCheck = summary.age;
  pr.zoneCheck = summary.zone;
  pr.duplicateCheck = summary.duplicate;
  pr.hijriCheck = summary.hijriConsistency;
  pr.updatedAt = new Date();
  await em.flush();
  // One entry per run: the first, then one after each parent edit or correction.
  const reruns = await em.count(PreRegistrationEvent, { preRegistration: pr, type: { $in: ['corrected', 'edited'] } });
  await addEvent(em, pr, reruns ? `checks:${reruns}` : 'checks', 'checksCompleted', { details: { ...summary } });
  return summary;
}

/** Builds the database activities over one MikroORM instance. */
export function createDatabaseActivities(orm: MikroORM): Pick<Activities, 'runAutomaticChecks' | 'runChecksAndQueue' | 'recordStatus' | 'recordDecision' | 'recordRegistration' | 'recordOpened' | 'applyParentEdit'> {
  return {
    async runAutomaticChecks(reference) {
      const em = orm.em.fork();
      return runChecks(em, await loadRequest(em, reference));
    },

    async runChecksAndQueue(reference) {
      const em = orm.em.fork();
      const pr = await loadRequest(em, reference);
      const checks = await runChecks(em, pr);
      // Into the director's queue unless the request left `submitted` meanwhile (withdrawn); a retry finds it there already.
      const rows = await em.getConnection().execute<Array<{ id: string }>>(
        `update pre_registration set status = 'underReview', updated_at = now() where id = ? and status in ('submitted', 'underReview') returning id`, [pr.id],
      );
      const queued = rows.length > 0;
      if (queued) await addEvent(em, pr, 'status:underReview', 'status', { status: 'underReview', details: { checks } });
      return { checks, queued };
    },

    async recordStatus(reference, status, details) {
      const em = orm.em.fork();
      const pr = await loadRequest(em, reference, false);
      // Asking for a correction implies the director opened the request.
      const openedBy = status === 'correctionRequested' && typeof details.requestedBy === 'string' && !pr.openedAt ? details.requestedBy : null;
      if (pr.status !== status || openedBy) {
        pr.status = status;
        pr.updatedAt = new Date();
        if (status === 'exportFailed') pr.exportError = String(details.error ?? '');
        if (status === 'approved') pr.exportError = null;
        if (openedBy) { pr.openedAt = pr.updatedAt; pr.openedBy = openedBy; }
        await em.flush();
      }
      // A status reached again in a later correction round, or after a parent edit, gets its own timeline entry.
      const round = Number(details.afterCorrection ?? (status === 'correctionRequested' ? details.round : 0)) || 0;
      const edit = Number(details.afterEdit ?? 0) || 0;
      const key = edit ? `status:${status}:edit:${edit}` : round > (status === 'correctionRequested' ? 1 : 0) ? `status:${status}:${round}` : `status:${status}`;
      await addEvent(em, pr, key, 'status', { status, details });
    },

    async recordDecision(reference, decision: Decision) {
      const em = orm.em.fork();
      await em.transactional(async (tx) => {
        const pr = await loadRequest(tx, reference);
        const status: PreRegistrationStatus = decision.decision === 'approve' ? 'approved' : 'rejected';
        if (pr.decision && pr.decision !== decision.decision) {
          throw ApplicationFailure.nonRetryable(`${reference} already decided`, 'AlreadyDecided');
        }
        const now = new Date();
        pr.decision = decision.decision;
        pr.rejectionReasons = decision.decision === 'reject' ? decision.reasons : [];
        pr.decisionNote = decision.note?.trim() || null;
        pr.decidedBy = decision.decidedBy;
        pr.decidedAt ??= now;
        pr.openedAt ??= now; // a decision implies the request was opened (the decision event stands for it)
        pr.openedBy ??= decision.decidedBy;
        pr.status = status;
        pr.updatedAt = now;
        await tx.flush();
        await addEvent(tx, pr, 'decision', 'decision', {
          status, actor: decision.decidedBy,
          details: { decision: decision.decision, reasons: pr.rejectionReasons },
        });
        const already = await tx.count(AuditLog, { reference, action: `decision.${decision.decision}` });
        if (!already) {
          tx.create(AuditLog, {
            at: now, actorId: decision.decidedBy, actorRole: 'staff', action: `decision.${decision.decision}`, reference,
            details: { reasons: pr.rejectionReasons, noted: Boolean(pr.decisionNote) },
          });
          await tx.flush();
        }
      });
    },

    async recordOpened(reference, openedBy) {
      const em = orm.em.fork();
      const pr = await loadRequest(em, reference);
      const at = pr.openedAt ?? new Date();
      if (!pr.openedAt) {
        pr.openedAt = at;
        pr.openedBy = openedBy;
        await em.flush();
      }
      await addEvent(em, pr, 'opened', 'opened', { actor: pr.openedBy ?? openedBy, at });
    },

    async applyParentEdit(reference, revisionId) {
      const em = orm.em.fork();
      await em.transactional(async (tx) => {
        const pr = await loadRequest(tx, reference);
        const revision = await tx.findOne(PreRegistrationRevision, { id: revisionId, preRegistration: pr }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!revision) throw ApplicationFailure.nonRetryable(`revision ${revisionId} of ${reference} not found`, 'RevisionNotFound');
        if (revision.status === 'applied') return; // a retry
        if (revision.status !== 'pending') throw ApplicationFailure.nonRetryable(`revision ${revisionId} is ${revision.status}`, 'RevisionNotPending');
        const now = new Date();
        assignSubmission(tx, pr, revision.data, { photoKey: revision.photoKey ?? null, now });
        revision.status = 'applied';
        revision.appliedAt = now;
        await tx.flush();
        await addEvent(tx, pr, `edited:${revision.id}`, 'edited', { actor: 'parent', at: now });
      });
    },

    async recordRegistration(reference, massarCode) {
      const em = orm.em.fork();
      const pr = await loadRequest(em, reference);
      pr.massarCode = massarCode;
      pr.status = 'registered';
      pr.updatedAt = new Date();
      await em.flush();
      await addEvent(em, pr, 'status:registered', 'status', { status: 'registered', details: { massarCode } });
    },
  };
}

