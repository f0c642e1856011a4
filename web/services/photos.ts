/**
 * ID photo intake: the type is read from the content (sharp/libvips sniffing), never from the file
 * name or the declared header; orientation is applied, all metadata (EXIF, GPS) dropped, and the
 * image re-encoded as a JPEG of at most 600×800 px. Stored by key in PostgreSQL.
 */
import sharp from 'sharp';
import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Photo } from '../../entities';

/** Largest upload accepted, in bytes (10 MB). */
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'heif']);

export type PhotoError = 'photo.required' | 'photo.tooLarge' | 'photo.unsupported' | 'photo.unreadable';

/**
 * Normalises an uploaded photo.
 * @returns the JPEG bytes and size, or the catalogue key of the problem (never throws on bad input).
 */
export async function normalizePhoto(input: Buffer | undefined): Promise<{ ok: true; jpeg: Buffer; width: number; height: number } | { ok: false; error: PhotoError }> {
  if (!input || input.length === 0) return { ok: false, error: 'photo.required' };
  if (input.length > MAX_PHOTO_BYTES) return { ok: false, error: 'photo.tooLarge' };
  let format: string | undefined;
  try {
    format = (await sharp(input).metadata()).format;
  } catch {
    return { ok: false, error: 'photo.unsupported' };
  }
  if (!format || !ACCEPTED_FORMATS.has(format)) return { ok: false, error: 'photo.unsupported' };
  try {
    const { data, info } = await sharp(input, { failOn: 'error' })
      .rotate()
      .resize(600, 800, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 82, mozjpeg: true })
      .toBuffer({ resolveWithObject: true });
    return { ok: true, jpeg: data, width: info.width, height: info.height };
  } catch {
    return { ok: false, error: 'photo.unreadable' };
  }
}

/** Stores a normalised JPEG and returns its key (random, 32 hex chars). */
export function storePhoto(em: EntityManager, jpeg: Buffer, width: number, height: number): string {
  const key = randomBytes(16).toString('hex');
  em.create(Photo, { key, contentType: 'image/jpeg', bytes: jpeg, width, height, createdAt: new Date() });
  return key;
}
