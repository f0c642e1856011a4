/**
 * ID photo intake (normalizePhoto): JPEG, PNG, AVIF and phone HEIC in, a metadata-free JPEG of at
 * most 600×800 out, the type known from the bytes alone.
 *
 * The HEIC fixtures are committed (test/fixtures/README.md says how they were made): a 1200×900
 * picture of four colour quadrants — top-left red, top-right green, bottom-left blue, bottom-right
 * yellow — so that decoding and orientation are checked by colour at known pixels.
 *
 * Pure unit test: needs no service (run with TASJIL_UNIT_ONLY=1).
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeHeic, HeicDecodeError, heifDeclaredPixels, heifKind, MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS, normalizePhoto } from './photos';

const FIXTURES = path.join(__dirname, '..', '..', 'test', 'fixtures');
const HEIC = fs.readFileSync(path.join(FIXTURES, 'photo-1200x900.heic'));
/** Same picture stored unrotated with `irot` 90° clockwise and EXIF Orientation 6 (as iPhones write portraits). */
const HEIC_IROT = fs.readFileSync(path.join(FIXTURES, 'photo-1200x900-irot.heic'));

type RGB = [number, number, number];
const RED: RGB = [200, 30, 30];
const GREEN: RGB = [30, 160, 60];
const BLUE: RGB = [30, 60, 200];
const YELLOW: RGB = [230, 200, 40];

/** The 1200×900 quadrant picture as raw RGB, for the JPEG/PNG/AVIF paths. */
function quadrants(width = 1200, height = 900): { data: Buffer; raw: { width: number; height: number; channels: 3 } } {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = y < height / 2 ? (x < width / 2 ? RED : GREEN) : x < width / 2 ? BLUE : YELLOW;
      data.set(c, (y * width + x) * 3);
    }
  }
  return { data, raw: { width, height, channels: 3 } };
}

/** Mean colour of the 21×21 patch centred on (x, y) of a JPEG. */
async function colourAt(jpeg: Buffer, x: number, y: number): Promise<RGB> {
  const { data, info } = await sharp(jpeg).extract({ left: x - 10, top: y - 10, width: 21, height: 21 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += info.channels) for (let k = 0; k < 3; k++) sum[k] += data[i + k];
  const n = data.length / info.channels;
  return sum.map((s) => Math.round(s / n)) as RGB;
}

/** Each channel within `tolerance` of the expected one (lossy HEVC or AV1, then JPEG; the quadrants differ by ≥ 130 in some channel). */
function expectColour(actual: RGB, expected: RGB, tolerance = 6): void {
  for (let k = 0; k < 3; k++) {
    expect(Math.abs(actual[k] - expected[k])).toBeLessThanOrEqual(tolerance);
  }
}

async function expectNormalized(input: Buffer, width: number, height: number): Promise<Buffer> {
  const result = await normalizePhoto(input);
  if (!result.ok) throw new Error(`expected a JPEG, got ${result.error}`);
  expect([...result.jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  expect({ width: result.width, height: result.height }).toEqual({ width, height });
  const meta = await sharp(result.jpeg).metadata();
  expect(meta).toMatchObject({ format: 'jpeg', width, height, channels: 3, space: 'srgb' });
  expect(meta.exif).toBeUndefined();
  expect(meta.icc).toBeUndefined();
  expect(meta.xmp).toBeUndefined();
  expect(meta.iptc).toBeUndefined();
  expect(meta.orientation).toBeUndefined();
  return result.jpeg;
}

/** A copy of `heic` whose `ispe` (image spatial extents) property claims width × height. */
function withClaimedSize(heic: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(heic);
  const at = copy.indexOf('ispe', 0, 'latin1');
  expect(at).toBeGreaterThan(0);
  copy.writeUInt32BE(width, at + 8); // after the type and the FullBox version/flags
  copy.writeUInt32BE(height, at + 12);
  return copy;
}

describe('heifKind (content sniffing)', () => {
  test('the fixtures are HEVC-coded HEIF', () => {
    expect(HEIC.toString('latin1', 4, 12)).toBe('ftypheic');
    expect(heifKind(HEIC)).toBe('hevc');
    expect(heifKind(HEIC_IROT)).toBe('hevc');
  });

  test.each([
    ['heic', ['mif1', 'heic'], 'hevc'],
    ['heix', ['mif1', 'heix'], 'hevc'],
    ['mif1', ['mif1', 'heic'], 'hevc'],
    ['mif1', ['mif1', 'miaf'], 'hevc'],
    ['msf1', ['msf1', 'hevc'], 'hevc'],
    ['miaf', ['miaf', 'heim'], 'hevc'],
    ['heis', ['heis'], 'hevc'],
    ['hevx', ['hevx'], 'hevc'],
    ['avif', ['avif', 'mif1', 'miaf'], 'avif'],
    ['avis', ['avis', 'msf1'], 'avif'],
    ['isom', ['isom', 'iso2', 'mp41'], null], // an MP4 video
    ['qt  ', ['qt  '], null], // a QuickTime movie
  ])('major %s, compatible %j → %s', (major, compatible, expected) => {
    const size = 16 + 4 * compatible.length;
    const box = Buffer.alloc(size + 8);
    box.writeUInt32BE(size, 0);
    box.write(`ftyp${major}\0\0\0\0${compatible.join('')}`, 4, 'latin1');
    expect(heifKind(box)).toBe(expected);
  });

  test('not HEIF: JPEG, PNG, text, a truncated or malformed ftyp', async () => {
    const { data, raw } = quadrants(40, 30);
    expect(heifKind(await sharp(data, { raw }).jpeg().toBuffer())).toBeNull();
    expect(heifKind(await sharp(data, { raw }).png().toBuffer())).toBeNull();
    expect(heifKind(Buffer.from('this is not a photo, even if its name ends in .heic\n'))).toBeNull();
    expect(heifKind(HEIC.subarray(0, 20))).toBeNull(); // cut inside the ftyp box
    const badSize = Buffer.from(HEIC);
    badSize.writeUInt32BE(7, 0);
    expect(heifKind(badSize)).toBeNull();
  });
});

describe('heifDeclaredPixels (ispe, read without decoding)', () => {
  test('the fixtures declare 1200 × 900 (coded size; irot turns it only on display)', () => {
    expect(heifDeclaredPixels(HEIC)).toBe(1_080_000);
    expect(heifDeclaredPixels(HEIC_IROT)).toBe(1_080_000);
    expect(heifDeclaredPixels(withClaimedSize(HEIC, 10_000, 5_001))).toBe(50_010_000);
  });

  test('a file cut inside its mdat still declares its size (the meta box comes first)', () => {
    expect(heifDeclaredPixels(HEIC.subarray(0, HEIC.length >> 1))).toBe(1_080_000);
  });

  test('null when nothing is declared or the boxes cannot be walked', () => {
    expect(heifDeclaredPixels(HEIC.subarray(0, 200))).toBeNull(); // meta cut off
    expect(heifDeclaredPixels(Buffer.from('not a HEIF file at all'))).toBeNull();
    expect(heifDeclaredPixels(Buffer.alloc(0))).toBeNull();
  });
});

describe('normalizePhoto: HEIC from a phone', () => {
  test('becomes a 600×450 JPEG without metadata, colours in place', async () => {
    const jpeg = await expectNormalized(HEIC, 600, 450);
    expectColour(await colourAt(jpeg, 150, 112), RED);
    expectColour(await colourAt(jpeg, 450, 112), GREEN);
    expectColour(await colourAt(jpeg, 150, 337), BLUE);
    expectColour(await colourAt(jpeg, 450, 337), YELLOW);
  });

  test('irot is applied once, EXIF Orientation and ICC profile dropped: 600×800, turned 90° clockwise', async () => {
    // Applying EXIF Orientation 6 on top of irot would give 600×450 upside down.
    const jpeg = await expectNormalized(HEIC_IROT, 600, 800);
    expectColour(await colourAt(jpeg, 150, 200), BLUE);
    expectColour(await colourAt(jpeg, 450, 200), RED);
    expectColour(await colourAt(jpeg, 150, 600), YELLOW);
    expectColour(await colourAt(jpeg, 450, 600), GREEN);
  });

  test('known from the bytes whatever it is called or declared: the API takes bytes only', async () => {
    // The route hands over req.file.buffer: neither the name (photo.jpg, IMG_0001.HEIC, x.txt) nor
    // the declared type reaches normalizePhoto. A copy in a fresh buffer, at an offset, is the same photo.
    const padded = Buffer.concat([Buffer.from('prefix'), HEIC]).subarray(6);
    const result = await normalizePhoto(padded);
    expect(result).toMatchObject({ ok: true, width: 600, height: 450 });
  });

  test('a major brand heic-decode does not know (miaf, compatible heic) still decodes', async () => {
    const miaf = Buffer.from(HEIC);
    miaf.write('miaf', 8, 'latin1');
    expect(heifKind(miaf)).toBe('hevc');
    const jpeg = await expectNormalized(miaf, 600, 450);
    expectColour(await colourAt(jpeg, 150, 112), RED);
    expect(HEIC.toString('latin1', 8, 12)).toBe('heic'); // the caller's bytes are untouched
  });

  test.each([
    ['cut in half', HEIC.subarray(0, HEIC.length >> 1)],
    ['cut after 200 bytes', HEIC.subarray(0, 200)],
    ['only its ftyp box', HEIC.subarray(0, HEIC.readUInt32BE(0))],
    ['ftyp then garbage', Buffer.concat([HEIC.subarray(0, HEIC.readUInt32BE(0)), Buffer.alloc(5000, 0xa5)])],
  ])('a truncated or corrupt HEIC (%s) is photo.unreadable, not a throw', async (_label, input) => {
    await expect(normalizePhoto(input)).resolves.toEqual({ ok: false, error: 'photo.unreadable' });
  });

  test('a text file named .heic is photo.unsupported', async () => {
    await expect(normalizePhoto(Buffer.from('IMG_0042.heic\nnot an image at all\n'))).resolves.toEqual({ ok: false, error: 'photo.unsupported' });
  });

  test('over MAX_PHOTO_PIXELS by its header: refused before decoding, photo.unreadable', async () => {
    expect(MAX_PHOTO_PIXELS).toBe(50_000_000);
    const bomb = withClaimedSize(HEIC, 10_000, 5_001); // 50 010 000 px
    await expect(decodeHeic(bomb)).rejects.toMatchObject({ name: 'HeicDecodeError', reason: 'tooManyPixels' });
    await expect(normalizePhoto(bomb)).resolves.toEqual({ ok: false, error: 'photo.unreadable' });
  });

  test('decodeHeic: exact size and RGBA; the pixel limit is inclusive', async () => {
    const image = await decodeHeic(HEIC, { maxPixels: 1200 * 900 });
    expect({ width: image.width, height: image.height, bytes: image.data.length }).toEqual({ width: 1200, height: 900, bytes: 1200 * 900 * 4 });
    expect(image.data[(450 * 1200 + 300) * 4 + 3]).toBe(255); // opaque
    const refused = decodeHeic(HEIC, { maxPixels: 1200 * 900 - 1 });
    await expect(refused).rejects.toBeInstanceOf(HeicDecodeError);
    await expect(refused).rejects.toMatchObject({ reason: 'tooManyPixels' });
  });

  test('decodeHeic: an image without a declared size (no ispe) is corrupt, not a 0×0 picture', async () => {
    const noSize = Buffer.from(HEIC);
    noSize.write('xspe', noSize.indexOf('ispe', 0, 'latin1'), 'latin1');
    expect(heifDeclaredPixels(noSize)).toBeNull();
    await expect(decodeHeic(noSize)).rejects.toMatchObject({ reason: 'corrupt' });
    await expect(normalizePhoto(noSize)).resolves.toEqual({ ok: false, error: 'photo.unreadable' });
  });

  test('decodeHeic: a decoding over its time limit is abandoned', async () => {
    await expect(decodeHeic(HEIC, { timeoutMs: 1 })).rejects.toMatchObject({ reason: 'timeout' });
  });

  test('several at once (more than the concurrent decodings allowed) all come out right', async () => {
    const results = await Promise.all([HEIC, HEIC_IROT, HEIC, HEIC_IROT, HEIC].map((b) => normalizePhoto(b)));
    expect(results.map((r) => (r.ok ? `${r.width}x${r.height}` : r.error))).toEqual(['600x450', '600x800', '600x450', '600x800', '600x450']);
  });
});

describe('normalizePhoto: JPEG, PNG, AVIF (decoded by sharp)', () => {
  test('PNG: 600×450, colours in place', async () => {
    const { data, raw } = quadrants();
    const jpeg = await expectNormalized(await sharp(data, { raw }).png().toBuffer(), 600, 450);
    expectColour(await colourAt(jpeg, 150, 112), RED);
    expectColour(await colourAt(jpeg, 450, 337), YELLOW);
  });

  test('JPEG with EXIF Orientation 6, camera make and ICC: turned upright, all metadata dropped', async () => {
    const { data, raw } = quadrants();
    const input = await sharp(data, { raw }).jpeg({ quality: 95 }).withExif({ IFD0: { Make: 'Tasjil', Model: 'test' } }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(input).metadata()).orientation).toBe(6);
    const jpeg = await expectNormalized(input, 600, 800);
    expectColour(await colourAt(jpeg, 150, 200), BLUE);
    expectColour(await colourAt(jpeg, 450, 200), RED);
  });

  test('a small image is not enlarged', async () => {
    const { data, raw } = quadrants(300, 400);
    await expectNormalized(await sharp(data, { raw }).png().toBuffer(), 300, 400);
  });

  test('AVIF (AV1 in HEIF, which sharp decodes itself): 600×450', async () => {
    const { data, raw } = quadrants();
    const avif = await sharp(data, { raw }).avif({ quality: 60, effort: 0 }).toBuffer();
    expect(heifKind(avif)).toBe('avif');
    const jpeg = await expectNormalized(avif, 600, 450);
    expectColour(await colourAt(jpeg, 450, 112), GREEN);
  });

  test('over MAX_PHOTO_PIXELS (a 10 000 × 5 001 PNG): photo.unreadable', async () => {
    const png = await sharp({ create: { width: 10_000, height: 5_001, channels: 3, background: '#808080' } }).png({ compressionLevel: 9 }).toBuffer();
    await expect(normalizePhoto(png)).resolves.toEqual({ ok: false, error: 'photo.unreadable' });
  });

  test('nothing, too large, not an image', async () => {
    await expect(normalizePhoto(undefined)).resolves.toEqual({ ok: false, error: 'photo.required' });
    await expect(normalizePhoto(Buffer.alloc(0))).resolves.toEqual({ ok: false, error: 'photo.required' });
    await expect(normalizePhoto(Buffer.alloc(MAX_PHOTO_BYTES + 1))).resolves.toEqual({ ok: false, error: 'photo.tooLarge' });
    await expect(normalizePhoto(Buffer.from('%PDF-1.7\n'))).resolves.toEqual({ ok: false, error: 'photo.unsupported' });
    const gif = await sharp(quadrants(40, 30).data, { raw: quadrants(40, 30).raw }).gif().toBuffer();
    await expect(normalizePhoto(gif)).resolves.toEqual({ ok: false, error: 'photo.unsupported' });
  });
});
