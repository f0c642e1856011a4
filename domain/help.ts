/**
 * Help and support (issue 13): the ministry's free green number, the topics of a help request and
 * the limits of its fields. Pure data, shared by the web's doors and the notification activity.
 */

/** The ministry's free green number, as printed (display) and as dialled (`tel:` link). */
export const GREEN_NUMBER = { display: '0800 00 11 22', tel: '0800001122' } as const;

/**
 * Topics of a help request. `rectification`: the parent asks to rectify the data of a decided
 * request (law 09-08, right of rectification); only from the parents' space, on their own request.
 */
export const HELP_TOPICS = ['registration', 'documents', 'age', 'school', 'account', 'technical', 'other', 'rectification'] as const;
export type HelpTopic = (typeof HELP_TOPICS)[number];

/** Statuses of a decided request, on which a rectification may be asked. */
export const DECIDED_STATUSES = ['approved', 'registered', 'rejected', 'exportFailed'] as const;

/** Limits enforced at the door (characters). */
export const HELP_LIMITS = { message: 1000, answer: 1000, reference: 20, contact: 254 } as const;

/** Limits of a help centre section (seeded files and the staff editor). */
export const HELP_SECTION_LIMITS = { anchor: 40, title: 160, body: 6000 } as const;
