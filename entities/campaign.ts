import { EntitySchema } from '@mikro-orm/core';
import type { CampaignAudience, CampaignChannel, CampaignKind } from '../domain/campaignMessages';
import { ParentAccount } from './parent';
import { Academy, ProvincialDirectorate } from './reference';
import { SchoolYear } from './school';
import { StaffUser } from './staff';

/** `draft`: composed, recipients counted and costs estimated, not confirmed; `sending`: its workflow runs; `sent`: every delivery done. */
export type CampaignMessageStatus = 'draft' | 'sending' | 'sent';

/**
 * A campaign message composed by an academy or a directorate (or an administrator): kind, audience,
 * channel, the scope it reaches (one directorate, one academy, or everything), and the recipients
 * counted and SMS segments and cost estimated before sending. Sent by the Temporal workflow
 * `campaignMessage` (workflow id `campaign-message-<id>`).
 */
export class CampaignMessage {
  id!: string;
  schoolYear!: SchoolYear;
  kind!: CampaignKind;
  audience!: CampaignAudience;
  channel!: CampaignChannel;
  /** Scope: a directorate (then its academy too), an academy alone, or neither (everything). */
  academy?: Academy | null;
  directorate?: ProvincialDirectorate | null;
  createdBy!: StaffUser;
  status!: CampaignMessageStatus;
  /** Days left before the deadline when confirmed (the reminder's "3 days left"). */
  daysLeft!: number;
  estimatedRecipients!: number;
  estimatedSms!: number;
  estimatedEmails!: number;
  estimatedSegments!: number;
  estimatedCostCentimes!: number;
  /** Delivery rows recorded once the workflow listed the recipients. */
  recipients?: number | null;
  createdAt!: Date;
  confirmedAt?: Date | null;
  finishedAt?: Date | null;
}
export const CampaignMessageSchema = new EntitySchema<CampaignMessage>({
  class: CampaignMessage,
  tableName: 'campaign_message',
  properties: {
    id: { type: 'uuid', primary: true },
    schoolYear: { kind: 'm:1', entity: () => SchoolYear },
    kind: { type: 'string', length: 16 },
    audience: { type: 'string', length: 16 },
    channel: { type: 'string', length: 8 },
    academy: { kind: 'm:1', entity: () => Academy, nullable: true },
    directorate: { kind: 'm:1', entity: () => ProvincialDirectorate, nullable: true },
    createdBy: { kind: 'm:1', entity: () => StaffUser, fieldName: 'created_by' },
    status: { type: 'string', length: 12, default: 'draft' },
    daysLeft: { type: 'integer', default: 0 },
    estimatedRecipients: { type: 'integer', default: 0 },
    estimatedSms: { type: 'integer', default: 0 },
    estimatedEmails: { type: 'integer', default: 0 },
    estimatedSegments: { type: 'integer', default: 0 },
    estimatedCostCentimes: { type: 'integer', default: 0 },
    recipients: { type: 'integer', nullable: true },
    createdAt: { type: 'datetime' },
    confirmedAt: { type: 'datetime', nullable: true },
    finishedAt: { type: 'datetime', nullable: true },
  },
});

/** One recipient of one campaign message (unique per message and account): pending → sent, failed or optedOut. */
export class CampaignDelivery {
  id!: string;
  campaignMessage!: CampaignMessage;
  account!: ParentAccount;
  channel!: 'email' | 'sms';
  language!: 'ar' | 'fr';
  status!: 'pending' | 'sent' | 'failed' | 'optedOut';
  segments?: number | null;
  providerMessageId?: string | null;
  error?: string | null;
  attempts!: number;
  createdAt!: Date;
  sentAt?: Date | null;
}
export const CampaignDeliverySchema = new EntitySchema<CampaignDelivery>({
  class: CampaignDelivery,
  tableName: 'campaign_delivery',
  uniques: [{ name: 'campaign_delivery_once', properties: ['campaignMessage', 'account'] }],
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    campaignMessage: { kind: 'm:1', entity: () => CampaignMessage, deleteRule: 'cascade' },
    account: { kind: 'm:1', entity: () => ParentAccount, deleteRule: 'cascade' },
    channel: { type: 'string', length: 5 },
    language: { type: 'string', length: 2 },
    status: { type: 'string', length: 10, default: 'pending' },
    segments: { type: 'integer', nullable: true },
    providerMessageId: { type: 'string', length: 255, nullable: true },
    error: { type: 'text', nullable: true },
    attempts: { type: 'integer', default: 0 },
    createdAt: { type: 'datetime' },
    sentAt: { type: 'datetime', nullable: true },
  },
});

/** A parents' account that asked for no more campaign messages (through the signed link of one). */
export class CampaignOptOut {
  account!: ParentAccount;
  optedOutAt!: Date;
}
export const CampaignOptOutSchema = new EntitySchema<CampaignOptOut>({
  class: CampaignOptOut,
  tableName: 'campaign_opt_out',
  properties: {
    account: { kind: '1:1', entity: () => ParentAccount, primary: true, owner: true, deleteRule: 'cascade' },
    optedOutAt: { type: 'datetime' },
  },
});
