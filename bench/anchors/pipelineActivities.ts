/** The anchor's activities: they do nothing but note when the status would have been recorded. */
export interface AnchorActivities {
  runChecksAndQueue(reference: string): Promise<{ checks: { age: string; zone: string; duplicate: string; hijriConsistency: string }; queued: boolean }>;
  notifyParent(reference: string, event: string, occurrence: number): Promise<{ email: string; sms: string }>;
}

export function createAnchorActivities(reached: Map<string, number>): AnchorActivities {
  return {
    // Where Tasjil's step writes the status underReview: the moment the benchmark times.
    async runChecksAndQueue(reference) {
      reached.set(reference, Date.now());
      return { checks: { age: 'eligible', zone: 'inZone', duplicate: 'none', hijriConsistency: 'consistent' }, queued: true };
    },
    async notifyParent() { return { email: 'sent', sms: 'sent' }; },
  };
}
