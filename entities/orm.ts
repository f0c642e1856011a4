import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import path from 'node:path';
import { ALL_ENTITIES } from './index';

/**
 * MikroORM options for Tasjil. Schema changes go only through migrations in `migrations/`
 * (files named `Migration*.ts`). Each request and activity forks its own EntityManager.
 */
export function ormOptions(databaseUrl: string): Options {
  return {
    clientUrl: databaseUrl,
    entities: ALL_ENTITIES,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: true },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: path.resolve(__dirname, '..', 'migrations'),
      pathTs: path.resolve(__dirname, '..', 'migrations'),
      glob: 'Migration*.{js,ts}',
      transactional: true,
      allOrNothing: true,
      emit: 'ts',
      snapshot: false,
      silent: true,
    },
    pool: { min: 0, max: 10 },
    debug: false,
  };
}

/** Opens a MikroORM instance on `databaseUrl`; callers must `close()` it. */
export function createOrm(databaseUrl: string): Promise<MikroORM> {
  return MikroORM.init(ormOptions(databaseUrl));
}
