/**
 * Remote codec endpoint for the Temporal Web UI (`POST /codec/decode`, `POST /codec/encode`,
 * Temporal's remote codec protocol: JSON `{ payloads: [{ metadata: { k: base64 }, data: base64 }] }`,
 * with the header `X-Namespace`). The UI calls it from the browser with the user's cookies when
 * its codec setting "include credentials" is on (`TEMPORAL_CODEC_ENDPOINT=<web>/codec`,
 * `TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true`), so the Tasjil staff session decides; CORS allows
 * exactly the configured Temporal UI origin (`TEMPORAL_UI_URL`) with credentials.
 *
 * Scope: the UI says nothing of which workflow a payload comes from, so the payload itself does.
 * Every payload of a pre-registration names its reference (workflow input and state, activity
 * arguments). A payload is given back decoded only when it names at least one reference and every
 * reference it names is in the signed-in supervisor's scope; otherwise it is given back as it came
 * (encrypted). Administrators decode everything. Directors, and anyone not signed in, get no
 * decoding (403 / 401). Every call is audited with the counts decoded and withheld.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Payload } from '@temporalio/common';
import { PreRegistration, StaffUser } from '../../entities';
import { scopeFilter } from '../services/staff';
import type { WebDeps } from '../app';
import { codecFromConfig } from '../../temporal/codec';
import { audit } from './staff';

const REFERENCES = /P[0-9]{2}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}/g;

interface JsonPayload { metadata?: Record<string, string>; data?: string }

const toPayload = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function codecRouter(deps: WebDeps): Router {
  const r = Router();
  const codec = codecFromConfig(deps.config);
  const uiOrigin = new URL(deps.config.TEMPORAL_UI_URL).origin;
  r.use((req: Request, res: Response, next: NextFunction) => {
    if (req.get('Origin') === uiOrigin) {
      res.set({
        'Access-Control-Allow-Origin': uiOrigin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin',
        'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
      });
    }
    if (req.method === 'OPTIONS') { res.status(204).end(); return; }
    next();
  });
  r.use(express.json({ limit: '4mb' }));
  const supervisor = async (req: Request, res: Response): Promise<StaffUser | null> => {
    const id = req.session.staffUserId;
    const user = id ? await deps.orm.em.fork().findOne(StaffUser, { id, active: true }) : null;
    if (!user) { res.status(401).json({ error: 'unauthorized' }); return null; }
    if (user.role === 'director') { res.status(403).json({ error: 'forbidden' }); return null; }
    return user;
  };
  /** The references (e.g. `P27-ABCDE-FGHJK`) a decoded payload names, in its data or metadata. */
  const referencesIn = (p: Payload): string[] => {
    const text = Buffer.from(p.data ?? new Uint8Array()).toString('utf8');
    return [...new Set(text.match(REFERENCES) ?? [])];
  };
  /** Keeps decoded only the payloads whose references are all in the user's scope (at least one). */
  const inScope = async (user: StaffUser, encoded: Payload[], decoded: Payload[]): Promise<{ out: Payload[]; withheld: number }> => {
    if (user.role === 'administrator') return { out: decoded, withheld: 0 };
    const named = decoded.map(referencesIn);
    const all = [...new Set(named.flat())];
    const visible = new Set(all.length
      ? (await deps.orm.em.fork().find(PreRegistration, { $and: [{ reference: { $in: all } }, scopeFilter(user)] }, { fields: ['reference'] })).map((x) => x.reference)
      : []);
    let withheld = 0;
    const out = decoded.map((p, i) => {
      if (named[i].length > 0 && named[i].every((ref) => visible.has(ref))) return p;
      withheld += 1;
      return encoded[i];
    });
    return { out, withheld };
  };
  const handler = (op: 'encode' | 'decode') => async (req: Request, res: Response) => {
    const user = await supervisor(req, res);
    if (!user) return;
    const list = (req.body as { payloads?: unknown })?.payloads;
    if (!Array.isArray(list)) { res.status(400).json({ error: 'payloads required' }); return; }
    res.set('Cache-Control', 'no-store');
    const namespace = req.get('X-Namespace');
    try {
      const payloads = list.map((p) => toPayload(p as JsonPayload));
      if (op === 'encode') { res.json({ payloads: (await codec.encode(payloads)).map(toJson) }); return; }
      // Another namespace than Tasjil's: nothing of ours to decode there.
      const { out, withheld } = namespace && namespace !== deps.config.TEMPORAL_NAMESPACE
        ? { out: payloads, withheld: payloads.length }
        : await inScope(user, payloads, await codec.decode(payloads));
      await audit(deps.orm.em.fork(), user, 'codec.decode', null, { payloads: list.length, decoded: list.length - withheld, withheld }, req.ip);
      res.json({ payloads: out.map(toJson) });
    } catch {
      res.status(400).json({ error: 'undecodable' });
    }
  };
  r.post('/decode', handler('decode'));
  r.post('/encode', handler('encode'));
  return r;
}
