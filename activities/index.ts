import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { createDatabaseActivities } from './database';
import { createMailer, type Mailer } from './email';
import { createMassarActivities, MassarClient } from './massar';
import { createNotificationActivities } from './notifications';
import { createHelpNotificationActivities } from './helpNotifications';
import { createSmsSender, type SmsSender } from './sms';
import { createStaffNotificationActivities } from './staffNotifications';
import { createRetentionActivities } from './retention';
import { createCampaignActivities, type CampaignActivities, type CampaignPace } from './campaign';
import type { Activities } from './types';

export type { Activities } from './types';

/** The outside-system adapters the activities use; tests may pass their own instances. */
export interface ActivityDeps {
  orm: MikroORM;
  config: Config;
  mailer?: Mailer;
  sms?: SmsSender;
  massar?: MassarClient;
  /** The sending rate of campaign messages (default: `CAMPAIGN_SEND_RATE` per second); tests inject their own. */
  campaignPace?: CampaignPace;
}

/** Builds every activity of Tasjil's workflows from the ORM, the config and the adapters. */
export function createActivities(deps: ActivityDeps): Activities & CampaignActivities & { close(): void } {
  const { orm, config } = deps;
  const mailer = deps.mailer ?? createMailer(config);
  const sms = deps.sms ?? createSmsSender(config);
  const massar = deps.massar ?? new MassarClient({
    baseUrl: config.MASSAR_BASE_URL, clientId: config.MASSAR_CLIENT_ID, clientSecret: config.MASSAR_CLIENT_SECRET,
  });
  return {
    ...createDatabaseActivities(orm),
    ...createMassarActivities({ orm, client: massar }),
    ...createNotificationActivities({ orm, config, mailer, sms }),
    ...createHelpNotificationActivities({ orm, config, mailer, sms }),
    ...createStaffNotificationActivities({ orm, config, mailer }),
    ...createRetentionActivities(orm),
    ...createCampaignActivities({ orm, config, mailer, sms, pace: deps.campaignPace }),
    close: () => mailer.close(),
  };
}
