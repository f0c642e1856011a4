import { Migration } from '@mikro-orm/migrations';

/**
 * Supporting documents (issue 14): `supporting_document` holds each document encrypted (AES-256-GCM
 * under a payload-codec key id; deleted with its request), `document_requirement` which kinds a
 * school year and level asks for (seeded from school-years.json), `document_correction` the
 * documents a director named in a correction request.
 */
export class Migration20261201171530_supporting_documents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "supporting_document" ("id" uuid not null, "pre_registration_id" uuid null, "kind" varchar(24) not null, "content_type" varchar(32) not null, "key_id" varchar(32) not null, "ciphertext" bytea not null, "byte_size" int not null, "pages" int null, "width" int null, "height" int null, "added_via" varchar(16) not null, "created_at" timestamptz not null, "attached_at" timestamptz null, "replaced_at" timestamptz null, constraint "supporting_document_pkey" primary key ("id"));`);
    this.addSql(`create index "supporting_document_pre_registration_id_index" on "supporting_document" ("pre_registration_id");`);
    this.addSql(`create index "supporting_document_unattached_index" on "supporting_document" ("created_at") where "pre_registration_id" is null;`);
    this.addSql(`alter table "supporting_document" add constraint "supporting_document_pre_registration_id_foreign" foreign key ("pre_registration_id") references "pre_registration" ("id") on delete cascade;`);
    // Stored already compressed and encrypted: no TOAST compression attempt.
    this.addSql(`alter table "supporting_document" alter column "ciphertext" set storage external;`);

    this.addSql(`create table "document_requirement" ("school_year_code" varchar(9) not null, "level" varchar(16) not null, "kind" varchar(24) not null, "requirement" varchar(8) not null, constraint "document_requirement_pkey" primary key ("school_year_code", "level", "kind"));`);
    this.addSql(`alter table "document_requirement" add constraint "document_requirement_school_year_code_foreign" foreign key ("school_year_code") references "school_year" ("code") on update cascade;`);

    this.addSql(`create table "document_correction" ("id" bigserial primary key, "pre_registration_id" uuid not null, "kind" varchar(24) not null, "problem" varchar(16) not null, "requested_by" varchar(64) not null, "requested_at" timestamptz not null, "resolved_at" timestamptz null);`);
    this.addSql(`create index "document_correction_pre_registration_id_index" on "document_correction" ("pre_registration_id");`);
    this.addSql(`alter table "document_correction" add constraint "document_correction_pre_registration_id_foreign" foreign key ("pre_registration_id") references "pre_registration" ("id") on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "document_correction" cascade;`);
    this.addSql(`drop table if exists "document_requirement" cascade;`);
    this.addSql(`drop table if exists "supporting_document" cascade;`);
  }
}
