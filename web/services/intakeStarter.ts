/**
 * The intake starter: starts the workflows of accepted submissions (the intake outbox).
 *
 * A submission through a door is accepted once its row is committed in PostgreSQL
 * (`workflow_start_requested_at` set); the door then only kicks this starter and answers. The starter
 * takes the oldest rows waiting (`for update skip locked`, so several web processes
 * share the work), starts their workflows (idempotent: the workflow id is the reference's, a
 * second start is a no-op) and marks them. During a burst the door therefore costs one INSERT,
 * not a Temporal round trip, and the backlog waits durably in PostgreSQL while the pipeline
 * catches up; a crash between the commit and the start loses nothing (the sweep, every
 * `sweepMs`, finds the row again).
 *
 * **The door first, in a burst.** Each workflow started sets the pipeline to work (the engine, the
 * worker and their writes to the same PostgreSQL the door writes to): started as fast as the door
 * accepts, a burst's pipeline took most of the machine from the door (BENCHMARKS.md, "fourth
 * pass"). So while this process's door is busy — `burstInFlight` requests or more (pages and API
 * calls: submissions, status reads) being handled at once, at some moment of the last 5 seconds — the
 * starter starts only `burstRate` workflows a second (never none: the pipeline keeps moving and
 * nothing waits forever); when the burst ends it catches up at `maxPerSecond`. The backlog waits
 * durably in PostgreSQL meanwhile, as it would for a Temporal outage. (Requests in flight, not
 * submissions per second: a door slowed by its pipeline accepts few a second, yet many parents
 * are waiting on it.)
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Level } from '../../domain/types';
import type { TasjilTemporal } from '../../temporal/client';

export interface IntakeStarterOptions {
  /** Rows taken per round (default 50). */
  batch?: number;
  /** Workflow starts per second at most, across the rounds of this process (default 100). */
  maxPerSecond?: number;
  /** Sweep period when nothing kicks the starter, ms (default 1000). */
  sweepMs?: number;
  /** Requests in flight at once in this process's door from which it is a burst (default 4; 0: never). */
  burstInFlight?: number;
  /** Workflow starts per second at most during a burst (default 0.5; more than 0). */
  burstRate?: number;
  /** How long a burst lasts after the door's last busy moment, ms (default 5000: a closed loop's brief lulls do not end it). */
  burstHoldMs?: number;
  /** The clock (ms), for tests. */
  now?: () => number;
}

interface PendingRow {
  id: string; reference: string; school_code: string; directorate_code: string; academy_code: string;
  school_year: string; level: Level; decision_reminder_days: number | null; escalation_days: number | null;
}

const PENDING_SQL = `
select p.id, p.reference, p.school_code, s.directorate_code, d.academy_code, p.school_year, p.level, y.decision_reminder_days, y.escalation_days
  from pre_registration p
  join school s on s.code = p.school_code
  join provincial_directorate d on d.code = s.directorate_code
  left join school_year y on y.code = p.school_year
 where p.workflow_start_requested_at is not null
 order by p.workflow_start_requested_at
 limit ?
 for update of p skip locked`;

const DAY_MS = 24 * 3600 * 1000;

export class IntakeStarter {
  private readonly batch: number;
  private readonly maxPerSecond: number;
  private readonly sweepMs: number;
  private readonly burstInFlight: number;
  private readonly burstRate: number;
  private readonly burstHoldMs: number;
  private readonly now: () => number;
  /** Requests the door is handling now, and when it last had `burstInFlight` of them at once. */
  private inFlight = 0;
  private busyAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private active = false;
  private failures = 0;

  constructor(private readonly orm: MikroORM, private readonly temporal: TasjilTemporal, private readonly log: Pick<Logger, 'warn'>, opts: IntakeStarterOptions = {}) {
    this.batch = opts.batch ?? 50;
    this.maxPerSecond = opts.maxPerSecond ?? 100;
    this.sweepMs = opts.sweepMs ?? 1000;
    this.burstInFlight = opts.burstInFlight ?? 4;
    this.burstRate = opts.burstRate ?? 0.5;
    this.burstHoldMs = opts.burstHoldMs ?? 5000;
    if (!(this.burstRate > 0)) throw new RangeError('burstRate must be more than 0: the pipeline never stops');
    this.now = opts.now ?? Date.now;
  }

  /** Starts the periodic sweep (and a first round now). */
  start(): this {
    this.active = true;
    this.timer = setInterval(() => this.kick(), this.sweepMs);
    this.timer.unref();
    this.kick();
    return this;
  }

  /** A request enters the door; the function returned says it left (called once or more, whatever the outcome). */
  entering(): () => void {
    this.inFlight++;
    if (this.burstInFlight > 0 && this.inFlight >= this.burstInFlight) this.busyAt = this.now();
    let left = false;
    return () => { if (!left) { left = true; this.inFlight--; } };
  }

  /** Requests in this process's door now. */
  get inFlightRequests(): number {
    return this.inFlight;
  }

  /** Whether the door is in a burst: `burstInFlight` requests at once at some moment of the last `burstHoldMs`. */
  inBurst(): boolean {
    return this.burstInFlight > 0 && this.now() - this.busyAt < this.burstHoldMs;
  }

  /** Asks for a round as soon as possible (a door found a submission still waiting); nothing before start(). Never throws. */
  kick(): void {
    if (this.closed || !this.active) return;
    if (this.running) { this.again = true; return; }
    this.running = this.loop().finally(() => { this.running = null; });
  }

  /** Stops the sweep and waits for the round in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      let started = 0;
      const t0 = Date.now();
      const burst = this.inBurst();
      const rate = burst ? this.burstRate : this.maxPerSecond;
      const limit = burst ? Math.max(1, Math.ceil(this.burstRate)) : this.batch;
      try {
        started = await this.round(limit);
        this.failures = 0;
      } catch (err) {
        // Temporal or PostgreSQL away: the rows stay pending; the sweep tries again, slower each time (≤ 30 s).
        this.failures++;
        this.log.warn({ err: { message: (err as Error).message } }, 'intake starter: round failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** this.failures)).unref());
        return;
      }
      const minMs = (started * 1000) / rate;
      if (Date.now() - t0 < minMs) await new Promise((r) => setTimeout(r, minMs - (Date.now() - t0)));
      if (started === limit) this.again = true; // more may be waiting
    } while (this.again && !this.closed);
  }

  /** One round: takes up to `limit` pending rows, starts their workflows, marks them; returns how many. */
  private async round(limit: number): Promise<number> {
    const { started, failure } = await this.orm.em.fork().transactional(async (tx) => {
      const conn = tx.getConnection();
      const ctx = tx.getTransactionContext();
      const rows = await conn.execute<PendingRow[]>(PENDING_SQL, [limit], 'all', ctx);
      if (!rows.length) return { started: 0, failure: null };
      const results = await Promise.allSettled(rows.map((r) => this.temporal.start({
        reference: r.reference, schoolCode: r.school_code, directorateCode: r.directorate_code, academyCode: r.academy_code,
        schoolYear: r.school_year, level: r.level,
        deadlines: r.decision_reminder_days !== null && r.escalation_days !== null
          ? { reminderAfterMs: r.decision_reminder_days * DAY_MS, escalateAfterMs: r.escalation_days * DAY_MS } : undefined,
      })));
      const done = rows.filter((_, i) => results[i].status === 'fulfilled').map((r) => r.id);
      if (done.length) await conn.execute(`update pre_registration set workflow_start_requested_at = null where id = any(?::uuid[])`, [`{${done.join(',')}}`], 'run', ctx);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      return { started: done.length, failure: failed ? (failed.reason as Error) : null };
    });
    if (failure) throw failure; // after the commit: the rows started are marked, the others stay pending
    return started;
  }
}
