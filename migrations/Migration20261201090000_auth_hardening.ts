import { Migration } from '@mikro-orm/migrations';

/**
 * Sign-in hardening and the staff second factor:
 * - `rate_limit`: the counters of rate-limiter-flexible's RateLimiterPostgres (shared by every web
 *   process; keys are HMACs, never an address or an identifier in clear). One table for every
 *   limiter (each has its own key prefix): the library names its prepared statements without the
 *   table, so two tables on one pool would clash.
 * - `staff_user`: the TOTP secret (AES-256-GCM, `STAFF_TOTP_KEY`), when it was confirmed, and the
 *   last time step accepted (a code is used once).
 * - `staff_recovery_code`: ten single-use recovery codes per user, stored as HMAC-SHA256 only.
 * - `staff_api_token`: per-user API tokens (SHA-256 of the token only), named, revocable.
 */
export class Migration20261201090000_auth_hardening extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "rate_limit" ("key" varchar(255) not null, "points" integer not null default 0, "expire" bigint null, constraint "rate_limit_pkey" primary key ("key"));`);
    this.addSql(`create index "rate_limit_expire_index" on "rate_limit" ("expire");`);

    this.addSql(`alter table "staff_user" add column "totp_secret" text null, add column "totp_enrolled_at" timestamptz null, add column "totp_last_step" integer null;`);

    this.addSql(`create table "staff_recovery_code" ("id" uuid not null, "user_id" uuid not null, "code_hash" varchar(64) not null, "created_at" timestamptz not null, "used_at" timestamptz null, constraint "staff_recovery_code_pkey" primary key ("id"));`);
    this.addSql(`alter table "staff_recovery_code" add constraint "staff_recovery_code_user_id_foreign" foreign key ("user_id") references "staff_user" ("id") on update cascade on delete cascade;`);
    this.addSql(`create unique index "staff_recovery_code_code_hash_unique" on "staff_recovery_code" ("code_hash");`);
    this.addSql(`create index "staff_recovery_code_user_id_index" on "staff_recovery_code" ("user_id");`);

    this.addSql(`create table "staff_api_token" ("id" uuid not null, "user_id" uuid not null, "name" varchar(80) not null, "token_hash" varchar(64) not null, "prefix" varchar(16) not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "staff_api_token_pkey" primary key ("id"));`);
    this.addSql(`alter table "staff_api_token" add constraint "staff_api_token_user_id_foreign" foreign key ("user_id") references "staff_user" ("id") on update cascade on delete cascade;`);
    this.addSql(`create unique index "staff_api_token_token_hash_unique" on "staff_api_token" ("token_hash");`);
    this.addSql(`create index "staff_api_token_user_id_index" on "staff_api_token" ("user_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "staff_api_token" cascade;`);
    this.addSql(`drop table if exists "staff_recovery_code" cascade;`);
    this.addSql(`alter table "staff_user" drop column "totp_secret", drop column "totp_enrolled_at", drop column "totp_last_step";`);
    this.addSql(`drop table if exists "rate_limit" cascade;`);
  }
}
