/**
 * Prometheus metrics (prom-client), one registry per process: the web process exposes its HTTP,
 * submission, decision and backlog metrics at `/metrics`; the worker process its notification and
 * Massar export metrics on its health port (observability/healthServer.ts). Labels carry codes
 * only (routes as patterns, reason codes, outcomes), never a reference or personal data.
 */
import { timingSafeEqual } from 'node:crypto';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PRE_REGISTRATION_STATUSES } from '../domain/types';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'tasjil_' });

export const httpRequestDuration = new Histogram({
  name: 'tasjil_http_request_duration_seconds',
  help: 'HTTP request duration by method, route pattern and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const submissionsAccepted = new Counter({
  name: 'tasjil_submissions_accepted_total',
  help: 'Pre-registrations accepted (stored and their workflow started)',
  registers: [registry],
});

export const submissionsRefused = new Counter({
  name: 'tasjil_submissions_refused_total',
  help: 'Pre-registration submissions refused, by reason code (one count per distinct code of a refusal)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const decisions = new Counter({
  name: 'tasjil_decisions_total',
  help: "Directors' decisions sent to the workflow, by outcome (approve, reject, refused: the workflow refused the Update)",
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const parentEdits = new Counter({
  name: 'tasjil_parent_edits_total',
  help: "Parents' edits of a submitted request, by outcome (applied, refused)",
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const notifications = new Counter({
  name: 'tasjil_notifications_total',
  help: 'Parent notifications by event, channel (email, sms; all when an attempt failed before an outcome) and outcome (sent, skipped, failed, error: retried)',
  labelNames: ['event', 'channel', 'outcome'] as const,
  registers: [registry],
});

export const massarExportDuration = new Histogram({
  name: 'tasjil_massar_export_duration_seconds',
  help: 'Massar export attempts by outcome (exported, refused, error: retried)',
  labelNames: ['outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const massarExportRetries = new Counter({
  name: 'tasjil_massar_export_retries_total',
  help: 'Massar export attempts after the first (Temporal activity retries)',
  registers: [registry],
});

export const massarExportRefusals = new Counter({
  name: 'tasjil_massar_export_refusals_total',
  help: 'Massar exports refused by Massar (request parked as exportFailed)',
  registers: [registry],
});

/** Statuses where a request waits for the school. */
export const WAITING_STATUSES = ['submitted', 'underReview'] as const;

/** What the backlog gauges read from PostgreSQL at scrape time. */
export interface BacklogSource {
  execute<T>(sql: string): Promise<T[]>;
}

/** Registered sources, latest last (tests run several apps in one process; each removes its own on close). */
const backlogSources: BacklogSource[] = [];
const currentSource = (): BacklogSource | undefined => backlogSources[backlogSources.length - 1];

/**
 * Backlog gauges, computed when scraped: requests per status and the age of the oldest request
 * waiting for the school. Two index-only-friendly queries under a 1 s statement timeout; a scrape
 * during a database outage leaves the gauges unset rather than failing the whole scrape.
 */
export function registerBacklogGauges(source: BacklogSource): () => void {
  backlogSources.push(source);
  return () => {
    const i = backlogSources.lastIndexOf(source);
    if (i >= 0) backlogSources.splice(i, 1);
  };
}

new Gauge({
  name: 'tasjil_requests',
  help: 'Pre-registrations by status (read from PostgreSQL at scrape time)',
  labelNames: ['status'] as const,
  registers: [registry],
  async collect() {
    const source = currentSource();
    if (!source) return;
    this.reset();
    try {
      const rows = await source.execute<{ status: string; n: string }>('select status, count(*) as n from pre_registration group by status');
      const counts = new Map(rows.map((r) => [r.status, Number(r.n)]));
      for (const s of PRE_REGISTRATION_STATUSES) this.set({ status: s }, counts.get(s) ?? 0);
    } catch {
      // Database away: no value this scrape (readiness reports the outage).
    }
  },
});

new Gauge({
  name: 'tasjil_oldest_waiting_request_age_seconds',
  help: 'Age of the oldest request waiting for the school (submitted or underReview); 0 when none',
  registers: [registry],
  async collect() {
    const source = currentSource();
    if (!source) return;
    this.reset();
    try {
      const [row] = await source.execute<{ age: string | null }>(
        `select extract(epoch from now() - min(submitted_at)) as age from pre_registration where status in (${WAITING_STATUSES.map((s) => `'${s}'`).join(', ')})`,
      );
      this.set(row?.age == null ? 0 : Math.max(0, Number(row.age)));
    } catch {
      // as above
    }
  },
});

/** `Authorization: Bearer <METRICS_TOKEN>` check (constant time); true when no token is configured and not production. */
export function metricsAuthorized(authorization: string | undefined, token: string | undefined, production: boolean): boolean {
  if (!token) return !production;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(authorization ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
