/**
 * Supporting documents (the guardian's CIN, both sides; an extract of the birth certificate; a
 * proof of residence), one service for every door (one-page form, parents' space, JSON API, staff
 * review):
 *
 * - intake: the type is read from the bytes (domain `sniffType`), never the name or the declared
 *   type; JPEG, PNG and HEIF/HEIC (phones) are decoded (HEVC by heic-decode in a worker, as the
 *   photo) and re-encoded as a JPEG of at most 2000×2000 px with no metadata at all; a PDF is
 *   accepted only when pdf-lib parses it, unencrypted, with 1 to `DOCUMENT_MAX_PDF_PAGES` pages, and
 *   is rebuilt page by page into a new file (the document catalogue — JavaScript, attachments,
 *   metadata, forms — is left behind);
 * - storage: AES-256-GCM through the payload codec's keyring and code path (`TEMPORAL_CODEC_KEYS`,
 *   `TEMPORAL_CODEC_KEY_ID`: the key id is stored with each row, `rotateDocumentKeys` re-encrypts
 *   under the active key), the row id as additional data; only ids ever leave PostgreSQL, never
 *   into a workflow; deleted with the request's retention (persistence/retention.ts);
 * - reading: staff in scope only, every view and download written to the audit log.
 */
import { randomUUID } from 'node:crypto';
import sharp, { type Sharp } from 'sharp';
import { PDFDocument } from 'pdf-lib';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  DEFAULT_REQUIREMENTS, DOCUMENT_KINDS, PROVES, isDocumentKind, missingDocuments, sniffType,
  type DocumentKind, type DocumentProblem, type DocumentRequirements, type Requirement,
} from '../../domain/documents';
import type { FieldError } from '../../domain/submission';
import type { Level } from '../../domain/types';
import { DocumentCorrection, DocumentRequirement, PreRegistration, PreRegistrationEvent, SupportingDocument, type StaffUser } from '../../entities';
import { codecFromConfig, type EncryptionCodec } from '../../temporal/codec';
import type { TasjilTemporal } from '../../temporal/client';
import { decodeHeic, heifKind, MAX_PHOTO_PIXELS } from './photos';
import { recordAudit } from './audit';
import { DecisionRefused, sendUpdate, submitPreRegistration, type SubmitOptions, type SubmitResult } from './preRegistrations';

/** Longest side of a stored document image (px): an A4 page at about 240 dpi, readable on screen. */
export const DOCUMENT_IMAGE_MAX_SIDE = 2000;
/** How long a document uploaded with a form that was refused is kept for the next try (ms). */
export const UNATTACHED_KEEP_MS = 24 * 3600 * 1000;
/** Statuses in which the parent may add or replace a document. */
export const DOCUMENT_OPEN_STATUSES = ['submitted', 'underReview', 'correctionRequested'] as const;

/** Catalogue keys (`validation.document.*`) of a refused document. */
export type DocumentError = 'document.tooLarge' | 'document.unsupported' | 'document.unreadable' | 'document.tooManyPages' | 'document.notAsked';

/** The configured limits and the codec: built once per configuration. */
export interface DocumentStore {
  codec: EncryptionCodec;
  maxBytes: number;
  maxPdfPages: number;
}

const stores = new WeakMap<object, DocumentStore>();
/** The document store of a configuration (its codec keys and limits). */
export function documentStore(config: { TEMPORAL_CODEC_KEYS: string; TEMPORAL_CODEC_KEY_ID: string; DOCUMENT_MAX_BYTES: number; DOCUMENT_MAX_PDF_PAGES: number }): DocumentStore {
  let s = stores.get(config);
  if (!s) {
    s = { codec: codecFromConfig(config), maxBytes: config.DOCUMENT_MAX_BYTES, maxPdfPages: config.DOCUMENT_MAX_PDF_PAGES };
    stores.set(config, s);
  }
  return s;
}

/** A document ready to store. */
export interface NormalizedDocument { contentType: 'image/jpeg' | 'application/pdf'; bytes: Buffer; pages: number | null; width: number | null; height: number | null }

/** What an upload became: normalised, or the reason it was refused. */
export type DocumentIntake = { ok: true; doc: NormalizedDocument } | { ok: false; error: DocumentError; params?: Record<string, string> };

async function reencode(open: () => Sharp): Promise<DocumentIntake> {
  try {
    const { data, info } = await open()
      .resize(DOCUMENT_IMAGE_MAX_SIDE, DOCUMENT_IMAGE_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 85, mozjpeg: true })
      .toBuffer({ resolveWithObject: true });
    return { ok: true, doc: { contentType: 'image/jpeg', bytes: data, pages: null, width: info.width, height: info.height } };
  } catch {
    return { ok: false, error: 'document.unreadable' };
  }
}

/**
 * Normalises an uploaded document (see the module comment). Never throws on bad input.
 * @param input the uploaded bytes, or 'tooLarge' when the door discarded a file over the limit.
 */
export async function normalizeDocument(store: Pick<DocumentStore, 'maxBytes' | 'maxPdfPages'>, input: Buffer | 'tooLarge'): Promise<DocumentIntake> {
  const mb = String(Math.round(store.maxBytes / (1024 * 1024)));
  if (input === 'tooLarge' || input.length > store.maxBytes) return { ok: false, error: 'document.tooLarge', params: { max: mb } };
  const type = sniffType(input);
  if (type === 'pdf') return normalizePdf(input, store.maxPdfPages);
  if (type === 'heif') {
    const kind = heifKind(input);
    if (kind === 'hevc') {
      try {
        const { width, height, data } = await decodeHeic(input);
        const pixels = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        return reencode(() => sharp(pixels, { raw: { width, height, channels: 4 }, limitInputPixels: MAX_PHOTO_PIXELS }));
      } catch {
        return { ok: false, error: 'document.unreadable' };
      }
    }
    if (kind !== 'avif') return { ok: false, error: 'document.unsupported' };
  }
  if (!type) return { ok: false, error: 'document.unsupported' };
  let format: string | undefined;
  try {
    const m = await sharp(input, { limitInputPixels: MAX_PHOTO_PIXELS }).metadata();
    format = m.format;
    if ((m.width ?? 0) * (m.height ?? 0) > MAX_PHOTO_PIXELS) return { ok: false, error: 'document.unreadable' };
  } catch {
    return { ok: false, error: 'document.unreadable' };
  }
  // The decoder must agree with the magic bytes (a PNG signature on a JPEG body is a lie).
  const expected = type === 'heif' ? 'heif' : type;
  if (format !== expected) return { ok: false, error: 'document.unreadable' };
  return reencode(() => sharp(input, { failOn: 'error', limitInputPixels: MAX_PHOTO_PIXELS }).rotate());
}

async function normalizePdf(input: Buffer, maxPages: number): Promise<DocumentIntake> {
  let source: PDFDocument;
  try {
    // Encrypted PDFs are refused (pdf-lib throws EncryptedPDFError): the director could not read them.
    source = await PDFDocument.load(input, { updateMetadata: false, throwOnInvalidObject: true });
  } catch {
    return { ok: false, error: 'document.unreadable' };
  }
  let count: number;
  try {
    count = source.getPageCount(); // a file with no page tree throws here
  } catch {
    return { ok: false, error: 'document.unreadable' };
  }
  if (count === 0) return { ok: false, error: 'document.unreadable' };
  if (count > maxPages) return { ok: false, error: 'document.tooManyPages', params: { max: String(maxPages) } };
  try {
    const out = await PDFDocument.create({ updateMetadata: false });
    for (const page of await out.copyPages(source, source.getPageIndices())) out.addPage(page);
    const bytes = Buffer.from(await out.save({ useObjectStreams: true }));
    return { ok: true, doc: { contentType: 'application/pdf', bytes, pages: count, width: null, height: null } };
  } catch {
    return { ok: false, error: 'document.unreadable' };
  }
}

/** Encrypts and stores a normalised document; returns its id. The caller flushes (or runs in a transaction). */
export function storeDocument(
  em: EntityManager, store: DocumentStore, kind: DocumentKind, doc: NormalizedDocument,
  opts: { preRegistrationId?: string | null; via: string; now: Date },
): string {
  const id = randomUUID();
  const { keyId, data } = store.codec.seal(doc.bytes, Buffer.from(id));
  em.create(SupportingDocument, {
    id, preRegistrationId: opts.preRegistrationId ?? null, kind, contentType: doc.contentType, keyId, ciphertext: data,
    byteSize: doc.bytes.length, pages: doc.pages, width: doc.width, height: doc.height, addedVia: opts.via,
    createdAt: opts.now, attachedAt: opts.preRegistrationId ? opts.now : null, replacedAt: null,
  });
  return id;
}

/** The requirement of each kind for a school year and level (the default where none is stored). */
export async function requirementsFor(em: EntityManager, schoolYear: string, level: Level): Promise<DocumentRequirements> {
  const rows = await em.find(DocumentRequirement, { schoolYear, level });
  const out: DocumentRequirements = { ...DEFAULT_REQUIREMENTS };
  for (const r of rows) if (isDocumentKind(r.kind)) out[r.kind] = r.requirement as Requirement;
  return out;
}

/** Marks older documents of the same kinds replaced and the director's requests for them resolved. */
async function supersede(em: EntityManager, preRegistrationId: string, kinds: Array<[DocumentKind, string]>, now: Date): Promise<void> {
  const conn = em.getConnection();
  const ctx = em.getTransactionContext();
  for (const [kind, keep] of kinds) {
    await conn.execute(`update supporting_document set replaced_at = ? where pre_registration_id = ? and kind = ? and id <> ? and replaced_at is null`, [now, preRegistrationId, kind, keep], 'run', ctx);
    await conn.execute(`update document_correction set resolved_at = ? where pre_registration_id = ? and kind = ? and resolved_at is null`, [now, preRegistrationId, kind], 'run', ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// The form with its documents (one-page form): every upload checked, the form and its documents
// refused or accepted together, nothing typed lost.

/** Uploads of one form: for each kind, the bytes, 'tooLarge' (discarded at the door), or a kept id from an earlier try. */
export interface FormDocuments {
  files: Partial<Record<DocumentKind, Buffer | 'tooLarge'>>;
  kept: Partial<Record<DocumentKind, string>>;
}

/** The form's field name of a kind (`documents.cinFront`) and the API's. */
export const documentField = (kind: DocumentKind) => `documents.${kind}`;

/**
 * Checks and stores (unattached) the documents of a form; returns the kept ids (for the next try or
 * to attach) and the field errors. A kept id is honoured only for an unattached document of that
 * kind uploaded less than a day ago.
 */
export async function intakeFormDocuments(
  em: EntityManager, store: DocumentStore, input: FormDocuments, requirements: DocumentRequirements, now: Date,
): Promise<{ kept: Partial<Record<DocumentKind, string>>; errors: FieldError[] }> {
  const kept: Partial<Record<DocumentKind, string>> = {};
  const errors: FieldError[] = [];
  for (const kind of DOCUMENT_KINDS) {
    const file = input.files[kind];
    if (file !== undefined && (file === 'tooLarge' || file.length > 0)) {
      if (requirements[kind] === 'absent') { errors.push({ field: documentField(kind), code: 'validation.document.notAsked' }); continue; }
      const r = await normalizeDocument(store, file);
      if (!r.ok) { errors.push({ field: documentField(kind), code: `validation.${r.error}`, params: r.params }); continue; }
      kept[kind] = storeDocument(em, store, kind, r.doc, { via: 'parent', now });
      continue;
    }
    const id = input.kept[kind];
    if (id && /^[0-9a-f-]{36}$/.test(id) && requirements[kind] !== 'absent') {
      const row = await em.findOne(SupportingDocument, { id, kind, preRegistrationId: null, createdAt: { $gt: new Date(now.getTime() - UNATTACHED_KEEP_MS) } });
      if (row) kept[kind] = row.id;
    }
  }
  await em.flush();
  return { kept, errors };
}

/** Attaches documents kept by a form to the request it created. */
export async function attachDocuments(em: EntityManager, reference: string, kept: Partial<Record<DocumentKind, string>>, now: Date): Promise<void> {
  const entries = Object.entries(kept) as Array<[DocumentKind, string]>;
  if (!entries.length) return;
  await em.transactional(async (tx) => {
    const pr = await tx.findOneOrFail(PreRegistration, { reference });
    for (const [kind, id] of entries) {
      await tx.nativeUpdate(SupportingDocument, { id, kind, preRegistrationId: null }, { preRegistrationId: pr.id, attachedAt: now });
    }
    await supersede(tx, pr.id, entries, now);
  });
}

/** A submission refused with its documents: the ids kept for the next try. */
export type SubmitWithDocumentsResult = SubmitResult & { documents: Partial<Record<DocumentKind, string>> };

/**
 * A new request with its documents (one-page form): the documents are checked first and their
 * errors joined to the form's (the submission service validates everything else and refuses with
 * them all, keeping the photo); once the request exists, the documents are attached to it.
 */
export async function submitWithDocuments(
  deps: Parameters<typeof submitPreRegistration>[0] & { store: DocumentStore },
  raw: unknown, photo: Buffer | { key: string } | undefined, token: string, opts: SubmitOptions, docs: FormDocuments,
): Promise<SubmitWithDocumentsResult> {
  const now = deps.now ?? new Date();
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const level: Level = o.level === 'preschool' ? 'preschool' : 'primary1';
  const year = typeof o.schoolYear === 'string' ? o.schoolYear : '';
  const requirements = year ? await requirementsFor(deps.em, year, level) : DEFAULT_REQUIREMENTS;
  const intake = await intakeFormDocuments(deps.em, deps.store, docs, requirements, now);
  const result = await submitPreRegistration(deps, raw, photo, token, { ...opts, extraErrors: intake.errors });
  if (result.ok && result.created) await attachDocuments(deps.em, result.reference, intake.kept, now);
  return { ...result, documents: intake.kept };
}

// ---------------------------------------------------------------------------------------------
// A submitted request: the parent adds or replaces a document; the list for each reader.

export type AddDocumentResult = { ok: true; id: string } | { ok: false; errors: FieldError[] };

/**
 * The parent adds (or replaces) one document of a submitted request, while it is submitted, under
 * review or awaiting a correction. The timeline records `documentAdded` (the kind only).
 * @throws DecisionRefused (`cannotAddDocument`) when the request is decided, withdrawn or closed.
 */
export async function addDocument(
  deps: { em: EntityManager; store: DocumentStore; now?: Date }, reference: string, kind: DocumentKind, file: Buffer | 'tooLarge', via: 'parent' | 'api',
): Promise<AddDocumentResult> {
  const now = deps.now ?? new Date();
  const pr = await deps.em.findOneOrFail(PreRegistration, { reference });
  if (!(DOCUMENT_OPEN_STATUSES as readonly string[]).includes(pr.status)) throw new DecisionRefused('cannotAddDocument', `status ${pr.status}`);
  const requirements = await requirementsFor(deps.em, pr.schoolYear, pr.level);
  const field = documentField(kind);
  if (requirements[kind] === 'absent') return { ok: false, errors: [{ field, code: 'validation.document.notAsked' }] };
  if (file !== 'tooLarge' && file.length === 0) return { ok: false, errors: [{ field, code: 'validation.document.required' }] };
  const r = await normalizeDocument(deps.store, file);
  if (!r.ok) return { ok: false, errors: [{ field, code: `validation.${r.error}`, params: r.params }] };
  let id = '';
  await deps.em.transactional(async (tx) => {
    id = storeDocument(tx, deps.store, kind, r.doc, { preRegistrationId: pr.id, via, now });
    await tx.flush();
    await supersede(tx, pr.id, [[kind, id]], now);
    tx.create(PreRegistrationEvent, { preRegistration: tx.getReference(PreRegistration, pr.id), eventKey: `document:${id}`, type: 'documentAdded', actor: via, details: { kind }, at: now });
  });
  return { ok: true, id };
}

/** One kind of document of a request, as every reader sees it (no bytes). */
export interface DocumentSlot {
  kind: DocumentKind;
  requirement: Exclude<Requirement, 'absent'>;
  proves: (typeof PROVES)[DocumentKind];
  current: { id: string; contentType: string; isImage: boolean; pages: number | null; width: number | null; height: number | null; addedAt: Date; via: string } | null;
  /** What the director asked for this kind in the open correction request, if anything. */
  requested: DocumentProblem | null;
}

/** The documents of a request: one slot per kind asked for (required or optional) and the required kinds missing. */
export async function documentsOf(em: EntityManager, pr: Pick<PreRegistration, 'id' | 'schoolYear' | 'level'>): Promise<{ slots: DocumentSlot[]; missing: DocumentKind[] }> {
  const requirements = await requirementsFor(em, pr.schoolYear, pr.level);
  const docs = await em.find(SupportingDocument, { preRegistrationId: pr.id, replacedAt: null }, { orderBy: { createdAt: 'desc' } });
  const asks = await em.find(DocumentCorrection, { preRegistrationId: pr.id, resolvedAt: null });
  const slots: DocumentSlot[] = [];
  for (const kind of DOCUMENT_KINDS) {
    const requirement = requirements[kind];
    const d = docs.find((x) => x.kind === kind);
    if (requirement === 'absent' && !d) continue;
    slots.push({
      kind, requirement: requirement === 'absent' ? 'optional' : requirement, proves: PROVES[kind],
      current: d ? { id: d.id, contentType: d.contentType, isImage: d.contentType.startsWith('image/'), pages: d.pages ?? null, width: d.width ?? null, height: d.height ?? null, addedAt: d.createdAt, via: d.addedVia } : null,
      requested: asks.find((a) => a.kind === kind)?.problem ?? null,
    });
  }
  return { slots, missing: missingDocuments(requirements, docs.map((d) => d.kind)) };
}

/**
 * Decrypts one document of `pr` for a staff reader and writes the audit entry
 * (`document.view` for an image shown inline, `document.download` for a file sent as attachment).
 * @returns null when the document is not one of the request's.
 */
export async function readDocumentForStaff(
  em: EntityManager, store: DocumentStore, user: StaffUser, pr: Pick<PreRegistration, 'id' | 'reference'>, id: string, ctx: { ip?: string; download: boolean },
): Promise<{ bytes: Buffer; contentType: string; kind: DocumentKind } | null> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return null;
  const doc = await em.findOne(SupportingDocument, { id, preRegistrationId: pr.id }, { populate: ['ciphertext'] });
  if (!doc) return null;
  const bytes = store.codec.open(doc.keyId, doc.ciphertext, Buffer.from(doc.id));
  const download = ctx.download || doc.contentType === 'application/pdf';
  await recordAudit(em, { user, action: download ? 'document.download' : 'document.view', reference: pr.reference, ip: ctx.ip, details: { kind: doc.kind, document: doc.id } });
  return { bytes, contentType: doc.contentType, kind: doc.kind };
}

/**
 * Records the documents a director names in a correction request (missing or unreadable); the
 * earlier open requests of the same request are closed (the new one replaces them).
 */
export async function recordDocumentCorrection(em: EntityManager, preRegistrationId: string, items: Array<{ kind: DocumentKind; problem: DocumentProblem }>, requestedBy: string, now: Date): Promise<void> {
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(DocumentCorrection, { preRegistrationId, resolvedAt: null }, { resolvedAt: now });
    for (const i of items) tx.create(DocumentCorrection, { preRegistrationId, kind: i.kind, problem: i.problem, requestedBy, requestedAt: now });
  });
}

/**
 * The parent has added the documents the director asked for and sends the request back to the
 * school (the correction is done without changing the typed data): the workflow's
 * `correctionSubmitted` Update, which re-runs the checks.
 * @throws DecisionRefused (`notAwaitingCorrection`).
 */
export async function sendDocumentsToSchool(deps: { em: EntityManager; temporal: TasjilTemporal; now?: Date }, reference: string): Promise<{ status: string }> {
  const now = deps.now ?? new Date();
  const pr = await deps.em.findOneOrFail(PreRegistration, { reference });
  if (pr.status !== 'correctionRequested') throw new DecisionRefused('notAwaitingCorrection', `status ${pr.status}`);
  await deps.em.insert(PreRegistrationEvent, { preRegistration: pr.id, eventKey: `corrected:${now.getTime()}`, type: 'corrected', actor: 'parent', details: { documents: true }, at: now } as never);
  return sendUpdate(() => deps.temporal.correctionSubmitted(reference));
}

// ---------------------------------------------------------------------------------------------
// Counting and keys.

/** SQL: requests (awaiting a decision or a correction) lacking at least one required document. */
const MISSING_SQL = `
  select count(*)::int as n from pre_registration p
   where p.status in ('submitted', 'underReview', 'correctionRequested') and p.anonymized_at is null
     and p.school_code in (%SCHOOLS%) and p.school_year = ?
     and exists (
       select 1 from document_requirement q
        where q.school_year_code = p.school_year and q.level = p.level and q.requirement = 'required'
          and not exists (select 1 from supporting_document d where d.pre_registration_id = p.id and d.kind = q.kind and d.replaced_at is null))`;

/**
 * How many open requests (submitted, under review, awaiting a correction) of these schools and
 * school year lack a required document, out of how many open requests (the supervisor's
 * dashboard). `schoolCodes` null: every school.
 */
export async function missingDocumentCounts(em: EntityManager, schoolCodes: string[] | null, schoolYear: string): Promise<{ missing: number; open: number }> {
  const conn = em.getConnection();
  const list = schoolCodes ? (schoolCodes.length ? schoolCodes.map(() => '?').join(', ') : 'null') : 'select code from school';
  const params = [...(schoolCodes ?? []), schoolYear];
  const [m] = await conn.execute<Array<{ n: number }>>(MISSING_SQL.replace('%SCHOOLS%', list), params);
  const [o] = await conn.execute<Array<{ n: number }>>(
    `select count(*)::int as n from pre_registration p where p.status in ('submitted', 'underReview', 'correctionRequested') and p.anonymized_at is null and p.school_code in (${list}) and p.school_year = ?`, params,
  );
  return { missing: Number(m?.n ?? 0), open: Number(o?.n ?? 0) };
}

/**
 * Key rotation: re-encrypts, under the active key, every document stored under another key, `batch`
 * rows at a time (each row in its own short update). Run after switching `TEMPORAL_CODEC_KEY_ID`;
 * the retired key can leave the configuration once `rotated + unreadable` is 0 on a second run (and
 * no workflow history needs it). A row that does not decrypt (altered, or its key gone) is left as
 * it is and counted.
 */
export async function rotateDocumentKeys(em: EntityManager, store: DocumentStore, batch = 500): Promise<{ rotated: number; unreadable: number }> {
  let rotated = 0;
  let unreadable = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await em.fork().find(SupportingDocument, { keyId: { $ne: store.codec.activeKey }, id: { $gt: after } }, { populate: ['ciphertext'], orderBy: { id: 'asc' }, limit: batch });
    if (!rows.length) return { rotated, unreadable };
    for (const d of rows) {
      after = d.id;
      let plain: Buffer;
      try {
        plain = store.codec.open(d.keyId, d.ciphertext, Buffer.from(d.id));
      } catch {
        unreadable += 1;
        continue;
      }
      const { keyId, data } = store.codec.seal(plain, Buffer.from(d.id));
      rotated += await em.nativeUpdate(SupportingDocument, { id: d.id, keyId: d.keyId }, { keyId, ciphertext: data });
    }
  }
}

/** Reads a form's document fields (`documentKeys[kind]` hidden inputs) into kept ids. */
export function keptDocumentIds(body: Record<string, unknown>): Partial<Record<DocumentKind, string>> {
  const o = body.documentKeys && typeof body.documentKeys === 'object' ? (body.documentKeys as Record<string, unknown>) : {};
  const out: Partial<Record<DocumentKind, string>> = {};
  for (const k of DOCUMENT_KINDS) if (typeof o[k] === 'string' && /^[0-9a-f-]{36}$/.test(o[k] as string)) out[k] = o[k] as string;
  return out;
}
