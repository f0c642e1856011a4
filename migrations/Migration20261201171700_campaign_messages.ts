import { Migration } from '@mikro-orm/migrations';

/**
 * Campaign messages (issue 13, item 3): a message composed by an academy or a directorate
 * (`campaign_message`, its scope, audience, channel and the estimates shown before sending), one
 * delivery row per (campaign message, parents' account) — the unique constraint that makes each
 * recipient get it once, whatever the retries and crashes — and the parents who opted out of
 * campaign messages (`campaign_opt_out`, honoured by every later campaign).
 */
export class Migration20261201171700_campaign_messages extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "campaign_message" (
      "id" uuid not null primary key,
      "school_year_code" varchar(9) not null references "school_year" ("code"),
      "kind" varchar(16) not null,
      "audience" varchar(16) not null,
      "channel" varchar(8) not null,
      "academy_code" varchar(2) null references "academy" ("code"),
      "directorate_code" varchar(16) null references "provincial_directorate" ("code"),
      "created_by" uuid not null references "staff_user" ("id"),
      "status" varchar(12) not null default 'draft',
      "days_left" int not null default 0,
      "estimated_recipients" int not null default 0,
      "estimated_sms" int not null default 0,
      "estimated_emails" int not null default 0,
      "estimated_segments" int not null default 0,
      "estimated_cost_centimes" int not null default 0,
      "recipients" int null,
      "created_at" timestamptz not null,
      "confirmed_at" timestamptz null,
      "finished_at" timestamptz null,
      constraint "campaign_message_status_check" check ("status" in ('draft', 'sending', 'sent')));`);
    this.addSql(`create index "campaign_message_created_index" on "campaign_message" ("created_at");`);
    this.addSql(`create table "campaign_delivery" (
      "id" bigserial primary key,
      "campaign_message_id" uuid not null references "campaign_message" ("id") on delete cascade,
      "account_id" uuid not null references "parent_account" ("id") on delete cascade,
      "channel" varchar(5) not null,
      "language" varchar(2) not null,
      "status" varchar(10) not null default 'pending',
      "segments" int null,
      "provider_message_id" varchar(255) null,
      "error" text null,
      "attempts" int not null default 0,
      "created_at" timestamptz not null default now(),
      "sent_at" timestamptz null,
      constraint "campaign_delivery_once" unique ("campaign_message_id", "account_id"),
      constraint "campaign_delivery_status_check" check ("status" in ('pending', 'sent', 'failed', 'optedOut')));`);
    this.addSql(`create index "campaign_delivery_pending_index" on "campaign_delivery" ("campaign_message_id", "id") where "status" = 'pending';`);
    this.addSql(`create table "campaign_opt_out" (
      "account_id" uuid not null primary key references "parent_account" ("id") on delete cascade,
      "opted_out_at" timestamptz not null);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table "campaign_opt_out";');
    this.addSql('drop table "campaign_delivery";');
    this.addSql('drop table "campaign_message";');
  }
}
