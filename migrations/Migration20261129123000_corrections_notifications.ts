import { Migration } from '@mikro-orm/migrations';

/**
 * Corrections and withdrawals (the director's message to the parent), Massar export failures,
 * exactly-once notifications (idempotency key recorded before sending, occurrence for repeated
 * events, provider id, SMS segments, permanent failures), and the client address in the audit log.
 */
export class Migration20261129123000_corrections_notifications extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "pre_registration" add column "correction_message" text null, add column "export_error" text null;`);
    this.addSql(`alter table "notification" drop constraint "notification_pre_registration_id_event_channel_unique";`);
    this.addSql(`alter table "notification"
      add column "occurrence" int not null default 0,
      add column "idempotency_key" varchar(120) null,
      add column "recipient" varchar(254) not null default '',
      add column "segments" int null,
      add column "error" text null,
      add column "attempts" int not null default 0,
      add column "updated_at" timestamptz null,
      alter column "sent_at" drop not null;`);
    this.addSql(`update "notification" set "idempotency_key" = "pre_registration_id"::text || ':' || "event" || ':0:' || "channel";`);
    this.addSql(`alter table "notification" alter column "idempotency_key" set not null;`);
    this.addSql(`alter table "notification" add constraint "notification_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "notification_pre_registration_id_index" on "notification" ("pre_registration_id");`);
    this.addSql(`alter table "audit_log" add column "ip" varchar(45) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "audit_log" drop column "ip";`);
    this.addSql(`drop index "notification_pre_registration_id_index";`);
    this.addSql(`alter table "notification" drop constraint "notification_idempotency_key_unique";`);
    this.addSql(`delete from "notification" where "occurrence" <> 0;`);
    this.addSql(`alter table "notification" drop column "occurrence", drop column "idempotency_key", drop column "recipient", drop column "segments", drop column "error", drop column "attempts", drop column "updated_at";`);
    this.addSql(`alter table "notification" alter column "sent_at" set not null;`);
    this.addSql(`alter table "notification" add constraint "notification_pre_registration_id_event_channel_unique" unique ("pre_registration_id", "event", "channel");`);
    this.addSql(`alter table "pre_registration" drop column "correction_message", drop column "export_error";`);
  }
}
