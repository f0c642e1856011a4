/**
 * Supporting documents (pièces justificatives, الوثائق المثبتة): what the director checks the
 * typed data against. Which kinds a request needs is data per school year and level
 * (`migrations/data/school-years.json`, table `document_requirement`); this module holds the kinds,
 * the data each one proves, the content sniffing (magic bytes, never the name or declared type) and
 * the rule saying which proof is missing.
 */

/** The kinds of document, in the order the pages list them. */
export const DOCUMENT_KINDS = ['cinFront', 'cinBack', 'birthCertificate', 'residenceProof'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** Whether a kind is asked for: `required` (its absence is flagged), `optional`, or `absent` (not asked, refused). */
export const REQUIREMENTS = ['required', 'optional', 'absent'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

/** Requirement of each kind for one school year and level. */
export type DocumentRequirements = Record<DocumentKind, Requirement>;

/** What a year and level without configured requirements asks for: every proof the circular names. */
export const DEFAULT_REQUIREMENTS: DocumentRequirements = { cinFront: 'required', cinBack: 'required', birthCertificate: 'required', residenceProof: 'required' };

/** Why the director names a document in a correction request. */
export const DOCUMENT_PROBLEMS = ['missing', 'unreadable'] as const;
export type DocumentProblem = (typeof DOCUMENT_PROBLEMS)[number];

/** The submitted data each document proves (shown next to it on the director's review). */
export const PROVES: Record<DocumentKind, 'guardian' | 'civilStatus' | 'residence'> = {
  cinFront: 'guardian', cinBack: 'guardian', birthCertificate: 'civilStatus', residenceProof: 'residence',
};

export function isDocumentKind(v: unknown): v is DocumentKind {
  return typeof v === 'string' && (DOCUMENT_KINDS as readonly string[]).includes(v);
}

/** A file type read from its first bytes. */
export type SniffedType = 'jpeg' | 'png' | 'heif' | 'pdf';

/**
 * The type of a file from its content alone: JPEG (`FF D8 FF`), PNG (the 8-byte signature), PDF
 * (`%PDF-` within the first 1024 bytes, as readers allow) or HEIF/AVIF (an ISO-BMFF `ftyp` box at
 * the start; its brands are checked by the image decoder). Anything else is null.
 */
export function sniffType(bytes: Uint8Array): SniffedType | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp') return 'heif';
  const head = b.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1');
  if (head !== -1) return 'pdf';
  return null;
}

/** The required kinds not among `present` (in page order). */
export function missingDocuments(requirements: DocumentRequirements, present: Iterable<DocumentKind>): DocumentKind[] {
  const have = new Set(present);
  return DOCUMENT_KINDS.filter((k) => requirements[k] === 'required' && !have.has(k));
}
