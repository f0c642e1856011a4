/**
 * The supporting documents' fields of a form (partial `documentFields`): one file input per kind
 * the school year and level asks for, its requirement, the limit, the error, and the id of a
 * document accepted on an earlier try (kept: a file input cannot be refilled).
 */
import { DOCUMENT_KINDS, type DocumentKind, type DocumentRequirements } from '../../domain/documents';
import { documentField, type DocumentStore } from '../services/documents';

export function formDocumentsModel(
  requirements: DocumentRequirements, errors: Record<string, string>, kept: Partial<Record<DocumentKind, string>>, store: Pick<DocumentStore, 'maxBytes' | 'maxPdfPages'>,
) {
  const items = DOCUMENT_KINDS.filter((k) => requirements[k] !== 'absent').map((kind) => ({
    kind, label: `document.kind.${kind}`, hint: `document.hint.${kind}`, required: requirements[kind] === 'required',
    field: `documents[${kind}]`, id: `documents-${kind}`, error: errors[documentField(kind)], keptId: kept[kind] ?? null,
  }));
  return { items, maxMb: String(Math.round(store.maxBytes / (1024 * 1024))), maxPages: String(store.maxPdfPages) };
}
