/**
 * SMS segment arithmetic (3GPP TS 23.038 / 23.040), as carriers and Twilio count it.
 * GSM-7: 160 characters in one segment, 153 per part when concatenated; characters of the
 * extension table (`^{}\[~]|€` and form feed) count twice. Any other character makes the whole
 * message UCS-2: 70 UTF-16 code units in one segment, 67 per part. Arabic is always UCS-2, and
 * so is a French text with `ç`, `ê`, `â`, `î`, `ô`, `û`, `œ`, `«`, `’` or a bidi isolate.
 */

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '^{}\\[~]|€\f';
const basic = new Set(Array.from(GSM7_BASIC));
const extension = new Set(Array.from(GSM7_EXTENSION));

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
  let septets = 0;
  let gsm = true;
  for (const ch of body) {
    if (basic.has(ch)) septets += 1;
    else if (extension.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) {
    return { encoding: 'GSM-7', units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  }
  const units = body.length;
  return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
