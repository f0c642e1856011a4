import { createOrm } from '../entities/orm';

/**
 * Applies every pending MikroORM migration of `migrations/` to `databaseUrl` (the only way the
 * schema changes). Idempotent: applied migrations are recorded in `mikro_orm_migrations`.
 * @returns the names of the migrations applied by this call.
 * @throws the driver's error when the database is unreachable or a migration fails (all or nothing).
 */
export async function migrateUp(databaseUrl: string): Promise<string[]> {
  const orm = await createOrm(databaseUrl);
  try {
    const applied = await orm.getMigrator().up();
    return applied.map((m) => m.name);
  } finally {
    await orm.close(true);
  }
}
