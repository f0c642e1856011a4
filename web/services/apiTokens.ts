/**
 * Staff API tokens (`Authorization: Bearer tsj_…`), replacing HTTP Basic on the staff API: each
 * staff user creates named tokens on /staff/security (shown once), sees when each was last used
 * and revokes them. A token acts with exactly its user's rights and scope, and stops working when
 * revoked or when the user is deactivated. Stored as SHA-256 only (the token is 256 random bits,
 * so a plain hash cannot be guessed back).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { StaffApiToken, StaffUser } from '../../entities';

export const API_TOKEN_POLICY = { prefix: 'tsj_', maxPerUser: 20, nameMax: 80, lastUsedGranularityMs: 60_000 } as const;

const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/** A refused token operation, with its catalogue code. */
export class ApiTokenError extends Error {
  constructor(readonly code: 'apiToken.nameRequired' | 'apiToken.tooMany') {
    super(code);
    this.name = 'ApiTokenError';
  }
}

/**
 * Creates a token for `user`. @returns the token in clear (shown once) and its row.
 * @throws ApiTokenError `apiToken.nameRequired` (empty or over 80 characters), `apiToken.tooMany` (20 active)
 */
export async function createApiToken(em: EntityManager, user: StaffUser, name: string, now = new Date()): Promise<{ token: string; row: StaffApiToken }> {
  const clean = name.trim();
  if (!clean || clean.length > API_TOKEN_POLICY.nameMax) throw new ApiTokenError('apiToken.nameRequired');
  if (await em.count(StaffApiToken, { user: user.id, revokedAt: null }) >= API_TOKEN_POLICY.maxPerUser) throw new ApiTokenError('apiToken.tooMany');
  const token = `${API_TOKEN_POLICY.prefix}${randomBytes(32).toString('base64url')}`;
  const row = em.create(StaffApiToken, {
    id: randomUUID(), user: em.getReference(StaffUser, user.id), name: clean, tokenHash: hashToken(token), prefix: token.slice(0, 10), createdAt: now,
  });
  await em.flush();
  return { token, row };
}

/** The user's tokens that still work, newest first. */
export function listApiTokens(em: EntityManager, user: StaffUser): Promise<StaffApiToken[]> {
  return em.find(StaffApiToken, { user: user.id, revokedAt: null }, { orderBy: { createdAt: 'desc' } });
}

/** Revokes one of the user's own tokens. @returns false when it is not theirs or already revoked. */
export async function revokeApiToken(em: EntityManager, user: StaffUser, id: string, now = new Date()): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  return (await em.nativeUpdate(StaffApiToken, { id, user: user.id, revokedAt: null }, { revokedAt: now })) === 1;
}

/**
 * The active staff user of a bearer token, with school / directorate / academy loaded, or null.
 * Records the last use (at most once a minute per token).
 */
export async function userOfApiToken(em: EntityManager, token: string, now = new Date()): Promise<StaffUser | null> {
  if (!token.startsWith(API_TOKEN_POLICY.prefix) || token.length > 100) return null;
  const row = await em.findOne(StaffApiToken, { tokenHash: hashToken(token), revokedAt: null, user: { active: true } }, { populate: ['user', 'user.school', 'user.directorate', 'user.academy'] });
  if (!row) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= API_TOKEN_POLICY.lastUsedGranularityMs) {
    await em.nativeUpdate(StaffApiToken, { id: row.id }, { lastUsedAt: now });
  }
  return row.user;
}
