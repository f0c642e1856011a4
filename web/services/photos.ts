/**
 * ID photo intake: the type is read from the content, never from the file name or the declared
 * header; orientation is applied, all metadata (EXIF, GPS, ICC, XMP) dropped, and the image
 * re-encoded as a JPEG of at most 600×800 px. Stored by key in PostgreSQL.
 *
 * Accepted: JPEG, PNG, HEIF/HEIC (HEVC, as phones write it) and AVIF.
 * - JPEG, PNG and AVIF are decoded by sharp/libvips (whose prebuilt libheif has an AV1 decoder).
 * - HEVC-coded HEIF is recognised by the brands of its ISO-BMFF `ftyp` box (see {@link heifKind})
 *   and decoded by heic-decode (libheif + libde265 compiled to WebAssembly, no native code and
 *   nothing fetched at run time) into RGBA, which sharp then resizes and encodes like the rest.
 *   libheif applies the HEIF transformations (`irot`, `imir`, `clap`) while decoding; the EXIF
 *   Orientation tag of a HEIF file is ignored, as HEIF/MIAF readers must (phones write both, and
 *   applying both would turn a portrait photo twice). The decoding runs in a short-lived worker
 *   thread: it is synchronous WebAssembly (2.5–4.5 s for 12 MP here) that would otherwise stall the event
 *   loop, and a WebAssembly heap never shrinks, so the worker's exit is what gives the memory back.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Photo } from '../../entities';

/** Largest upload accepted, in bytes (10 MB). */
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
/**
 * Largest image accepted, in decoded pixels (width × height): 50 megapixels. Phones' largest
 * ordinary modes pass (48 MP 8064×6048, 50 MP 8160×6120); decompression bombs do not. Checked from
 * the header before any pixel is decoded; beyond it the photo is 'photo.unreadable'.
 */
export const MAX_PHOTO_PIXELS = 50_000_000;
/** At most this many HEIC decodings (worker threads) at once in this process; the others wait. */
export const MAX_CONCURRENT_HEIC_DECODES = 2;
/** A HEIC decoding still running after this long (ms, from its worker's start) is abandoned. */
export const HEIC_DECODE_TIMEOUT_MS = 60_000;

/** What sharp may decode itself: 'heif' here is AVIF, since HEVC-coded HEIF has gone to heic-decode. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'heif']);
/** `ftyp` brands of HEVC-coded HEIF: still images (heic, heix), sequences (hevc, hevx), multi-layer/scalable (heim, heis). */
const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis']);
/** `ftyp` brands of AV1-coded HEIF (AVIF still image and sequence). */
const AV1_BRANDS = new Set(['avif', 'avis']);
/** Structural HEIF brands that name no codec (image, sequence): taken as HEVC, by far the common case. */
const GENERIC_HEIF_BRANDS = new Set(['mif1', 'msf1']);
/** Major brands heic-decode 2.1.0 accepts (it checks nothing else before handing the file to libheif). */
const HEIC_DECODE_MAJOR_BRANDS = new Set(['mif1', 'msf1', 'heic', 'heix', 'hevc', 'hevx']);

export type PhotoError = 'photo.required' | 'photo.tooLarge' | 'photo.unsupported' | 'photo.unreadable';

/** What an ISO-BMFF `ftyp` box says a file is: HEVC-coded HEIF ('hevc'), AVIF ('avif'), or neither (null). */
export type HeifKind = 'hevc' | 'avif';

/**
 * Sniffs HEIF from the content: the file must start with an ISO-BMFF `ftyp` box, whose major and
 * compatible brands are read. A HEVC brand (heic, heix, hevc, hevx, heim, heis) wins; otherwise an
 * AV1 brand (avif, avis) means AVIF; otherwise the generic mif1/msf1 mean HEIF, taken as HEVC.
 * @param input the uploaded bytes (any length; only the first box is read).
 * @returns 'hevc', 'avif', or null when the bytes are not HEIF (or the `ftyp` box is malformed).
 */
export function heifKind(input: Uint8Array): HeifKind | null {
  if (input.length < 16) return null;
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.toString('latin1', 4, 8) !== 'ftyp') return null;
  let size = bytes.readUInt32BE(0);
  if (size === 0) size = bytes.length; // "extends to the end of the file"
  // Size 1 (a 64-bit size) and oversized boxes are not what any encoder writes for `ftyp`.
  if (size < 16 || size > bytes.length || size > 4096 || size % 4 !== 0) return null;
  const brands = [bytes.toString('latin1', 8, 12)]; // major brand; bytes 12–16 are the minor version
  for (let o = 16; o + 4 <= size; o += 4) brands.push(bytes.toString('latin1', o, o + 4));
  if (brands.some((b) => HEVC_BRANDS.has(b))) return 'hevc';
  if (brands.some((b) => AV1_BRANDS.has(b))) return 'avif';
  if (brands.some((b) => GENERIC_HEIF_BRANDS.has(b))) return 'hevc';
  return null;
}

/**
 * The largest image item a HEIF file declares, from its `ispe` properties (meta → iprp → ipco),
 * read without decoding anything. Every image item must carry one: the grid of a phone photo
 * declares the whole canvas, its tiles and thumbnail less; the coded size is the bound, before any
 * `clap` crop.
 * @param input the file's bytes.
 * @returns the largest width × height in pixels, or null when no `ispe` is found (no complete meta
 *   box, e.g. a file cut short before its end, or not HEIF at all).
 */
export function heifDeclaredPixels(input: Uint8Array): number | null {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  /** The complete child boxes between start and end, up to the first one whose size is impossible (a cut file). */
  const children = (start: number, end: number): Array<[type: string, body: number, end: number]> => {
    const out: Array<[string, number, number]> = [];
    for (let o = start; o + 8 <= end; ) {
      let size = bytes.readUInt32BE(o);
      let header = 8;
      if (size === 1 && o + 16 <= end) {
        size = Number(bytes.readBigUInt64BE(o + 8));
        header = 16;
      } else if (size === 0) size = end - o;
      if (size < header || o + size > end) break;
      out.push([bytes.toString('latin1', o + 4, o + 8), o + header, o + size]);
      o += size;
    }
    return out;
  };
  const find = (list: Array<[string, number, number]>, type: string) => list.find(([t]) => t === type);
  const meta = find(children(0, bytes.length), 'meta');
  const iprp = meta && find(children(meta[1] + 4, meta[2]), 'iprp'); // meta is a FullBox
  const ipco = iprp && find(children(iprp[1], iprp[2]), 'ipco');
  let largest: number | null = null;
  for (const [type, body, end] of ipco ? children(ipco[1], ipco[2]) : []) {
    if (type !== 'ispe' || body + 12 > end) continue;
    const pixels = bytes.readUInt32BE(body + 4) * bytes.readUInt32BE(body + 8); // after version/flags
    largest = Math.max(largest ?? 0, pixels);
  }
  return largest;
}

/** Why {@link decodeHeic} failed. */
export type HeicDecodeFailure = 'tooManyPixels' | 'corrupt' | 'timeout' | 'crashed';

/** Raised by {@link decodeHeic}; `reason` tells which guard or step refused the file. */
export class HeicDecodeError extends Error {
  constructor(
    readonly reason: HeicDecodeFailure,
    detail?: string,
  ) {
    super(detail ? `HEIC decoding failed (${reason}): ${detail}` : `HEIC decoding failed (${reason})`);
    this.name = 'HeicDecodeError';
  }
}

/** A decoded image: `data` holds width × height RGBA pixels, 8 bits a channel, rows top to bottom. */
export interface DecodedHeic {
  width: number;
  height: number;
  data: Uint8Array;
}

type WorkerReply = { ok: true; width: number; height: number; data: Uint8ClampedArray } | { ok: false; reason: HeicDecodeFailure; detail: string };

/**
 * The worker: parses with libheif (no pixel decoded yet), checks the first image's size (as
 * displayed, after irot/clap; a missing size is corruption), decodes it, transfers the RGBA back. Plain
 * JavaScript evaluated as is, so that it runs the same under tsx, jest and compiled output.
 */
const HEIC_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
// libheif-js reports parse failures with console.log; the reply below carries what matters.
console.log = console.warn = console.error = () => {};
(async () => {
  let images;
  try {
    const decode = require(workerData.heicDecodePath);
    images = await decode.all({ buffer: workerData.input });
  } catch (err) {
    parentPort.postMessage({ ok: false, reason: 'corrupt', detail: String((err && err.message) || err) });
    return;
  }
  try {
    const image = images[0];
    if (!(image.width > 0 && image.height > 0)) {
      parentPort.postMessage({ ok: false, reason: 'corrupt', detail: 'no image size (ispe)' });
      return;
    }
    // Second line behind heifDeclaredPixels: the size libheif will decode to, from its own parse.
    if (image.width * image.height > workerData.maxPixels) {
      parentPort.postMessage({ ok: false, reason: 'tooManyPixels', detail: image.width + 'x' + image.height });
      return;
    }
    const { width, height, data } = await image.decode();
    parentPort.postMessage({ ok: true, width, height, data }, [data.buffer]);
  } catch (err) {
    parentPort.postMessage({ ok: false, reason: 'corrupt', detail: String((err && err.message) || err) });
  } finally {
    images.dispose();
  }
})();
`;

let activeDecodes = 0;
const waitingDecodes: Array<() => void> = [];

/** Runs `task` when one of the {@link MAX_CONCURRENT_HEIC_DECODES} slots is free (first come, first served). */
async function withDecodeSlot<T>(task: () => Promise<T>): Promise<T> {
  if (activeDecodes < MAX_CONCURRENT_HEIC_DECODES) activeDecodes++;
  else await new Promise<void>((resolve) => waitingDecodes.push(resolve)); // the slot is handed over as is
  try {
    return await task();
  } finally {
    const next = waitingDecodes.shift();
    if (next) next();
    else activeDecodes--;
  }
}

function runHeicWorker(input: Uint8Array, maxPixels: number, timeoutMs: number): Promise<DecodedHeic> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let worker: Worker;
    try {
      worker = new Worker(HEIC_WORKER_SOURCE, {
        eval: true,
        workerData: { input, maxPixels, heicDecodePath: require.resolve('heic-decode') },
      });
    } catch (err) {
      reject(new HeicDecodeError('crashed', err instanceof Error ? err.message : String(err)));
      return;
    }
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const timer = setTimeout(() => settle(() => reject(new HeicDecodeError('timeout', `${timeoutMs} ms`))), timeoutMs);
    worker.once('message', (reply: WorkerReply) =>
      settle(() =>
        reply.ok
          ? resolve({ width: reply.width, height: reply.height, data: new Uint8Array(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength) })
          : reject(new HeicDecodeError(reply.reason, reply.detail)),
      ),
    );
    worker.once('error', (err) => settle(() => reject(new HeicDecodeError('crashed', err.message))));
    worker.once('exit', (code) => settle(() => reject(new HeicDecodeError('crashed', `worker exited with code ${code}`))));
  });
}

/**
 * Decodes the first top-level image of a HEVC-coded HEIF file (for a phone photo: the primary
 * image, tiles assembled) to RGBA, with the HEIF transformations (irot, imir, clap) applied, in a
 * worker thread (at most {@link MAX_CONCURRENT_HEIC_DECODES} at once; the others queue).
 * @param input the file's bytes (not modified; copied to the worker).
 * @param options.maxPixels refuse, before decoding, an image of more pixels than this (default
 *   {@link MAX_PHOTO_PIXELS}): checked on the declared `ispe` sizes before a worker starts, then on
 *   the size libheif reports for the image once it has parsed the file.
 * @param options.timeoutMs abandon a decoding that runs longer, in ms (default {@link HEIC_DECODE_TIMEOUT_MS}).
 * @returns width and height in pixels (as displayed) and the RGBA pixels.
 * @throws HeicDecodeError: 'tooManyPixels' (from the headers), 'corrupt' (libheif refused the file),
 *   'timeout', or 'crashed' (the worker died, e.g. out of WebAssembly memory).
 */
export async function decodeHeic(input: Uint8Array, options: { maxPixels?: number; timeoutMs?: number } = {}): Promise<DecodedHeic> {
  const maxPixels = options.maxPixels ?? MAX_PHOTO_PIXELS;
  const declared = heifDeclaredPixels(input);
  if (declared !== null && declared > maxPixels) throw new HeicDecodeError('tooManyPixels', `${declared} pixels declared`);
  let bytes = input;
  // heic-decode only looks at the major brand; a file that heifKind knows by a compatible brand
  // (e.g. major 'heim' or 'miaf', compatible 'heic') gets a major brand it accepts. libheif itself
  // reads the compatible brands, so nothing else changes.
  if (bytes.length >= 12 && !HEIC_DECODE_MAJOR_BRANDS.has(Buffer.from(bytes.buffer, bytes.byteOffset + 8, 4).toString('latin1'))) {
    bytes = Uint8Array.from(bytes);
    bytes.set(Buffer.from('mif1', 'latin1'), 8);
  }
  return withDecodeSlot(() => runHeicWorker(bytes, maxPixels, options.timeoutMs ?? HEIC_DECODE_TIMEOUT_MS));
}

type NormalizedPhoto = { ok: true; jpeg: Buffer; width: number; height: number } | { ok: false; error: PhotoError };

/**
 * The common end of both paths: fit inside 600×800 (never enlarged), JPEG, no metadata at all.
 * libjpeg-turbo with optimised Huffman tables, not mozjpeg: measured on this machine (issue 10),
 * mozjpeg's trellis quantisation cost 40 CPU-ms for a detailed 300×400 photo against 3.7 without
 * it, for a file about 20 % smaller (60 KB vs 73 KB) — on the request path of every submission.
 */
async function encodeJpeg(open: () => Sharp): Promise<NormalizedPhoto> {
  try {
    const { data, info } = await open()
      .resize(600, 800, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 82, optimiseCoding: true })
      .toBuffer({ resolveWithObject: true });
    return { ok: true, jpeg: data, width: info.width, height: info.height };
  } catch {
    return { ok: false, error: 'photo.unreadable' };
  }
}

async function normalizeHevc(input: Buffer): Promise<NormalizedPhoto> {
  let decoded: DecodedHeic;
  try {
    decoded = await decodeHeic(input);
  } catch {
    return { ok: false, error: 'photo.unreadable' };
  }
  const { width, height, data } = decoded;
  const pixels = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return encodeJpeg(() => sharp(pixels, { raw: { width, height, channels: 4 }, limitInputPixels: MAX_PHOTO_PIXELS }));
}

/**
 * Normalises an uploaded photo: JPEG, PNG, HEIF/HEIC or AVIF in, known from the bytes alone; a
 * JPEG of at most 600×800 px (aspect ratio kept, never enlarged, orientation applied, quality 82,
 * no EXIF/ICC/XMP) out.
 * @param input the uploaded bytes (at most {@link MAX_PHOTO_BYTES}).
 * @returns the JPEG bytes and its size in pixels, or the catalogue key of the problem (never throws
 *   on bad input): 'photo.required' (nothing sent), 'photo.tooLarge' (over MAX_PHOTO_BYTES),
 *   'photo.unsupported' (not one of the accepted formats), 'photo.unreadable' (an accepted format
 *   that cannot be decoded, or over {@link MAX_PHOTO_PIXELS} pixels).
 */
export async function normalizePhoto(input: Buffer | undefined): Promise<NormalizedPhoto> {
  if (!input || input.length === 0) return { ok: false, error: 'photo.required' };
  if (input.length > MAX_PHOTO_BYTES) return { ok: false, error: 'photo.tooLarge' };
  if (heifKind(input) === 'hevc') return normalizeHevc(input);
  let metadata: Metadata;
  try {
    metadata = await sharp(input).metadata();
  } catch {
    return { ok: false, error: 'photo.unsupported' };
  }
  if (!metadata.format || !ACCEPTED_FORMATS.has(metadata.format)) return { ok: false, error: 'photo.unsupported' };
  if ((metadata.width ?? 0) * (metadata.height ?? 0) > MAX_PHOTO_PIXELS) return { ok: false, error: 'photo.unreadable' };
  return encodeJpeg(() => sharp(input, { failOn: 'error', limitInputPixels: MAX_PHOTO_PIXELS }).rotate());
}

/** A new photo key (random, 32 hex chars). */
export function newPhotoKey(): string {
  return randomBytes(16).toString('hex');
}

/** Stores a normalised JPEG and returns its key (random, 32 hex chars). */
export function storePhoto(em: EntityManager, jpeg: Buffer, width: number, height: number): string {
  const key = newPhotoKey();
  em.create(Photo, { key, contentType: 'image/jpeg', bytes: jpeg, width, height, createdAt: new Date() });
  return key;
}
