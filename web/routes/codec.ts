/**
 * Remote codec endpoint for the Temporal Web UI (`POST /codec/decode`, `POST /codec/encode`,
 * Temporal's remote codec protocol: JSON `{ payloads: [{ metadata: { k: base64 }, data: base64 }] }`).
 * Only signed-in supervisors and administrators may decode; every use is audited. CORS allows the
 * configured Temporal UI origin with credentials.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Payload } from '@temporalio/common';
import { StaffUser } from '../../entities';
import type { WebDeps } from '../app';
import { codecFromConfig } from '../../temporal/codec';
import { audit } from './staff';

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
  const handler = (op: 'encode' | 'decode') => async (req: Request, res: Response) => {
    const user = await supervisor(req, res);
    if (!user) return;
    const list = (req.body as { payloads?: unknown })?.payloads;
    if (!Array.isArray(list)) { res.status(400).json({ error: 'payloads required' }); return; }
    try {
      const out = await codec[op](list.map((p) => toPayload(p as JsonPayload)));
      if (op === 'decode') await audit(deps.orm.em.fork(), user, 'codec.decode', null, { payloads: list.length, ip: req.ip });
      res.json({ payloads: out.map(toJson) });
    } catch {
      res.status(400).json({ error: 'undecodable' });
    }
  };
  r.post('/decode', handler('decode'));
  r.post('/encode', handler('encode'));
  return r;
}
