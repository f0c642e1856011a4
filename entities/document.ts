import { EntitySchema, PrimaryKeyProp } from '@mikro-orm/core';
import type { DocumentKind, DocumentProblem, Requirement } from '../domain/documents';
import type { Level } from '../domain/types';
import { SchoolYear } from './school';

/**
 * A supporting document (CIN side, birth certificate extract, proof of residence), normalised
 * (images re-encoded as JPEG without metadata, PDFs rebuilt) and stored encrypted: `ciphertext` is
 * AES-256-GCM under the payload codec's key `keyId` (IV ‖ ciphertext ‖ tag, the row id as
 * additional data). Never in a workflow payload. `preRegistrationId` is null while the document
 * waits for its form to be accepted (kept by `id` across a refused try; purged after a day).
 * `replacedAt` is set when a newer document of the same kind replaces it (kept for the audit trail
 * until the request's retention).
 */
export class SupportingDocument {
  id!: string;
  preRegistrationId?: string | null;
  kind!: DocumentKind;
  contentType!: 'image/jpeg' | 'application/pdf';
  keyId!: string;
  ciphertext!: Buffer;
  /** Size of the stored (normalised) bytes, before encryption. */
  byteSize!: number;
  pages?: number | null;
  width?: number | null;
  height?: number | null;
  /** Who added it: `parent`, `api`. */
  addedVia!: string;
  createdAt!: Date;
  attachedAt?: Date | null;
  replacedAt?: Date | null;
}
export const SupportingDocumentSchema = new EntitySchema<SupportingDocument>({
  class: SupportingDocument,
  tableName: 'supporting_document',
  properties: {
    id: { type: 'uuid', primary: true },
    preRegistrationId: { type: 'uuid', nullable: true, index: true },
    kind: { type: 'string', length: 24 },
    contentType: { type: 'string', length: 32 },
    keyId: { type: 'string', length: 32 },
    ciphertext: { type: 'blob', lazy: true },
    byteSize: { type: 'integer' },
    pages: { type: 'integer', nullable: true },
    width: { type: 'integer', nullable: true },
    height: { type: 'integer', nullable: true },
    addedVia: { type: 'string', length: 16 },
    createdAt: { type: 'datetime' },
    attachedAt: { type: 'datetime', nullable: true },
    replacedAt: { type: 'datetime', nullable: true },
  },
});

/** Whether a school year and level asks for a kind of document (seeded from `school-years.json`). */
export class DocumentRequirement {
  [PrimaryKeyProp]?: ['schoolYear', 'level', 'kind'];
  schoolYear!: SchoolYear;
  level!: Level;
  kind!: DocumentKind;
  requirement!: Requirement;
}
export const DocumentRequirementSchema = new EntitySchema<DocumentRequirement>({
  class: DocumentRequirement,
  tableName: 'document_requirement',
  properties: {
    schoolYear: { kind: 'm:1', entity: () => SchoolYear, primary: true },
    level: { type: 'string', length: 16, primary: true },
    kind: { type: 'string', length: 24, primary: true },
    requirement: { type: 'string', length: 8 },
  },
});

/**
 * A document the director named in a correction request (missing or unreadable); `resolvedAt`
 * is set when the parent adds a document of that kind afterwards.
 */
export class DocumentCorrection {
  id!: number;
  preRegistrationId!: string;
  kind!: DocumentKind;
  problem!: DocumentProblem;
  requestedBy!: string;
  requestedAt!: Date;
  resolvedAt?: Date | null;
}
export const DocumentCorrectionSchema = new EntitySchema<DocumentCorrection>({
  class: DocumentCorrection,
  tableName: 'document_correction',
  properties: {
    id: { type: 'bigint', primary: true, autoincrement: true },
    preRegistrationId: { type: 'uuid', index: true },
    kind: { type: 'string', length: 24 },
    problem: { type: 'string', length: 16 },
    requestedBy: { type: 'string', length: 64 },
    requestedAt: { type: 'datetime' },
    resolvedAt: { type: 'datetime', nullable: true },
  },
});
