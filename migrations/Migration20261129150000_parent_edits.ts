import { Migration } from '@mikro-orm/migrations';

/**
 * Parent edits before the school opens the request: when staff first opened it (and who), and the
 * parent's revisions (the normalised submission as JSON, the new photo's key, pending → applied or
 * refused). Revisions hold personal data: the retention run deletes those of expired requests.
 */
export class Migration20261129150000_parent_edits extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "pre_registration" add column "opened_at" timestamptz null, add column "opened_by" varchar(64) null;`);
    this.addSql(`create table "pre_registration_revision" ("id" uuid not null, "pre_registration_id" uuid not null, "data" jsonb not null, "photo_key" varchar(64) null, "status" varchar(8) not null, "created_at" timestamptz not null, "applied_at" timestamptz null, constraint "pre_registration_revision_pkey" primary key ("id"), constraint "pre_registration_revision_status_check" check ("status" in ('pending', 'applied', 'refused')));`);
    this.addSql(`create index "pre_registration_revision_pre_registration_id_index" on "pre_registration_revision" ("pre_registration_id");`);
    this.addSql(`alter table "pre_registration_revision" add constraint "pre_registration_revision_pre_registration_id_foreign" foreign key ("pre_registration_id") references "pre_registration" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "pre_registration_revision" cascade;`);
    this.addSql(`alter table "pre_registration" drop column "opened_at", drop column "opened_by";`);
  }
}
