import { Migration } from '@mikro-orm/migrations';

/**
 * Consent to the privacy notice (law 09-08): one row per request, the notice version accepted and
 * when, and the parents' space account that submitted it (null for the one-page form and the API).
 */
export class Migration20261201181500_consent extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "consent_record" (
      "id" uuid not null primary key,
      "pre_registration_id" uuid not null references "pre_registration" ("id") on update cascade on delete cascade,
      "parent_account_id" uuid null,
      "notice_version" varchar(32) not null,
      "accepted_at" timestamptz not null,
      constraint "consent_record_pre_registration_id_unique" unique ("pre_registration_id")
    );`);
    this.addSql(`create index "consent_record_parent_account_id_index" on "consent_record" ("parent_account_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "consent_record";`);
  }
}
