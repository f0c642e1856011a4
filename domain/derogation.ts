import type { AutomaticChecksSummary } from './types';

/**
 * Whether approving a request needs a derogation note: the child lives outside the school's zone,
 * or is in the tolerance band or under age (circular; law 04-00 art. 1). Used by the workflow's
 * decision validator and by the staff pages.
 */
export function needsDerogation(checks: AutomaticChecksSummary | null): boolean {
  return Boolean(checks && (checks.zone === 'outOfZone' || checks.age !== 'eligible'));
}
