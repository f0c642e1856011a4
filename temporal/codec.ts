/**
 * Payload encryption for Temporal (AES-256-GCM, NIST SP 800-38D): every payload the client and
 * the worker send — workflow inputs and results, activity arguments and results, Update arguments —
 * is stored encrypted in the Temporal history. Each encrypted payload carries the identifier of its
 * key (`encryption-key-id`), so keys can be rotated: new payloads use the active key, old ones stay
 * readable as long as their key is configured.
 *
 * Encrypted payload: metadata `{ encoding: "binary/encrypted", "encryption-key-id": <id> }`,
 * data = 12-byte IV ‖ ciphertext ‖ 16-byte tag, of the original Payload serialised as protobuf.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : '');

/** A 256-bit key and its identifier. */
export interface CodecKey { id: string; key: Buffer }

/**
 * Parses `TEMPORAL_CODEC_KEYS` = `id1:base64key,id2:base64key` (each key 32 bytes).
 * @throws Error naming the faulty entry (never the key itself).
 */
export function parseCodecKeys(spec: string): CodecKey[] {
  return spec.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const i = entry.indexOf(':');
    const id = entry.slice(0, i);
    const key = Buffer.from(entry.slice(i + 1), 'base64');
    if (i <= 0 || !/^[A-Za-z0-9._-]{1,32}$/.test(id)) throw new Error(`codec key entry "${id || '?'}": expected id:base64key`);
    if (key.length !== 32) throw new Error(`codec key "${id}": must be 32 bytes (AES-256), got ${key.length}`);
    return { id, key };
  });
}

/** AES-256-GCM payload codec with key rotation. */
export class EncryptionCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;

  /**
   * @param keys every key that may have encrypted a stored payload
   * @param activeKeyId the key used to encrypt new payloads
   * @throws Error when the active key is not among `keys`
   */
  constructor(keys: CodecKey[], private readonly activeKeyId: string) {
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    if (!this.keys.has(activeKeyId)) throw new Error(`codec: active key "${activeKeyId}" is not configured`);
  }

  /** The id of the key that encrypts new data. */
  get activeKey(): string {
    return this.activeKeyId;
  }

  /**
   * Encrypts bytes with the active key: 12-byte IV ‖ ciphertext ‖ 16-byte tag. The payloads and the
   * supporting documents at rest (web/services/documents.ts) share this one path and keyring.
   * @param aad additional authenticated data bound to the ciphertext (e.g. the document's id), or none.
   */
  seal(plain: Uint8Array, aad?: Uint8Array): { keyId: string; data: Buffer } {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    if (aad) cipher.setAAD(aad);
    return { keyId: this.activeKeyId, data: Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]) };
  }

  /**
   * Decrypts what {@link seal} produced with key `keyId` (any configured key, retired or active).
   * @throws Error on an unknown key id, or when the data or `aad` was altered (GCM tag check).
   */
  open(keyId: string, data: Uint8Array, aad?: Uint8Array): Buffer {
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`codec: data encrypted with unknown key "${keyId}"`);
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const plain = temporal.api.common.v1.Payload.encode(p as temporal.api.common.v1.IPayload).finish();
      const { keyId, data } = this.seal(plain);
      return { metadata: { encoding: text(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text(keyId) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (str(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const id = str(p.metadata?.[KEY_ID_METADATA]);
      if (!this.keys.has(id)) throw new Error(`codec: payload encrypted with unknown key "${id}"`);
      const plain = this.open(id, p.data ?? new Uint8Array());
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** The codec of a configuration (`TEMPORAL_CODEC_KEYS`, `TEMPORAL_CODEC_KEY_ID`). */
export function codecFromConfig(config: { TEMPORAL_CODEC_KEYS: string; TEMPORAL_CODEC_KEY_ID: string }): EncryptionCodec {
  return new EncryptionCodec(parseCodecKeys(config.TEMPORAL_CODEC_KEYS), config.TEMPORAL_CODEC_KEY_ID);
}

/**
 * Decodes, in place, every `Payloads` found in a history (or any proto object): used before
 * rendering a history for supervisors or downloading it. Search attributes are never encoded.
 */
export async function decodeHistoryPayloads<T>(node: T, codec: PayloadCodec): Promise<T> {
  const visit = async (n: unknown): Promise<void> => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) { for (const x of n) await visit(x); return; }
    const o = n as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) {
      if (k === 'payloads' && Array.isArray(v)) o[k] = await codec.decode(v as Payload[]);
      else if (k === 'searchAttributes' || k === 'indexedFields') continue;
      else if (k === 'fields' && v && typeof v === 'object' && !Array.isArray(v)) {
        const entries = Object.entries(v as Record<string, Payload>);
        const decoded = await codec.decode(entries.map(([, p]) => p));
        o[k] = Object.fromEntries(entries.map(([name], i) => [name, decoded[i]]));
      } else await visit(v);
    }
  };
  await visit(node);
  return node;
}
