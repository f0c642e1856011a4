/**
 * Unlock: the holder of a request proves it with the child's birth certificate number. One service
 * for every door (the status page's form, the API's `X-Birth-Certificate-Number` header), one
 * persistent throttle in PostgreSQL (rate-limiter-flexible's RateLimiterPostgres on table
 * `unlock_throttle`, created by a migration) shared by every process:
 *
 * - per request, whatever the client address: `UNLOCK_MAX_FAILURES_PER_REFERENCE` (5) wrong
 *   numbers per hour. A certificate number is `N/YYYY`: N is the act's number in a commune's
 *   register for the year (a few thousand at most), YYYY the birth year, which the age rule narrows
 *   to one or two years — about 10⁴–2·10⁴ candidates. At 5 tries an hour (120 a day) an attacker
 *   needs on average 40–80 days to find one number, longer than a campaign, and the parent is told
 *   at the first lock. Spreading the tries over many addresses does not help: the count is the
 *   request's.
 * - per client address, over all requests: `UNLOCK_MAX_FAILURES_PER_CLIENT` (20) wrong numbers or
 *   unknown references per hour (one client trying many requests).
 *
 * The failure that reaches the limit locks the request until its hour is over (429 + Retry-After on
 * both doors) and tells the parent once by email and SMS (workflow `parentNotice`, id naming the
 * request and the lock, run once; the notification itself exactly once per channel). Keys are
 * HMACs of the reference and of the address, never the values; nothing personal is logged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { normalizeCertificateNumber } from '../../domain/duplicates';
import { isReference, normalizeReference } from '../../domain/reference';
import { PreRegistration } from '../../entities';
import type { TasjilTemporal } from '../../temporal/client';

/** One hour: the window of both counters and the lock's length. */
export const UNLOCK_WINDOW_SECONDS = 3600;

/** What an unlock attempt gave. `retryAfterSeconds` is whole seconds until the lock ends (≥ 1). */
export type UnlockOutcome =
  | { ok: true; reference: string }
  | { ok: false; reason: 'notFound' }
  | { ok: false; reason: 'wrong'; remaining: number }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number };

export interface UnlockServiceOptions {
  pool: Pool;
  secret: string;
  temporal: TasjilTemporal;
  taskQueue: string;
  maxPerReference: number;
  maxPerClient: number;
  log?: { warn(obj: object, msg?: string): void };
}

/** The unlock service of one process; every door of the process calls the same instance. */
export class UnlockService {
  private readonly perReference: RateLimiterPostgres;
  private readonly perClient: RateLimiterPostgres;

  constructor(private readonly opts: UnlockServiceOptions) {
    const common = { storeClient: opts.pool, storeType: 'pool', tableName: 'unlock_throttle', tableCreated: true, duration: UNLOCK_WINDOW_SECONDS };
    this.perReference = new RateLimiterPostgres({ ...common, keyPrefix: 'unlock-ref', points: opts.maxPerReference });
    this.perClient = new RateLimiterPostgres({ ...common, keyPrefix: 'unlock-client', points: opts.maxPerClient });
  }

  private key(kind: string, value: string): string {
    return createHmac('sha256', this.opts.secret).update(`${kind}:${value}`).digest('hex');
  }

  /** Whether the request (or the client) is locked now, and for how long. */
  async lockedFor(reference: string, client: string): Promise<number | null> {
    const [r, c] = await Promise.all([
      this.perReference.get(this.key('ref', normalizeReference(reference))),
      this.perClient.get(this.key('client', client)),
    ]);
    const waits = [
      r && r.consumedPoints >= this.opts.maxPerReference ? r.msBeforeNext : 0,
      c && c.consumedPoints >= this.opts.maxPerClient ? c.msBeforeNext : 0,
    ];
    const ms = Math.max(...waits);
    return ms > 0 ? Math.max(1, Math.ceil(ms / 1000)) : null;
  }

  /**
   * Checks `certificateNumber` against the request `reference` for `client` (its address).
   * A locked request or client is refused before anything is compared; a wrong number counts
   * against both; the right one clears the request's count (the holder is there).
   */
  async unlock(em: EntityManager, reference: string, certificateNumber: string, client: string): Promise<UnlockOutcome> {
    const ref = normalizeReference(reference);
    const locked = await this.lockedFor(ref, client);
    if (locked) return { ok: false, reason: 'locked', retryAfterSeconds: locked };
    const clientKey = this.key('client', client);
    const pr = isReference(ref) ? await em.findOne(PreRegistration, { reference: ref }) : null;
    if (!pr) {
      const c = await consume(this.perClient, clientKey);
      return c.consumedPoints >= this.opts.maxPerClient
        ? { ok: false, reason: 'locked', retryAfterSeconds: seconds(c) }
        : { ok: false, reason: 'notFound' };
    }
    const given = normalizeCertificateNumber(certificateNumber.slice(0, 100));
    const expected = normalizeCertificateNumber(pr.birthCertificateNumber);
    if (given !== '' && sameText(given, expected)) {
      await this.perReference.delete(this.key('ref', ref));
      return { ok: true, reference: ref };
    }
    const [r, c] = await Promise.all([consume(this.perReference, this.key('ref', ref)), consume(this.perClient, clientKey)]);
    if (r.consumedPoints === this.opts.maxPerReference) await this.tellParent(ref, r);
    if (r.consumedPoints >= this.opts.maxPerReference || c.consumedPoints >= this.opts.maxPerClient) {
      return { ok: false, reason: 'locked', retryAfterSeconds: Math.max(r.consumedPoints >= this.opts.maxPerReference ? seconds(r) : 0, c.consumedPoints >= this.opts.maxPerClient ? seconds(c) : 0) };
    }
    return { ok: false, reason: 'wrong', remaining: Math.min(this.opts.maxPerReference - r.consumedPoints, this.opts.maxPerClient - c.consumedPoints) };
  }

  /**
   * The lock's notice to the parent, once: the failure that reached the limit starts workflow
   * `notice-<reference>-unlockLocked-<minute the lock ends>` (a second start is refused by Temporal).
   * Temporal being away is logged (without the reference) and does not change the answer.
   */
  private async tellParent(reference: string, r: RateLimiterRes): Promise<void> {
    const occurrence = Math.floor((Date.now() + r.msBeforeNext) / 60_000);
    try {
      await this.opts.temporal.client.workflow.start('parentNotice', {
        taskQueue: this.opts.taskQueue, workflowId: `notice-${reference}-unlockLocked-${occurrence}`,
        args: [reference, 'unlockLocked', occurrence], workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      this.opts.log?.warn({ err: { name: (err as Error)?.name } }, 'unlock lock: the parent notice could not be started');
    }
  }
}

/** Consumes one point; a consumption over the limit (concurrent failures) resolves too. */
async function consume(limiter: RateLimiterPostgres, key: string): Promise<RateLimiterRes> {
  try {
    return await limiter.consume(key, 1);
  } catch (err) {
    if (err instanceof RateLimiterRes) return err;
    throw err;
  }
}

function seconds(r: RateLimiterRes): number {
  return Math.max(1, Math.ceil(r.msBeforeNext / 1000));
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
