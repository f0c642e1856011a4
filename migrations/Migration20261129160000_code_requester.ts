import { Migration } from '@mikro-orm/migrations';

/**
 * One-time codes remember who asked for them as an HMAC of the client address (never the address
 * itself), so that one client cannot make Tasjil send codes to many numbers ("SMS pumping").
 */
export class Migration20261129160000_code_requester extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "one_time_code" add column "requester_hash" varchar(64) null;`);
    this.addSql(`create index "one_time_code_requester_hash_created_at_index" on "one_time_code" ("requester_hash", "created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "one_time_code_requester_hash_created_at_index";`);
    this.addSql(`alter table "one_time_code" drop column "requester_hash";`);
  }
}
