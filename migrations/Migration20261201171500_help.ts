import { Migration } from '@mikro-orm/migrations';

/**
 * Help centre and help requests (issue 13, items 1 and 2; issue 14, rectification):
 * - `help_section`: the help centre's catalogue per language (title and body of each anchored
 *   section), seeded from migrations/data/help/help.<lang>.json when missing and edited by staff
 *   (administrators, supervisors) without a deploy;
 * - `help_request` / `help_answer`: a question asked from any page, routed to the school of the
 *   request (reference given and found) or to the directorate of the chosen commune, answered and
 *   closed by staff in scope; the asker follows it with a ticket whose SHA-256 only is stored;
 * - `notification` also carries the answers of help requests (one row per answer and channel,
 *   same exactly-once protocol): `pre_registration_id` becomes nullable and `help_request_id` is
 *   added, exactly one of them set;
 * - `help_throttle`: rate-limiter-flexible's RateLimiterPostgres table (keys are HMACs).
 */
export class Migration20261201171500_help extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "help_section" (
      "lang" varchar(2) not null,
      "anchor" varchar(40) not null,
      "position" integer not null,
      "title" varchar(160) not null,
      "body" text not null,
      "updated_at" timestamptz not null default now(),
      "updated_by" varchar(64) null,
      constraint "help_section_pkey" primary key ("lang", "anchor"),
      constraint "help_section_lang_check" check ("lang" in ('ar', 'fr')));`);
    this.addSql(`create table "help_request" (
      "id" uuid not null,
      "ticket_hash" varchar(64) not null,
      "topic" varchar(24) not null,
      "message" text not null,
      "reference" varchar(20) null,
      "reference_verified" boolean not null default false,
      "pre_registration_id" uuid null references "pre_registration" ("id") on delete set null,
      "school_code" varchar(16) null references "school" ("code") on update cascade,
      "directorate_code" varchar(16) not null references "provincial_directorate" ("code") on update cascade,
      "commune_code" varchar(16) null,
      "channel" varchar(5) not null,
      "contact" varchar(254) not null,
      "language" varchar(2) not null,
      "parent_account_id" uuid null references "parent_account" ("id") on delete set null,
      "status" varchar(12) not null default 'open',
      "created_at" timestamptz not null,
      "first_answered_at" timestamptz null,
      "closed_at" timestamptz null,
      constraint "help_request_pkey" primary key ("id"),
      constraint "help_request_ticket_hash_unique" unique ("ticket_hash"),
      constraint "help_request_channel_check" check ("channel" in ('email', 'sms')),
      constraint "help_request_status_check" check ("status" in ('open', 'answered', 'closed')));`);
    this.addSql(`create index "help_request_school_index" on "help_request" ("school_code", "status", "created_at");`);
    this.addSql(`create index "help_request_directorate_index" on "help_request" ("directorate_code", "status", "created_at");`);
    this.addSql(`create index "help_request_parent_index" on "help_request" ("parent_account_id") where "parent_account_id" is not null;`);
    this.addSql(`create table "help_answer" (
      "id" uuid not null,
      "help_request_id" uuid not null references "help_request" ("id") on delete cascade,
      "seq" integer not null,
      "body" text not null,
      "staff_user_id" uuid not null references "staff_user" ("id"),
      "created_at" timestamptz not null,
      constraint "help_answer_pkey" primary key ("id"),
      constraint "help_answer_seq_unique" unique ("help_request_id", "seq"));`);
    this.addSql(`alter table "notification" alter column "pre_registration_id" drop not null;`);
    this.addSql(`alter table "notification" add column "help_request_id" uuid null references "help_request" ("id") on delete cascade;`);
    this.addSql(`alter table "notification" add constraint "notification_subject_check" check (("pre_registration_id" is null) <> ("help_request_id" is null));`);
    this.addSql(`create index "notification_help_request_index" on "notification" ("help_request_id") where "help_request_id" is not null;`);
    this.addSql(`create table "help_throttle" ("key" varchar(255) primary key, "points" integer not null default 0, "expire" bigint);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "help_throttle";`);
    this.addSql(`delete from "notification" where "help_request_id" is not null;`);
    this.addSql(`alter table "notification" drop constraint "notification_subject_check";`);
    this.addSql(`alter table "notification" drop column "help_request_id";`);
    this.addSql(`alter table "notification" alter column "pre_registration_id" set not null;`);
    this.addSql(`drop table "help_answer";`);
    this.addSql(`drop table "help_request";`);
    this.addSql(`drop table "help_section";`);
  }
}
