/**
 * Sign-in throttling shared by every door that checks a secret (parents' space, staff password,
 * staff second factor, staff API tokens), kept in PostgreSQL by rate-limiter-flexible
 * (RateLimiterPostgres, table `rate_limit`) so that every web process sees the same counters.
 *
 * Three counters, each aimed at one attack and none letting an attacker lock the owner out:
 * - per client address, across usernames (password spraying): `perAddress` failures in 15 minutes
 *   (default 20, `SIGN_IN_FAILURES_PER_ADDRESS`) → that address is refused until the window ends;
 * - per account and client address: 5 failures in 15 minutes lock *that address* for that account
 *   (the attacker's attempts), while the owner signs in from another address;
 * - per account, across addresses (distributed guessing): after 10 failures in an hour, every
 *   further failure imposes a growing wait on the account (2 s, 4 s, 8 s … at most 5 minutes)
 *   during which attempts are refused with `Retry-After` without being checked — a slow-down,
 *   never a lockout.
 * Keys are HMAC-SHA256 of (counter, realm, account, address) with the session secret: neither an
 * address nor an identifier is stored in clear. The client address is always `req.ip`, which
 * believes `X-Forwarded-For` only from the proxies of `TRUST_PROXY`.
 */
import { createHmac } from 'node:crypto';
import type { Pool } from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';

/** What is being signed into: the account key space of each door. */
export type SignInRealm = 'parent' | 'staff' | 'totp';

/** The limits (seconds, counts). */
export interface SignInLimits {
  perAddress: { points: number; seconds: number };
  perAccountAddress: { points: number; seconds: number };
  perAccount: { free: number; seconds: number; maxDelaySeconds: number };
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perAddress: { points: 20, seconds: 15 * 60 },
  perAccountAddress: { points: 5, seconds: 15 * 60 },
  perAccount: { free: 10, seconds: 3600, maxDelaySeconds: 300 },
};

/** The table of every RateLimiterPostgres of Tasjil (created by migration). */
export const RATE_LIMIT_TABLE = 'rate_limit';

/** An attempt refused before the secret was checked: which counter, and how long to wait. */
export class SignInRefused extends Error {
  constructor(readonly counter: 'address' | 'accountAddress' | 'account', readonly retryAfterSeconds: number) {
    super(`sign-in refused (${counter}), retry after ${retryAfterSeconds} s`);
    this.name = 'SignInRefused';
  }

  /** Whole minutes to tell a person (at least 1). */
  get minutes(): number {
    return Math.max(1, Math.ceil(this.retryAfterSeconds / 60));
  }
}

/** A RateLimiterPostgres on the shared table (the table exists: created by migration). */
export function pgLimiter(pool: Pool, keyPrefix: string, points: number, duration: number): RateLimiterPostgres {
  return new RateLimiterPostgres({ storeClient: pool, storeType: 'pool', tableName: RATE_LIMIT_TABLE, tableCreated: true, keyPrefix, points, duration });
}

export class SignInGuard {
  private readonly byAddress: RateLimiterPostgres;
  private readonly byAccountAddress: RateLimiterPostgres;
  private readonly byAccount: RateLimiterPostgres;
  private readonly delay: RateLimiterPostgres;
  private readonly notices: RateLimiterPostgres;

  constructor(pool: Pool, private readonly secret: string, readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS) {
    this.byAddress = pgLimiter(pool, 'signin-addr', limits.perAddress.points, limits.perAddress.seconds);
    this.byAccountAddress = pgLimiter(pool, 'signin-acct-addr', limits.perAccountAddress.points, limits.perAccountAddress.seconds);
    this.byAccount = pgLimiter(pool, 'signin-acct', limits.perAccount.free, limits.perAccount.seconds);
    this.delay = pgLimiter(pool, 'signin-delay', 1, limits.perAccount.maxDelaySeconds);
    this.notices = pgLimiter(pool, 'signup-notice', 1, 3600);
  }

  /**
   * Whether the owner of an existing account may be told now that someone tried to sign up with
   * their identifier: once an hour per account, so that sign-up cannot be used to flood them.
   */
  async allowNotice(accountId: string): Promise<boolean> {
    try {
      await this.notices.consume(this.key('notice', accountId), 1);
      return true;
    } catch (e) {
      if (e instanceof Error) throw e;
      return false; // a RateLimiterRes: already told within the hour
    }
  }

  private key(...parts: string[]): string {
    return createHmac('sha256', this.secret).update(parts.join('\u0000')).digest('hex');
  }

  private keys(realm: SignInRealm, account: string, ip: string) {
    const acct = account.trim().toLowerCase();
    return { address: this.key('addr', ip), accountAddress: this.key('acct-addr', realm, acct, ip), account: this.key('acct', realm, acct) };
  }

  /** Throws SignInRefused when this address is spraying (no account involved: bad API tokens). */
  async checkAddress(ip: string): Promise<void> {
    const a = await this.byAddress.get(this.key('addr', ip));
    if (a && a.consumedPoints >= this.limits.perAddress.points) throw new SignInRefused('address', Math.ceil(a.msBeforeNext / 1000));
  }

  /** Counts a failure against the address only. */
  async failedAddress(ip: string): Promise<void> {
    await this.byAddress.penalty(this.key('addr', ip), 1);
  }

  /**
   * Before checking a secret: throws SignInRefused when the address is spraying, when this
   * address is locked for this account, or while the account's slow-down runs.
   */
  async check(realm: SignInRealm, account: string, ip: string): Promise<void> {
    const k = this.keys(realm, account, ip);
    await this.checkAddress(ip);
    const aa = await this.byAccountAddress.get(k.accountAddress);
    if (aa && aa.consumedPoints >= this.limits.perAccountAddress.points) throw new SignInRefused('accountAddress', Math.ceil(aa.msBeforeNext / 1000));
    const d = await this.delay.get(k.account);
    if (d && d.consumedPoints > 1 && d.msBeforeNext > 0) throw new SignInRefused('account', Math.ceil(d.msBeforeNext / 1000));
  }

  /** After a wrong secret: counts it on the three counters; past the free failures, starts the account's wait. */
  async failed(realm: SignInRealm, account: string, ip: string): Promise<void> {
    const k = this.keys(realm, account, ip);
    await this.byAddress.penalty(k.address, 1);
    await this.byAccountAddress.penalty(k.accountAddress, 1);
    const acct = await this.byAccount.penalty(k.account, 1);
    const over = acct.consumedPoints - this.limits.perAccount.free;
    if (over > 0) await this.delay.block(k.account, Math.min(2 ** over, this.limits.perAccount.maxDelaySeconds));
  }

  /** After the owner proved the identifier another way (password reset by code): this address and the account's slow-down start afresh. */
  async cleared(realm: SignInRealm, account: string, ip: string): Promise<void> {
    const k = this.keys(realm, account, ip);
    await this.byAccountAddress.delete(k.accountAddress);
    await this.byAccount.delete(k.account);
    await this.delay.delete(k.account);
  }

  /** After the right secret: this address is no longer suspect for this account (the address and account counters stay). */
  async succeeded(realm: SignInRealm, account: string, ip: string): Promise<void> {
    await this.byAccountAddress.delete(this.keys(realm, account, ip).accountAddress);
  }
}

