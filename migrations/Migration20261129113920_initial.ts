import { Migration } from '@mikro-orm/migrations';

/**
 * Initial schema: reference data, school map, pre-registrations and their timeline, staff, audit,
 * web sessions (connect-pg-simple's table), and the development sandboxes' own tables
 * (Massar sandbox students, the dev outbox of captured emails and SMS).
 */

export class Migration20261129113920_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "academy" ("code" varchar(2) not null, "name_ar" varchar(200) not null, "name_fr" varchar(200) not null, "region_name_ar" varchar(100) not null, "region_name_fr" varchar(100) not null, constraint "academy_pkey" primary key ("code"));`);

    this.addSql(`create table "audit_log" ("id" bigserial primary key, "at" timestamptz not null, "actor_id" varchar(64) not null, "actor_role" varchar(24) not null, "action" varchar(48) not null, "reference" varchar(20) null, "details" jsonb not null);`);
    this.addSql(`create index "audit_log_reference_index" on "audit_log" ("reference");`);
    this.addSql(`create index "audit_log_at_index" on "audit_log" ("at");`);

    this.addSql(`create table "photo" ("key" varchar(64) not null, "content_type" varchar(32) not null, "bytes" bytea not null, "width" int not null, "height" int not null, "created_at" timestamptz not null, constraint "photo_pkey" primary key ("key"));`);

    this.addSql(`create table "provincial_directorate" ("code" varchar(16) not null, "name_ar" varchar(120) not null, "name_fr" varchar(120) not null, "kind" varchar(2) not null, "academy_code" varchar(2) not null, constraint "provincial_directorate_pkey" primary key ("code"));`);
    this.addSql(`create index "provincial_directorate_academy_code_index" on "provincial_directorate" ("academy_code");`);

    this.addSql(`create table "commune" ("code" varchar(16) not null, "name_ar" varchar(120) not null, "name_fr" varchar(120) not null, "type" varchar(16) not null, "kind" varchar(16) not null, "parent_code" varchar(16) null, "directorate_code" varchar(16) null, "population2024" int not null, "has_arrondissements" boolean not null default false, constraint "commune_pkey" primary key ("code"));`);
    this.addSql(`create index "commune_directorate_code_index" on "commune" ("directorate_code");`);

    this.addSql(`create table "rejection_reason" ("code" varchar(32) not null, "text_ar" varchar(300) not null, "text_fr" varchar(300) not null, "sort_order" int not null, "active" boolean not null default true, constraint "rejection_reason_pkey" primary key ("code"));`);

    this.addSql(`create table "residence_zone" ("code" varchar(32) not null, "name_ar" varchar(150) not null, "name_fr" varchar(150) not null, "commune_code" varchar(16) not null, "is_demo" boolean not null default false, constraint "residence_zone_pkey" primary key ("code"));`);
    this.addSql(`create index "residence_zone_commune_code_index" on "residence_zone" ("commune_code");`);

    this.addSql(`create table "school" ("code" varchar(16) not null, "name_ar" varchar(200) not null, "name_fr" varchar(200) not null, "address_ar" varchar(300) not null default '', "address_fr" varchar(300) not null default '', "kind" varchar(16) not null, "commune_code" varchar(16) not null, "directorate_code" varchar(16) not null, "parent_school_code" varchar(16) null, "is_demo" boolean not null default false, constraint "school_pkey" primary key ("code"));`);
    this.addSql(`create index "school_commune_code_index" on "school" ("commune_code");`);
    this.addSql(`create index "school_directorate_code_index" on "school" ("directorate_code");`);
    this.addSql(`create index "school_parent_school_code_index" on "school" ("parent_school_code");`);

    this.addSql(`create table "pre_registration" ("id" uuid not null, "reference" varchar(20) not null, "submission_token" varchar(64) not null, "status" varchar(24) not null, "school_year" varchar(9) not null, "level" varchar(16) not null, "school_code" varchar(16) not null, "commune_code" varchar(16) not null, "residence_zone_code" varchar(32) not null, "child_first_name_ar" varchar(60) not null, "child_last_name_ar" varchar(60) not null, "child_first_name_latin" varchar(60) not null, "child_last_name_latin" varchar(60) not null, "birth_date" date not null, "birth_date_hijri" varchar(10) not null, "birth_place" varchar(100) not null, "birth_certificate_number" varchar(30) not null, "birth_certificate_date" date not null, "father_lineage" varchar(150) not null, "mother_lineage" varchar(150) not null, "guardian_role" varchar(8) not null, "father" jsonb not null, "mother" jsonb not null, "tutor" jsonb null, "siblings" jsonb not null, "contact_email" varchar(254) not null default '', "contact_phone" varchar(20) not null default '', "contact_phone_is_mobile" boolean not null default false, "language" varchar(2) not null, "photo_key" varchar(64) null, "search_text" text not null, "duplicate_keys" text[] not null, "age_check" varchar(16) null, "zone_check" varchar(16) null, "duplicate_check" varchar(24) null, "hijri_check" varchar(16) null, "checks" jsonb null, "decision" varchar(8) null, "rejection_reasons" text[] not null, "decision_note" text null, "decided_by" varchar(64) null, "decided_at" timestamptz null, "massar_code" varchar(10) null, "workflow_id" varchar(64) not null, "submitted_at" timestamptz not null, "updated_at" timestamptz not null, constraint "pre_registration_pkey" primary key ("id"));`);
    this.addSql(`alter table "pre_registration" add constraint "pre_registration_reference_unique" unique ("reference");`);
    this.addSql(`alter table "pre_registration" add constraint "pre_registration_submission_token_unique" unique ("submission_token");`);
    this.addSql(`alter table "pre_registration" add constraint "pre_registration_massar_code_unique" unique ("massar_code");`);
    this.addSql(`create index "pre_registration_school_code_status_index" on "pre_registration" ("school_code", "status");`);
    this.addSql(`create index "pre_registration_school_year_status_index" on "pre_registration" ("school_year", "status");`);

    this.addSql(`create table "pre_registration_event" ("id" bigserial primary key, "pre_registration_id" uuid not null, "event_key" varchar(64) not null, "type" varchar(32) not null, "status" varchar(24) null, "actor" varchar(64) null, "details" jsonb not null, "at" timestamptz not null);`);
    this.addSql(`alter table "pre_registration_event" add constraint "pre_registration_event_pre_registration_id_event_key_unique" unique ("pre_registration_id", "event_key");`);

    this.addSql(`create table "notification" ("id" serial primary key, "pre_registration_id" uuid not null, "event" varchar(24) not null, "channel" varchar(8) not null, "status" varchar(8) not null, "provider_message_id" varchar(255) null, "sent_at" timestamptz not null);`);
    this.addSql(`alter table "notification" add constraint "notification_pre_registration_id_event_channel_unique" unique ("pre_registration_id", "event", "channel");`);

    this.addSql(`create table "school_zone" ("school_code" varchar(16) not null, "residence_zone_code" varchar(32) not null, constraint "school_zone_pkey" primary key ("school_code", "residence_zone_code"));`);

    this.addSql(`create table "school_year" ("code" varchar(9) not null, "start_date" date not null, "campaign_opens_on" date not null, "campaign_closes_on" date not null, "is_current" boolean not null default false, constraint "school_year_pkey" primary key ("code"));`);

    this.addSql(`create table "school_capacity" ("id" serial primary key, "school_code" varchar(16) not null, "school_year_code" varchar(9) not null, "level" varchar(16) not null, "seats" int not null);`);
    this.addSql(`alter table "school_capacity" add constraint "school_capacity_school_code_school_year_code_level_unique" unique ("school_code", "school_year_code", "level");`);

    this.addSql(`create table "age_rule" ("id" serial primary key, "school_year_code" varchar(9) not null, "level" varchar(16) not null, "eligible_born_on_or_before" date not null, "eligible_born_on_or_after" date null, "tolerance_born_from" date null, "tolerance_born_to" date null, "reference_date" date not null, "source" text not null);`);
    this.addSql(`alter table "age_rule" add constraint "age_rule_school_year_code_level_unique" unique ("school_year_code", "level");`);

    this.addSql(`create table "staff_user" ("id" uuid not null, "username" varchar(64) not null, "password_hash" varchar(255) not null, "display_name" varchar(120) not null, "role" varchar(24) not null, "school_code" varchar(16) null, "directorate_code" varchar(16) null, "academy_code" varchar(2) null, "active" boolean not null default true, "created_at" timestamptz not null, "last_sign_in_at" timestamptz null, constraint "staff_user_pkey" primary key ("id"));`);
    this.addSql(`alter table "staff_user" add constraint "staff_user_username_unique" unique ("username");`);

    this.addSql(`alter table "provincial_directorate" add constraint "provincial_directorate_academy_code_foreign" foreign key ("academy_code") references "academy" ("code") on update cascade;`);

    this.addSql(`alter table "commune" add constraint "commune_directorate_code_foreign" foreign key ("directorate_code") references "provincial_directorate" ("code") on update cascade on delete set null;`);

    this.addSql(`alter table "residence_zone" add constraint "residence_zone_commune_code_foreign" foreign key ("commune_code") references "commune" ("code") on update cascade;`);

    this.addSql(`alter table "school" add constraint "school_commune_code_foreign" foreign key ("commune_code") references "commune" ("code") on update cascade;`);
    this.addSql(`alter table "school" add constraint "school_directorate_code_foreign" foreign key ("directorate_code") references "provincial_directorate" ("code") on update cascade;`);
    this.addSql(`alter table "school" add constraint "school_parent_school_code_foreign" foreign key ("parent_school_code") references "school" ("code") on update cascade on delete set null;`);

    this.addSql(`alter table "pre_registration" add constraint "pre_registration_school_code_foreign" foreign key ("school_code") references "school" ("code") on update cascade;`);
    this.addSql(`alter table "pre_registration" add constraint "pre_registration_commune_code_foreign" foreign key ("commune_code") references "commune" ("code") on update cascade;`);
    this.addSql(`alter table "pre_registration" add constraint "pre_registration_residence_zone_code_foreign" foreign key ("residence_zone_code") references "residence_zone" ("code") on update cascade;`);

    this.addSql(`alter table "pre_registration_event" add constraint "pre_registration_event_pre_registration_id_foreign" foreign key ("pre_registration_id") references "pre_registration" ("id") on update cascade;`);

    this.addSql(`alter table "notification" add constraint "notification_pre_registration_id_foreign" foreign key ("pre_registration_id") references "pre_registration" ("id") on update cascade;`);

    this.addSql(`alter table "school_zone" add constraint "school_zone_school_code_foreign" foreign key ("school_code") references "school" ("code") on update cascade on delete cascade;`);
    this.addSql(`alter table "school_zone" add constraint "school_zone_residence_zone_code_foreign" foreign key ("residence_zone_code") references "residence_zone" ("code") on update cascade on delete cascade;`);

    this.addSql(`alter table "school_capacity" add constraint "school_capacity_school_code_foreign" foreign key ("school_code") references "school" ("code") on update cascade;`);
    this.addSql(`alter table "school_capacity" add constraint "school_capacity_school_year_code_foreign" foreign key ("school_year_code") references "school_year" ("code") on update cascade;`);

    this.addSql(`alter table "age_rule" add constraint "age_rule_school_year_code_foreign" foreign key ("school_year_code") references "school_year" ("code") on update cascade;`);

    this.addSql(`alter table "staff_user" add constraint "staff_user_school_code_foreign" foreign key ("school_code") references "school" ("code") on update cascade on delete set null;`);
    this.addSql(`alter table "staff_user" add constraint "staff_user_directorate_code_foreign" foreign key ("directorate_code") references "provincial_directorate" ("code") on update cascade on delete set null;`);
    this.addSql(`alter table "staff_user" add constraint "staff_user_academy_code_foreign" foreign key ("academy_code") references "academy" ("code") on update cascade on delete set null;`);
    this.addSql(`create index "pre_registration_duplicate_keys_index" on "pre_registration" using gin ("duplicate_keys");`);
    this.addSql(`create index "pre_registration_event_pre_registration_id_index" on "pre_registration_event" ("pre_registration_id", "at");`);
    this.addSql(`create table "session" ("sid" varchar not null collate "default", "sess" json not null, "expire" timestamp(6) not null, constraint "session_pkey" primary key ("sid"));`);
    this.addSql(`create index "session_expire_index" on "session" ("expire");`);
    this.addSql(`create table "massar_sandbox_student" ("idempotency_key" varchar(64) primary key, "massar_code" char(10) not null unique, "payload" jsonb not null, "created_at" timestamptz not null default now());`);
    this.addSql(`create table "dev_outbox_message" ("id" bigserial primary key, "channel" varchar(8) not null check ("channel" in ('email','sms')), "sender" varchar(255), "recipient" varchar(255) not null, "subject" text, "body" text not null, "html" text, "raw" text, "meta" jsonb not null default '{}', "created_at" timestamptz not null default now());`);
  }

}
