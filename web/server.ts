/**
 * Web process entry point: `npm run web` (or started by `npm start`). Listens on PORT (3000).
 */
import pino from 'pino';
import { loadConfig } from '../config';
import { createOrm } from '../entities/orm';
import { connectTemporal } from '../temporal/client';
import { createApp } from './app';
import { ensureRetentionSchedule } from '../temporal/schedules';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'web' } });
  const orm = await createOrm(config.DATABASE_URL);
  const temporal = await connectTemporal(config);
  // Law 09-08: rejected and withdrawn requests are anonymised daily by a Temporal Schedule.
  await ensureRetentionSchedule(temporal.client, config.TEMPORAL_TASK_QUEUE);
  const { app, close } = createApp({ config, orm, temporal, log });
  const server = app.listen(config.PORT, () => log.info({ port: config.PORT }, 'web listening'));
  const stop = () => {
    server.close(async () => {
      await close();
      await temporal.close();
      await orm.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err) => {
    console.error('web failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
