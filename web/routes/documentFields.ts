/**
 * The supporting documents' fields of a form (partial `documentFields`): one file input per kind
 * the school year and level asks for, its requirement, the limit, the error, and the id of a
 * document accepted on an earlier try (kept: a file input cannot be refilled).
 */
import { DOCUMENT_KINDS, type DocumentKind, type DocumentRequirements } from '../../domain/documents';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PreRegistration } from '../../entities';
import { documentField, documentsOf, type DocumentSlot, type DocumentStore } from '../services/documents';

export function formDocumentsModel(
  requirements: DocumentRequirements, errors: Record<string, string>, kept: Partial<Record<DocumentKind, string>>, store: Pick<DocumentStore, 'maxBytes' | 'maxPdfPages'>,
) {
  const items = DOCUMENT_KINDS.filter((k) => requirements[k] !== 'absent').map((kind) => ({
    kind, label: `document.kind.${kind}`, hint: `document.hint.${kind}`, required: requirements[kind] === 'required',
    inputName: `documents[${kind}]`, id: `documents-${kind}`, error: errors[documentField(kind)], keptId: kept[kind] ?? null,
  }));
  return { items, maxMb: String(Math.round(store.maxBytes / (1024 * 1024))), maxPages: String(store.maxPdfPages) };
}

/**
 * The director's view of a request's documents: grouped by the data each proves (shown next to
 * that data), the automatic check (which required proof is missing), and the correction choices.
 */
export async function reviewDocumentsModel(em: EntityManager, pr: PreRegistration) {
  const { slots, missing } = await documentsOf(em, pr);
  const item = (s: DocumentSlot) => ({
    kind: s.kind, label: `document.kind.${s.kind}`, required: s.requirement === 'required', current: s.current,
    href: s.current ? `/staff/requests/${encodeURIComponent(pr.reference)}/documents/${s.current.id}` : null,
    requestedLabel: s.requested ? `document.problem.${s.requested}` : null, requested: s.requested,
  });
  const group = (proves: DocumentSlot['proves']) => slots.filter((s) => s.proves === proves).map(item);
  return {
    guardian: group('guardian'), civilStatus: group('civilStatus'), residence: group('residence'),
    missing: missing.map((k) => `document.kind.${k}`), allPresent: missing.length === 0,
    choices: slots.map(item),
  };
}
