/**
 * The parents' space accounts: sign-up (identifier + password, verified by a one-time code sent
 * by email or SMS), sign-in throttled in PostgreSQL (signInGuard.ts), password reset by one-time code,
 * and the parents' profile reused for every child. Passwords are hashed with argon2id (the
 * `argon2` defaults: m=64 MiB, t=3, p=4); one-time codes are stored as HMAC-SHA256 only.
 */
import argon2 from 'argon2';
import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { checkNewPassword, type AccountIdentifier } from '../../domain/account';
import { toAsciiDigits } from '../../domain/names';
import type { Language } from '../../domain/types';
import { OneTimeCode, ParentAccount, type OneTimeCodePurpose, type ParentProfile } from '../../entities';
import type { SignInGuard } from './signInGuard';

/** Validity of a one-time code, attempts allowed, wait between two sends, sends per hour per account. */
export const OTP_POLICY = { ttlMs: 10 * 60 * 1000, maxAttempts: 5, resendAfterMs: 60 * 1000, maxPerHour: 5 } as const;

/** The HMAC-SHA256 (hex) that stands for a client address in `one_time_code.requester_hash`. */
export function requesterHash(secret: string, ip: string): string {
  return createHmac('sha256', secret).update(`requester:${ip}`).digest('hex');
}

/** Sends a one-time code to the identifier (email or SMS), in the parent's language. */
export type CodeSender = (to: AccountIdentifier, code: string, purpose: OneTimeCodePurpose, lang: Language) => Promise<void>;

/** A refused account operation, with the catalogue code shown at the field (`field`). */
export class AccountError extends Error {
  constructor(readonly code: string, readonly field: string, readonly params: Record<string, string> = {}) {
    super(code);
    this.name = 'AccountError';
  }
}

const whereIdentifier = (id: AccountIdentifier) => (id.kind === 'email' ? { email: id.value } : { phone: id.value });

/** The account's identifier (the email when both exist). */
export function identifierOf(a: ParentAccount): AccountIdentifier {
  return a.email ? { kind: 'email', value: a.email } : { kind: 'phone', value: a.phone! };
}

/** Finds an account by identifier. */
export function findAccount(em: EntityManager, id: AccountIdentifier): Promise<ParentAccount | null> {
  return em.findOne(ParentAccount, whereIdentifier(id));
}

function hashCode(secret: string, codeId: string, code: string): string {
  return createHmac('sha256', secret).update(`${codeId}:${code}`).digest('hex');
}

/**
 * Issues and sends a one-time code (6 digits) for the account; earlier unused codes of the same
 * purpose stop working.
 * @returns the code's id (kept in the session to verify against)
 * @throws AccountError `account.code.wait` (with `seconds`) when the last code of this purpose is
 *   under a minute old, `account.code.tooMany` after 5 codes in an hour for the account, or 20
 *   in an hour from the same client (`deps.requester`, see `requesterHash`; the limit is
 *   `deps.maxPerRequesterPerHour`, default 20, setting `OTP_MAX_PER_CLIENT_PER_HOUR`).
 */
export async function issueCode(
  deps: { em: EntityManager; secret: string; send: CodeSender; now?: Date; requester?: string; maxPerRequesterPerHour?: number }, account: ParentAccount, purpose: OneTimeCodePurpose,
): Promise<string> {
  const { em } = deps;
  const now = deps.now ?? new Date();
  if (deps.requester && await em.count(OneTimeCode, { requesterHash: deps.requester, createdAt: { $gt: new Date(now.getTime() - 3600_000) } }) >= (deps.maxPerRequesterPerHour ?? 20)) {
    throw new AccountError('account.code.tooMany', 'code');
  }
  const recent = await em.find(OneTimeCode, { account, createdAt: { $gt: new Date(now.getTime() - 3600_000) } }, { orderBy: { createdAt: 'desc' } });
  const last = recent.find((c) => c.purpose === purpose);
  if (last && now.getTime() - last.createdAt.getTime() < OTP_POLICY.resendAfterMs) {
    const seconds = Math.ceil((OTP_POLICY.resendAfterMs - (now.getTime() - last.createdAt.getTime())) / 1000);
    throw new AccountError('account.code.wait', 'code', { seconds: String(seconds) });
  }
  if (recent.length >= OTP_POLICY.maxPerHour) throw new AccountError('account.code.tooMany', 'code');
  for (const c of recent) if (c.purpose === purpose && !c.consumedAt) c.consumedAt = now;
  const id = randomUUID();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const identifier = identifierOf(account);
  em.create(OneTimeCode, {
    id, account, purpose, channel: identifier.kind === 'email' ? 'email' : 'sms', codeHash: hashCode(deps.secret, id, code), requesterHash: deps.requester ?? null,
    attempts: 0, expiresAt: new Date(now.getTime() + OTP_POLICY.ttlMs), createdAt: now,
  });
  await em.flush();
  try {
    await deps.send(identifier, code, purpose, account.language);
  } catch {
    // Nobody received it: forget it so that the parent may ask again at once.
    await em.nativeDelete(OneTimeCode, { id });
    throw new AccountError('account.code.sendFailed', 'code');
  }
  return id;
}

/**
 * Checks a typed code against the issued one (constant time); a right code is consumed.
 * @throws AccountError `account.code.wrong` (with `left` attempts), `account.code.expired` (too old,
 *   used, replaced or out of attempts: ask for a new one).
 */
export async function consumeCode(deps: { em: EntityManager; secret: string; now?: Date }, codeId: string, typed: string, purpose: OneTimeCodePurpose): Promise<ParentAccount> {
  const { em } = deps;
  const now = deps.now ?? new Date();
  const c = await em.findOne(OneTimeCode, { id: codeId, purpose }, { populate: ['account'] });
  if (!c || c.consumedAt || c.expiresAt <= now || c.attempts >= OTP_POLICY.maxAttempts) throw new AccountError('account.code.expired', 'code');
  const digits = toAsciiDigits(typed).replace(/[\s-]/g, '');
  const expected = Buffer.from(c.codeHash, 'hex');
  const given = Buffer.from(hashCode(deps.secret, c.id, digits), 'hex');
  if (!/^\d{6}$/.test(digits) || !timingSafeEqual(expected, given)) {
    c.attempts += 1;
    await em.flush();
    const left = OTP_POLICY.maxAttempts - c.attempts;
    if (left <= 0) throw new AccountError('account.code.expired', 'code');
    throw new AccountError('account.code.wrong', 'code', { left: String(left) });
  }
  c.consumedAt = now;
  await em.flush();
  return c.account;
}

/**
 * Creates an unverified account, or renews the password of one still unverified (the person who
 * proves the identifier wins). When a verified account already uses the identifier nothing
 * changes, but the same work is done (an argon2id hash of the typed password) so that the answer
 * takes the same time: the caller answers exactly as for a new account and tells the owner.
 * @returns `existing: true` with the verified account, or the (new or renewed) unverified account
 * @throws AccountError `account.password.*` at `password`.
 */
export async function signUp(em: EntityManager, id: AccountIdentifier, password: string, language: Language, now = new Date()): Promise<{ account: ParentAccount; existing: boolean }> {
  const problem = checkNewPassword(password, id.value);
  if (problem) throw new AccountError(problem, 'password');
  const existing = await findAccount(em, id);
  const passwordHash = await argon2.hash(password, { type: argon2.argon2id });
  if (existing?.verifiedAt) return { account: existing, existing: true };
  if (existing) {
    existing.passwordHash = passwordHash;
    existing.language = language;
    await em.flush();
    return { account: existing, existing: false };
  }
  const account = em.create(ParentAccount, {
    id: randomUUID(), ...(id.kind === 'email' ? { email: id.value } : { phone: id.value }), passwordHash, language,
    profile: {}, failedSignIns: 0, createdAt: now,
  });
  await em.flush();
  return { account, existing: false };
}

/**
 * Verifies an identifier and password. Same cost whether or not the account exists. Throttled by
 * `throttle.guard` (see signInGuard.ts): failures per client address across identifiers, per
 * identifier and address (locks the attacker's address, not the owner), and a growing wait per
 * identifier after 10 failures in an hour.
 * @returns the account (verified or not: the caller sends a code when not)
 * @throws SignInRefused (429 + Retry-After) before the password is checked; AccountError
 *   `account.signIn.failed` (wrong identifier or password, one message for both).
 */
export async function signIn(em: EntityManager, id: AccountIdentifier, password: string, throttle: { guard: SignInGuard; ip: string }, now = new Date()): Promise<ParentAccount> {
  const { guard, ip } = throttle;
  await guard.check('parent', id.value, ip);
  const account = await findAccount(em, id);
  const ok = account
    ? await argon2.verify(account.passwordHash, password).catch(() => false)
    : await argon2.hash(password, { type: argon2.argon2id }).then(() => false, () => false);
  if (!account || !ok) {
    await guard.failed('parent', id.value, ip);
    throw new AccountError('account.signIn.failed', 'password');
  }
  await guard.succeeded('parent', id.value, ip);
  account.lastSignInAt = now;
  await em.flush();
  return account;
}

/**
 * Sets a new password (after a reset code). Unlocks the account.
 * @throws AccountError `account.password.*` at `password`.
 */
export async function setPassword(em: EntityManager, account: ParentAccount, password: string): Promise<void> {
  const problem = checkNewPassword(password, identifierOf(account).value);
  if (problem) throw new AccountError(problem, 'password');
  account.passwordHash = await argon2.hash(password, { type: argon2.argon2id });
  account.failedSignIns = 0;
  account.lockedUntil = null;
  await em.flush();
}

/** Keeps the parents' own data (guardian role, father, mother, tutor, residence) for the next child. Only known keys are kept. */
export function profileFrom(data: Record<string, unknown>): ParentProfile {
  const person = (v: unknown) => {
    if (!v || typeof v !== 'object') return undefined;
    const keep = ['firstNameAr', 'lastNameAr', 'firstNameLatin', 'lastNameLatin', 'cin', 'profession', 'address', 'phone', 'email'];
    return Object.fromEntries(keep.map((k) => [k, String((v as Record<string, unknown>)[k] ?? '')]));
  };
  const residence = (data.residence ?? {}) as Record<string, unknown>;
  const role = data.guardianRole;
  return {
    guardianRole: role === 'father' || role === 'mother' || role === 'tutor' ? role : undefined,
    father: person(data.father), mother: person(data.mother), tutor: person(data.tutor),
    residence: {
      academy: String(residence.academy ?? ''), directorate: String(residence.directorate ?? ''),
      communeCode: String(residence.communeCode ?? ''), residenceZoneCode: String(residence.residenceZoneCode ?? ''),
    },
  };
}
