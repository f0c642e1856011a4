import { EntitySchema } from '@mikro-orm/core';

/** The languages of the help centre's catalogue. */
export const HELP_LANGUAGES = ['ar', 'fr'] as const;
export type HelpLanguage = (typeof HELP_LANGUAGES)[number];

/** One anchored section of the help centre in one language (edited by staff, seeded from files). */
export class HelpSection {
  lang!: HelpLanguage;
  /** The section's anchor on /help (`#birth-certificate`), the same in both languages. */
  anchor!: string;
  position!: number;
  title!: string;
  /** Plain text: paragraphs separated by a blank line; lines starting with "- " are list items. */
  body!: string;
  updatedAt!: Date;
  /** Staff user id of the last edit; null for the seeded text. */
  updatedBy?: string | null;
}
export const HelpSectionSchema = new EntitySchema<HelpSection>({
  class: HelpSection,
  tableName: 'help_section',
  properties: {
    lang: { type: 'string', length: 2, primary: true },
    anchor: { type: 'string', length: 40, primary: true },
    position: { type: 'integer' },
    title: { type: 'string', length: 160 },
    body: { type: 'text' },
    updatedAt: { type: 'datetime' },
    updatedBy: { type: 'string', length: 64, nullable: true },
  },
});

export const HELP_STATUSES = ['open', 'answered', 'closed'] as const;
export type HelpStatus = (typeof HELP_STATUSES)[number];

/** A help request: a question from a parent (signed in or not), routed to a school or a directorate. */
export class HelpRequest {
  id!: string;
  /** SHA-256 (hex) of the asker's ticket; the ticket itself is never stored. */
  ticketHash!: string;
  topic!: string;
  message!: string;
  reference?: string | null;
  /** The asker proved the reference (signed-in owner or unlocked in the session). */
  referenceVerified!: boolean;
  preRegistrationId?: string | null;
  schoolCode?: string | null;
  directorateCode!: string;
  communeCode?: string | null;
  channel!: 'email' | 'sms';
  /** The address or E.164 mobile number the answer goes to. */
  contact!: string;
  language!: 'ar' | 'fr';
  parentAccountId?: string | null;
  status!: HelpStatus;
  createdAt!: Date;
  firstAnsweredAt?: Date | null;
  closedAt?: Date | null;
}
export const HelpRequestSchema = new EntitySchema<HelpRequest>({
  class: HelpRequest,
  tableName: 'help_request',
  properties: {
    id: { type: 'uuid', primary: true },
    ticketHash: { type: 'string', length: 64, unique: true },
    topic: { type: 'string', length: 24 },
    message: { type: 'text' },
    reference: { type: 'string', length: 20, nullable: true },
    referenceVerified: { type: 'boolean', default: false },
    preRegistrationId: { type: 'uuid', nullable: true },
    schoolCode: { type: 'string', length: 16, nullable: true },
    directorateCode: { type: 'string', length: 16 },
    communeCode: { type: 'string', length: 16, nullable: true },
    channel: { type: 'string', length: 5 },
    contact: { type: 'string', length: 254 },
    language: { type: 'string', length: 2 },
    parentAccountId: { type: 'uuid', nullable: true },
    status: { type: 'string', length: 12, default: 'open' },
    createdAt: { type: 'datetime' },
    firstAnsweredAt: { type: 'datetime', nullable: true },
    closedAt: { type: 'datetime', nullable: true },
  },
});

/** One answer of staff to a help request (sent to the asker through the notifications). */
export class HelpAnswer {
  id!: string;
  helpRequestId!: string;
  seq!: number;
  body!: string;
  staffUserId!: string;
  createdAt!: Date;
}
export const HelpAnswerSchema = new EntitySchema<HelpAnswer>({
  class: HelpAnswer,
  tableName: 'help_answer',
  properties: {
    id: { type: 'uuid', primary: true },
    helpRequestId: { type: 'uuid' },
    seq: { type: 'integer' },
    body: { type: 'text' },
    staffUserId: { type: 'uuid' },
    createdAt: { type: 'datetime' },
  },
});
