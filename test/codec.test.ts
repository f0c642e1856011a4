/**
 * The payload codec alone: AES-256-GCM round trip, key rotation (old payloads stay readable,
 * new ones use the active key), refusal of an unknown key and of tampered data.
 */
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA, parseCodecKeys } from '../temporal/codec';

const k = (id: string) => ({ id, key: randomBytes(32) });
const text = (b?: Uint8Array | null) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

test('round trip: the payload is unreadable encrypted and identical decrypted', async () => {
  const codec = new EncryptionCodec([k('k1')], 'k1');
  const original = defaultPayloadConverter.toPayload({ note: 'ملاحظة: الأب محمد العلوي', cin: 'AB123456' });
  const [encrypted] = await codec.encode([original]);
  expect(text(encrypted.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(text(encrypted.metadata?.[KEY_ID_METADATA])).toBe('k1');
  expect(Buffer.from(encrypted.data!).includes(Buffer.from('AB123456'))).toBe(false);
  const [decoded] = await codec.decode([encrypted]);
  expect(defaultPayloadConverter.fromPayload(decoded)).toEqual({ note: 'ملاحظة: الأب محمد العلوي', cin: 'AB123456' });
});

test('key rotation: payloads of the old key stay readable; new ones use the new key', async () => {
  const old = k('2026-a');
  const fresh = k('2027-a');
  const before = new EncryptionCodec([old], '2026-a');
  const [stored] = await before.encode([defaultPayloadConverter.toPayload('P27-ABCDE-FGHJK')]);
  const after = new EncryptionCodec([old, fresh], '2027-a');
  expect(defaultPayloadConverter.fromPayload((await after.decode([stored]))[0])).toBe('P27-ABCDE-FGHJK');
  const [next] = await after.encode([defaultPayloadConverter.toPayload('x')]);
  expect(text(next.metadata?.[KEY_ID_METADATA])).toBe('2027-a');
  const retired = new EncryptionCodec([fresh], '2027-a');
  await expect(retired.decode([stored])).rejects.toThrow('unknown key "2026-a"');
});

test('tampered data is refused; plain payloads pass through; key specs are validated', async () => {
  const codec = new EncryptionCodec([k('k1')], 'k1');
  const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ a: 1 })]);
  const data = Buffer.from(encrypted.data!);
  data[20] ^= 0xff;
  await expect(codec.decode([{ ...encrypted, data }])).rejects.toThrow();
  const plain = defaultPayloadConverter.toPayload('plain');
  expect(await codec.decode([plain])).toEqual([plain]);
  expect(() => new EncryptionCodec([k('k1')], 'k2')).toThrow('active key "k2" is not configured');
  expect(parseCodecKeys(`a:${randomBytes(32).toString('base64')}, b:${randomBytes(32).toString('base64')}`).map((x) => x.id)).toEqual(['a', 'b']);
  expect(() => parseCodecKeys(`a:${randomBytes(16).toString('base64')}`)).toThrow('must be 32 bytes');
});
