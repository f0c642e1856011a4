import { Migration } from '@mikro-orm/migrations';

/**
 * Supervision: decision deadlines per school year (reminder to the director after N days,
 * escalation to the directorate after M days), retention of rejected and withdrawn requests before
 * anonymisation (law 09-08), escalation and anonymisation marks on requests, staff email addresses.
 */
export class Migration20261129132000_supervision extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "school_year"
      add column "decision_reminder_days" int not null default 7,
      add column "escalation_days" int not null default 14,
      add column "anonymize_after_days" int not null default 365;`);
    this.addSql(`alter table "pre_registration" add column "escalated_at" timestamptz null, add column "anonymized_at" timestamptz null;`);
    this.addSql(`alter table "staff_user" add column "email" varchar(254) null;`);
    this.addSql(`create index "pre_registration_status_updated_at_index" on "pre_registration" ("status", "updated_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "pre_registration_status_updated_at_index";`);
    this.addSql(`alter table "staff_user" drop column "email";`);
    this.addSql(`alter table "pre_registration" drop column "escalated_at", drop column "anonymized_at";`);
    this.addSql(`alter table "school_year" drop column "decision_reminder_days", drop column "escalation_days", drop column "anonymize_after_days";`);
  }
}
