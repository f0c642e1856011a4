import { Migration } from '@mikro-orm/migrations';

/**
 * The parents' space: accounts (email or mobile + argon2id password, verified by a one-time code),
 * one-time codes (HMAC only), drafts resumable on any device, the account that submitted each
 * request, and the reason given when the parent chose a school outside their residence zone.
 */
export class Migration20261129140000_parents_space extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "parent_account" (
      "id" uuid not null primary key,
      "email" varchar(254) null unique,
      "phone" varchar(16) null unique,
      "password_hash" varchar(255) not null,
      "language" varchar(2) not null,
      "verified_at" timestamptz null,
      "profile" jsonb not null default '{}',
      "failed_sign_ins" int not null default 0,
      "locked_until" timestamptz null,
      "created_at" timestamptz not null,
      "last_sign_in_at" timestamptz null,
      constraint "parent_account_identifier_check" check ("email" is not null or "phone" is not null));`);
    this.addSql(`create table "one_time_code" (
      "id" uuid not null primary key,
      "account_id" uuid not null references "parent_account" ("id") on delete cascade,
      "purpose" varchar(8) not null,
      "channel" varchar(5) not null,
      "code_hash" varchar(64) not null,
      "attempts" int not null default 0,
      "expires_at" timestamptz not null,
      "consumed_at" timestamptz null,
      "created_at" timestamptz not null);`);
    this.addSql(`create index "one_time_code_account_id_created_at_index" on "one_time_code" ("account_id", "created_at");`);
    this.addSql(`create table "pre_registration_draft" (
      "id" uuid not null primary key,
      "account_id" uuid not null references "parent_account" ("id") on delete cascade,
      "data" jsonb not null,
      "step" varchar(16) not null,
      "photo_key" varchar(64) null,
      "reference" varchar(20) null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "submitted_at" timestamptz null);`);
    this.addSql(`create index "pre_registration_draft_account_id_updated_at_index" on "pre_registration_draft" ("account_id", "updated_at");`);
    this.addSql(`alter table "pre_registration" add column "parent_account_id" uuid null references "parent_account" ("id") on delete set null, add column "school_choice_reason" text null;`);
    this.addSql(`create index "pre_registration_parent_account_id_index" on "pre_registration" ("parent_account_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "pre_registration" drop column "parent_account_id", drop column "school_choice_reason";`);
    this.addSql(`drop table "pre_registration_draft";`);
    this.addSql(`drop table "one_time_code";`);
    this.addSql(`drop table "parent_account";`);
  }
}
