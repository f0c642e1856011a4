/**
 * Personal names in Arabic and Latin script: cleaning what parents type, checking the script,
 * and folding spelling variants for the directors' search (shared acceptance cases `arabicSearch`).
 */

/**
 * Arabic-Indic (٠–٩) and extended Arabic-Indic (۰–۹) digits → ASCII digits, e.g. `'١٤٤٢'` → `'1442'`
 * (numbers typed on an Arabic keyboard). Other characters are kept.
 */
export function toAsciiDigits(s: string): string {
  return s
    .replace(/[\u0660-\u0669]/g, (c) => String(c.charCodeAt(0) - 0x0660))
    .replace(/[\u06F0-\u06F9]/g, (c) => String(c.charCodeAt(0) - 0x06f0));
}

/** Zero-width and bidirectional formatting characters that copy-paste brings along (RLM, LRM, ZWJ, BOM…). */
const INVISIBLE_FORMATTING = /[\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF\u061C]/g;
/** Control characters (C0, DEL, C1), once whitespace has been turned into spaces. */
const CONTROL_CHARACTERS = /\p{Cc}/gu;

/**
 * Cleans a free-text value typed by a parent: Unicode NFC, zero-width and bidi marks removed,
 * any run of whitespace (tabs, line breaks, no-break spaces…) turned into one space, other
 * control characters removed, trimmed. E.g. `'  أحمد \u200F  بن   علي '` → `'أحمد بن علي'`.
 * Non-strings give `''`.
 */
export function cleanName(s: string): string {
  if (typeof s !== 'string') return '';
  return s
    .normalize('NFC')
    .replace(INVISIBLE_FORMATTING, '')
    .replace(/\s+/gu, ' ')
    .replace(CONTROL_CHARACTERS, '')
    .trim();
}

/**
 * Arabic letters: hamza and its seats (ء آ أ ؤ إ ئ), ا … ي including ة and ى, alef wasla ٱ, and
 * the letters Moroccan civil status uses for g/v sounds (ڤ ڭ گ).
 */
const AR_LETTER = '[\\u0621-\\u063A\\u0641-\\u064A\\u0671\\u06A4\\u06AD\\u06AF]';
/** Tashkeel (fathatan … sukun), superscript alef and tatweel, allowed after a letter. */
const AR_MARK = '[\\u064B-\\u0652\\u0670\\u0640]';
const AR_WORD = `${AR_LETTER}(?:${AR_LETTER}|${AR_MARK})*`;
const ARABIC_NAME = new RegExp(`^${AR_WORD}(?:[ -]${AR_WORD})*$`, 'u');

/** A Latin letter (any accent, precomposed or followed by combining marks). */
const LATIN_WORD = "(?:(?=\\p{L})\\p{Script=Latin}\\p{M}*)+";
const LATIN_NAME = new RegExp(`^${LATIN_WORD}(?:[ \\-'’]${LATIN_WORD})*$`, 'u');

/**
 * True when the cleaned text is a name in Arabic script: Arabic letters (with hamza forms, ة, ى,
 * ٱ, ڤ, ڭ, گ), optionally with diacritics or tatweel after letters, words separated by one
 * space or hyphen. E.g. `'عبد الرحمن'`, `'مُحَمَّد'`, `'آيت-علي'` are true; `'Ahmed'`, `'محمد2'`,
 * `''` are false. The text is cleaned (`cleanName`) before the check.
 */
export function isArabicName(s: string): boolean {
  return ARABIC_NAME.test(cleanName(s));
}

/**
 * True when the cleaned text is a name in Latin script: Latin letters with any accents
 * (é, ç, ï, œ…), words separated by one space, hyphen or apostrophe (`'` or `’`).
 * E.g. `'Hélène'`, `"Aït-Ben'Haddou"`, `'EL OUAZZANI'` are true; `'أحمد'`, `'Ali3'`, `''` are false.
 * The text is cleaned (`cleanName`) before the check.
 */
export function isLatinName(s: string): boolean {
  return LATIN_NAME.test(cleanName(s));
}

const ARABIC_FOLDS: ReadonlyArray<[RegExp, string]> = [
  [/[\u064B-\u0652\u0670\u0640]/g, ''], // tashkeel, superscript alef, tatweel
  [/[\u0622\u0623\u0625\u0671]/g, '\u0627'], // آ أ إ ٱ → ا
  [/[\u0649\u06CC]/g, '\u064A'], // ى, Persian yeh → ي
  [/\u0629/g, '\u0647'], // ة → ه
  [/\u0624/g, '\u0648'], // ؤ → و
  [/\u0626/g, '\u064A'], // ئ → ي
  [/\u06A9/g, '\u0643'], // Persian keheh → ك
];

/**
 * Folds Arabic spelling variants for search: NFKC (presentation forms become letters), tashkeel
 * (U+064B–U+0652), superscript alef (U+0670) and tatweel removed; أ إ آ ٱ → ا, ى → ي, ة → ه,
 * ؤ → و, ئ → ي (and Persian ی → ي, ک → ك); whitespace collapsed, lower-cased, trimmed.
 * E.g. `'أحمد  إبراهيم'` → `'احمد ابراهيم'`, `'فاطمة'` → `'فاطمه'`. Latin letters are kept as they are
 * except for lower-casing.
 */
export function normalizeArabicForSearch(s: string): string {
  let out = cleanName(s).normalize('NFKC');
  for (const [pattern, replacement] of ARABIC_FOLDS) out = out.replace(pattern, replacement);
  return out.replace(/\s+/gu, ' ').toLowerCase().trim();
}

/**
 * Folds Latin spelling variants for search: NFKD (canonical and compatibility decomposition, so
 * ligatures such as ﬁ and full-width letters fold too), combining marks stripped (é → e, ç → c),
 * œ → oe, æ → ae, ’ → ', lower-cased, whitespace collapsed, trimmed.
 * E.g. `'Hélène  BENALI'` → `'helene benali'`.
 */
export function normalizeLatinForSearch(s: string): string {
  return cleanName(s)
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[œŒ]/g, 'oe')
    .replace(/[æÆ]/g, 'ae')
    .replace(/[’‘]/g, "'")
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .trim();
}

/**
 * Search key of a text that mixes Arabic and Latin (e.g. all names of a request):
 * `normalizeArabicForSearch` then `normalizeLatinForSearch`. Store it beside the original text
 * (column `searchText`) and apply it to the query too; show the original spelling in results.
 */
export function normalizeForSearch(s: string): string {
  return normalizeLatinForSearch(normalizeArabicForSearch(s));
}

/** Splits a normalised text into search tokens at spaces, hyphens and apostrophes. */
function searchTokens(normalized: string): string[] {
  return normalized.split(/[\s\-']+/u).filter((t) => t.length > 0);
}

/**
 * Directors' search: true when every token of the query is a prefix of (or equal to) some token
 * of the stored text, both sides folded with `normalizeForSearch` and split at spaces, hyphens
 * and apostrophes. Token order does not matter. An empty query matches everything.
 * Shared acceptance cases `arabicSearch`: `'احمد ابراهيم'` matches `'أحمد إبراهيم'`, `'helene'`
 * matches `'Hélène Benali'`, `'احمد'` does not match `'محمد'`.
 */
export function matchesSearch(stored: string, query: string): boolean {
  const storedTokens = searchTokens(normalizeForSearch(stored));
  return searchTokens(normalizeForSearch(query)).every((q) => storedTokens.some((t) => t.startsWith(q)));
}
