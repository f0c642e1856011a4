/**
 * Seeds a migrated database: reference data (12 academies, 82 provincial directorates, 1,503
 * communes + 41 arrondissements), school years with their age rules, the rejection-reason
 * catalogue, and — for the demo — the demo school map and demo staff accounts.
 * Run at every start (idempotent). CLI: `tsx migrations/seed.ts [--no-demo]` (migrates, then seeds `DATABASE_URL`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { createOrm } from '../entities/orm';
import { loadConfig } from '../config';
import { totpKey } from '../entities/staffSecret';
import { DEMO_TOTP_SECRET as DEMO_TOTP_SECRET_FOR_CLI, seedDemoAccounts, type DemoAccount, type DemoAccountsSeedResult } from './seeders/demoAccounts';
import { seedDemoParent } from './seeders/demoParent';
import { loadDemoSchoolMap, seedDemoSchoolMap, type DemoSchoolMapSeedResult } from './seeders/demoSchoolMap';
import { seedReference, type ReferenceSeedResult } from './seeders/reference';
import { seedSchoolYears, type SchoolYearsSeedResult } from './seeders/schoolYears';
import { seedHelpCatalogue } from './seeders/help';

export { DEMO_PASSWORD, DEMO_TOTP_SECRET } from './seeders/demoAccounts';
export type { DemoAccount } from './seeders/demoAccounts';

/** Options of `seedAll`. */
export interface SeedOptions {
  /** Load the demo school map and create the demo staff accounts (default `true`). `false` for production. */
  demo?: boolean;
  /** Key encrypting the demo accounts' TOTP secret (default: `STAFF_TOTP_KEY` of `loadConfig()`). */
  totpKey?: Buffer;
}

/** Details of a `seedAll` run: per part, rows created / updated / unchanged, and durations in milliseconds. */
export interface SeedReport {
  reference: ReferenceSeedResult;
  schoolYears: SchoolYearsSeedResult;
  demoSchoolMap: DemoSchoolMapSeedResult | null;
  demoAccounts: Omit<DemoAccountsSeedResult, 'accounts'> | null;
  timingsMs: { reference: number; schoolYears: number; demoSchoolMap: number; demoAccounts: number; total: number };
}

/**
 * Seeds the database at `databaseUrl` (already migrated with `migrateUp`). Each part runs in its
 * own transaction (all or nothing per part):
 * 1. reference data — skipped when the counts already match (12 / 82 / 1,544);
 * 2. school years (2026-2027, current 2027-2028), their age rules (domain `defaultAgeRules`) and the
 *    rejection reasons (domain `DEFAULT_REJECTION_REASONS`);
 * 3. when `opts.demo !== false`: the demo school map (`migrations/data/demo-school-map.json`,
 *    `is_demo = true`), then the demo staff accounts (password `DEMO_PASSWORD`, argon2id).
 * With `demo: false` no demo school and no demo account is created (existing ones are left).
 * Upserts only: running it again changes nothing and never duplicates; a warm run takes well
 * under a second (one argon2 verification for the demo accounts).
 * Logs nothing (no personal data is involved); the caller prints `demoAccounts`.
 * @returns `demoAccounts`: the demo sign-ins (role, username, password, human scope label), empty
 *   when `demo` is false; `report`: what each part did and how long it took.
 * @throws Error when the database is unreachable or not migrated, or when a data file is
 *   inconsistent (the failing part is rolled back).
 */
export async function seedAll(
  databaseUrl: string,
  opts: SeedOptions = {},
): Promise<{ demoAccounts: DemoAccount[]; report: SeedReport }> {
  const demo = opts.demo !== false;
  const key = demo ? opts.totpKey ?? totpKey(loadConfig()) : Buffer.alloc(0);
  const orm = await createOrm(databaseUrl);
  const started = performance.now();
  const timingsMs = { reference: 0, schoolYears: 0, demoSchoolMap: 0, demoAccounts: 0, total: 0 };
  const timed = async <T>(key: keyof typeof timingsMs, fn: (em: EntityManager) => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await orm.em.fork().transactional((em) => fn(em));
    } finally {
      timingsMs[key] = Math.round(performance.now() - t0);
    }
  };
  try {
    const reference = await timed('reference', seedReference);
    const schoolYears = await timed('schoolYears', seedSchoolYears);
    // The help centre's text, when missing (staff edits are kept).
    await orm.em.fork().transactional((em) => seedHelpCatalogue(em));
    let demoSchoolMap: DemoSchoolMapSeedResult | null = null;
    let accounts: DemoAccountsSeedResult | null = null;
    if (demo) {
      const map = loadDemoSchoolMap();
      demoSchoolMap = await timed('demoSchoolMap', (em) => seedDemoSchoolMap(em, map));
      const codes = demoSchoolMap.schoolCodes;
      accounts = await timed('demoAccounts', async (em) => {
        const staff = await seedDemoAccounts(em, codes, key);
        await seedDemoParent(em, codes);
        return staff;
      });
    }
    timingsMs.total = Math.round(performance.now() - started);
    return {
      demoAccounts: accounts?.accounts ?? [],
      report: {
        reference,
        schoolYears,
        demoSchoolMap,
        demoAccounts: accounts ? { upserts: accounts.upserts, hashesComputed: accounts.hashesComputed } : null,
        timingsMs,
      },
    };
  } finally {
    await orm.close(true);
  }
}

/** Command line: applies pending migrations, seeds `DATABASE_URL` and prints the demo sign-ins. */
async function main(): Promise<void> {
  const { migrateUp } = await import('./run');
  const config = loadConfig();
  await migrateUp(config.DATABASE_URL);
  const { demoAccounts, report } = await seedAll(config.DATABASE_URL, { demo: !process.argv.includes('--no-demo') });
  console.log(`Seeded in ${report.timingsMs.total} ms (reference ${report.reference.skipped ? 'already loaded' : 'loaded'}).`);
  for (const a of demoAccounts) console.log(`  ${a.role.padEnd(20)} ${a.username.padEnd(24)} ${a.scope}`);
  if (demoAccounts.length > 0) {
    console.log(`  password for every demo account: ${demoAccounts[0].password}`);
    console.log(`  second factor (TOTP) secret of every demo staff account: ${DEMO_TOTP_SECRET_FOR_CLI}; a code: npx tsx scripts/totp.ts`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
