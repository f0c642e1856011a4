/**
 * SMS segment arithmetic (3GPP TS 23.038 / 23.040), as carriers and Twilio count it, by Twilio's
 * maintained calculator `sms-segments-calculator` (pinned): GSM-7 160 septets in one segment, 153
 * per part when concatenated, characters of the extension table (`^{}\[~]|€`, form feed) count
 * twice and never straddle two parts; any other character makes the whole message UCS-2: 70
 * UTF-16 code units in one segment, 67 per part, a surrogate pair never split. Arabic is always
 * UCS-2, and so is a French text with `ç`, `ê`, `â`, `î`, `ô`, `û`, `ï`, `œ`, `«`, `’` or a bidi
 * isolate (French SMS are transliterated to GSM-7 before sending, see `toGsm7`).
 */
import { SegmentedMessage } from 'sms-segments-calculator';
// The calculator's own GSM-7 table (basic and extension characters), keyed by code point.
import UnicodeToGsm from 'sms-segments-calculator/dist/libs/UnicodeToGSM';

/** How an SMS body is encoded and how many segments (billed parts) it takes. */
export interface SmsSegmentInfo {
  encoding: 'GSM-7' | 'UCS-2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  /** Number of segments; at least 1. */
  segments: number;
}

/** Counts the segments of an SMS body. */
export function smsSegments(body: string): SmsSegmentInfo {
  // The two common cases in plain arithmetic (the same counts as the calculator, tested against
  // it): every character in GSM-7's basic table, or a UCS-2 body of characters that are each
  // their own grapheme (the calculator never splits a grapheme across parts).
  if (ONE_UNIT_GRAPHEMES.test(body)) {
    let basic = true;
    let gsm = true;
    for (let i = 0; i < body.length && gsm; i++) {
      const septets = GSM7_SEPTETS.get(body.charCodeAt(i));
      if (septets === undefined) gsm = false;
      else if (septets === 2) basic = false;
    }
    const n = body.length;
    if (gsm && basic) return { encoding: 'GSM-7', units: n, segments: n <= 160 ? 1 : Math.ceil(n / 153) };
    if (!gsm) return { encoding: 'UCS-2', units: n, segments: n <= 70 ? 1 : Math.ceil(n / 67) };
  }
  const m = new SegmentedMessage(body, 'auto');
  const encoding = m.encodingName;
  return { encoding, units: m.messageSize / (encoding === 'GSM-7' ? 7 : 16), segments: Math.max(1, m.segmentsCount) };
}

/**
 * Whether `body` takes at most `max` segments. The length alone tells when it is short enough in
 * the worst encoding: when every unit is a grapheme of its own, n UTF-16 units take one UCS-2
 * segment up to 70, else ⌈n / 67⌉ parts, and in GSM-7 at most 2n septets (extension characters
 * count twice) in 160, or in parts that always hold 152 of 153. So n ≤ 70 (one segment) or
 * n ≤ 67 × max fits whatever the characters; a longer body, or one with diacritics, joiners or
 * astral characters, is counted by `smsSegments` (the calculator's grapheme splitting cost 1-5 ms
 * per message: the largest of the worker's own items in a profile of the "received" notification).
 */
export function withinSegments(body: string, max: number): boolean {
  const bound = max === 1 ? 70 : 67 * max;
  if (body.length <= bound && ONE_UNIT_GRAPHEMES.test(body)) return true;
  return smsSegments(body).segments <= max;
}

/** Typographic characters a French text uses, with their GSM-7 spelling. */
const GSM7_SPELLING: Record<string, string> = {
  '\u2019': "'", '\u2018': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'", '\u02BC': "'",
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u00AB': '"', '\u00BB': '"',
  '\u2013': '-', '\u2014': '-', '\u2011': '-', '\u2010': '-', '\u2026': '...',
  '\u00A0': ' ', '\u202F': ' ', '\u2009': ' ', '\u0153': 'oe', '\u0152': 'OE', '\u00E7': 'c',
};

/**
 * Texts whose every UTF-16 unit is a grapheme of its own (Unicode's segmentation rules): Latin
 * letters, digits and punctuation, Arabic letters and digits without diacritics, the bidi marks and
 * isolates, the euro sign. Anything else (combining marks, harakat, joiners, `\r`, astral
 * characters…) goes to the calculator.
 */
const ONE_UNIT_GRAPHEMES = /^[\t\n\u0020-\u007E\u00A0-\u017F\u060C\u061B\u061F\u0621-\u064A\u0660-\u066D\u200E\u200F\u2010-\u2027\u2030-\u205E\u2066-\u2069\u20AC]*$/;

/** Septets per GSM-7 character (2 for the extension table), keyed by UTF-16 code unit. */
const GSM7_SEPTETS = new Map<number, number>(Object.entries(UnicodeToGsm as Record<string, number[]>).map(([cp, bytes]) => [Number(cp), bytes.length]));

function isGsm7(s: string): boolean {
  return Array.from(s).every((ch) => Object.prototype.hasOwnProperty.call(UnicodeToGsm, ch.codePointAt(0)!));
}

/**
 * A French (Latin-script) SMS spelled in the GSM-7 alphabet, so that one accent does not turn the
 * whole message into UCS-2 (a third of the room): typographic apostrophes and quotes become `'`
 * and `"`, `œ` `oe`, and a letter outside GSM-7 (`ç ê â î ô û ï ë À Ê…`) loses its accent
 * (`é è à ù ì ò É Ç ä ö ñ ü Ä Ö Ñ Ü` are GSM-7 and stay). Bidi controls are dropped. A character
 * with no Latin spelling is kept (the message is then UCS-2 and counted as such). Not for Arabic.
 */
export function toGsm7(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    if (isGsm7(ch)) { out += ch; continue; }
    if (/[\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/.test(ch)) continue;
    const spelled = GSM7_SPELLING[ch];
    if (spelled !== undefined) { out += spelled; continue; }
    const bare = ch.normalize('NFD').replace(/\p{M}/gu, '');
    out += bare !== '' && isGsm7(bare) ? bare : ch;
  }
  return out;
}
