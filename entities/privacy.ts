import { EntitySchema } from '@mikro-orm/core';
import { PreRegistration } from './preRegistration';

/**
 * A parent's acceptance of the privacy notice (law 09-08) at submission: which version of the
 * notice (migrations/data/privacy-notices.json) and when. One per request, written in the same
 * transaction as the request; kept after the request is anonymised (it holds no personal data).
 */
export class ConsentRecord {
  id!: string;
  preRegistration!: PreRegistration;
  /** The signed-in parent who submitted (parents' space), or null (one-page form, JSON API). */
  parentAccountId?: string | null;
  noticeVersion!: string;
  acceptedAt!: Date;
}
export const ConsentRecordSchema = new EntitySchema<ConsentRecord>({
  class: ConsentRecord,
  tableName: 'consent_record',
  properties: {
    id: { type: 'uuid', primary: true },
    preRegistration: { kind: 'm:1', entity: () => PreRegistration, unique: true, deleteRule: 'cascade' },
    parentAccountId: { type: 'uuid', nullable: true, index: true },
    noticeVersion: { type: 'string', length: 32 },
    acceptedAt: { type: 'datetime' },
  },
});
