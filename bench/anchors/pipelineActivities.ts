/** The anchor's activities: they do nothing but note when the status would have been recorded. */
export interface AnchorActivities {
  runAutomaticChecks(reference: string): Promise<{ age: string; zone: string; duplicate: string; hijriConsistency: string }>;
  notifyParent(reference: string, event: string, occurrence: number): Promise<{ email: string; sms: string }>;
  recordStatus(reference: string, status: string, details: Record<string, unknown>): Promise<void>;
}

export function createAnchorActivities(reached: Map<string, number>): AnchorActivities {
  return {
    async runAutomaticChecks() { return { age: 'eligible', zone: 'inZone', duplicate: 'none', hijriConsistency: 'consistent' }; },
    async notifyParent() { return { email: 'sent', sms: 'sent' }; },
    async recordStatus(reference) { reached.set(reference, Date.now()); },
  };
}
