/**
 * Prints the current second-factor code (TOTP, RFC 6238) of a demo staff account, for signing in
 * to the demo without an authenticator app:
 *
 *   npx tsx scripts/totp.ts director.04421A01
 *
 * Every demo staff account is enrolled with the same demo secret (`DEMO_TOTP_SECRET`), so the
 * username is only echoed back. `--secret <base32>` computes the code of another secret.
 * Prints the code and the seconds it stays valid.
 */
import { generate } from 'otplib';
import { DEMO_TOTP_SECRET } from '../migrations/seeders/demoAccounts';
import { TOTP_POLICY } from '../web/services/secondFactor';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const i = args.indexOf('--secret');
  const secret = i >= 0 ? args[i + 1] ?? '' : DEMO_TOTP_SECRET;
  const username = args.find((a, j) => !a.startsWith('--') && (i < 0 || j !== i + 1)) ?? 'any demo staff account';
  if (!/^[A-Z2-7]+=*$/i.test(secret)) throw new Error('--secret: expected a base32 secret');
  const now = Math.floor(Date.now() / 1000);
  const code = await generate({ secret: secret.toUpperCase(), epoch: now });
  const left = TOTP_POLICY.period - (now % TOTP_POLICY.period);
  process.stdout.write(`${code}  (${username}; valid ${left} s more, then the next one)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
