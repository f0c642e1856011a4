/**
 * `npm run migrate [-- --seed] [-- --search-attributes]`: for operations (and the one-shot `setup`
 * service of docker-compose.yml). `npm start` does all of this by itself.
 *
 * - always: creates the database of DATABASE_URL if missing and applies pending MikroORM
 *   migrations (never starts an embedded PostgreSQL);
 * - `--seed`: loads the reference data, the demo school map and the demo staff accounts
 *   (`seedAll`, idempotent);
 * - `--search-attributes`: registers the custom search attributes on TEMPORAL_ADDRESS /
 *   TEMPORAL_NAMESPACE, waiting up to 3 minutes for the server and namespace to exist, and warns when
 *   the namespace's retention is under 90 days.
 *
 * Exit code 0 on success, 1 on any error.
 */
import { Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../config';
import { migrateUp } from '../migrations/run';
import { ensurePostgres, redactDatabaseUrl } from './lib/postgres';
import { ensureSearchAttributes, getNamespaceRetentionHours, RETENTION_DAYS } from './lib/temporal';

const log = (m: string): void => {
  process.stdout.write(`[migrate] ${m}\n`);
};

async function registerSearchAttributes(config: Config): Promise<void> {
  const deadline = Date.now() + 180_000;
  let lastError = '';
  while (Date.now() < deadline) {
    let connection: Connection | null = null;
    try {
      connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5000 });
      const added = await ensureSearchAttributes(connection, config.TEMPORAL_NAMESPACE);
      log(added.length ? `registered search attributes ${added.join(', ')}` : 'search attributes already registered');
      const hours = await getNamespaceRetentionHours(connection, config.TEMPORAL_NAMESPACE);
      if (hours < RETENTION_DAYS * 24) {
        log(`WARNING: namespace "${config.TEMPORAL_NAMESPACE}" retention is ${hours / 24} day(s), under the ${RETENTION_DAYS} days supervisors need`);
      }
      return;
    } catch (err) {
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      await connection?.close().catch(() => undefined);
    }
  }
  throw new Error(`could not register search attributes on ${config.TEMPORAL_ADDRESS} (namespace ${config.TEMPORAL_NAMESPACE}): ${lastError}`);
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  for (const a of args) {
    if (!['--seed', '--search-attributes'].includes(a)) throw new Error(`unknown option ${a} (known: --seed, --search-attributes)`);
  }
  const config = loadConfig(process.env);
  await ensurePostgres({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, log, allowEmbedded: false });
  const applied = await migrateUp(config.DATABASE_URL);
  log(
    applied.length
      ? `applied ${applied.length} migration(s) to ${redactDatabaseUrl(config.DATABASE_URL)}: ${applied.join(', ')}`
      : `${redactDatabaseUrl(config.DATABASE_URL)} is up to date`,
  );
  if (args.has('--seed')) {
    const { seedAll } = await import('../migrations/seed');
    const { demoAccounts } = await seedAll(config.DATABASE_URL);
    log(`seeded reference data and the demo school map; ${demoAccounts.length} demo account(s)`);
  }
  if (args.has('--search-attributes')) await registerSearchAttributes(config);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[migrate] failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
