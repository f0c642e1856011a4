import { Migration } from '@mikro-orm/migrations';

/**
 * One rule per operation (issue 11):
 * - `unlock_throttle`: the persistent counter of failed unlocks (birth certificate number proofs),
 *   in the layout of rate-limiter-flexible's RateLimiterPostgres (created here, not at run time:
 *   the limiter runs with `tableCreated: true`). Keys are HMACs, never a reference or an address.
 * - `campaign_window`: the pre-registration window of each school year and level (inclusive dates,
 *   end of day in Africa/Casablanca), seeded from migrations/data/school-years.json.
 * - `pre_registration.child_key`: `<school year>|bc:<normalised certificate number>|<birth date>`,
 *   unique among requests that are not withdrawn or rejected — one child, one request, whatever
 *   the tab or the door (a withdrawn or rejected child may be submitted again). Existing rows get
 *   it from their duplicate keys; of several active requests of one child only the first keeps it.
 * - `pre_registration.submission_hash`: the SHA-256 of the body an API `Idempotency-Key` was first
 *   used with (the same key with another body is refused).
 */
export class Migration20261201140000_operations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "unlock_throttle" ("key" varchar(255) primary key, "points" integer not null default 0, "expire" bigint);`);
    this.addSql(`create table "campaign_window" (
      "school_year_code" varchar(9) not null references "school_year" ("code") on update cascade,
      "level" varchar(16) not null,
      "opens_on" date not null,
      "closes_on" date not null,
      constraint "campaign_window_pkey" primary key ("school_year_code", "level"),
      constraint "campaign_window_dates_check" check ("closes_on" >= "opens_on"));`);
    this.addSql(`insert into "campaign_window" ("school_year_code", "level", "opens_on", "closes_on")
      select y."code", l."level", y."campaign_opens_on", y."campaign_closes_on" from "school_year" y cross join (values ('primary1'), ('preschool')) as l("level")
      on conflict do nothing;`);
    this.addSql(`alter table "pre_registration" add column "child_key" text null, add column "submission_hash" varchar(64) null;`);
    this.addSql(`with keyed as (
        select p."id", p."school_year" || '|' || k."key" as "child_key",
               row_number() over (partition by p."school_year", k."key" order by p."submitted_at", p."id") as "n"
          from "pre_registration" p
          cross join lateral (select d as "key" from unnest(p."duplicate_keys") d where d like 'bc:%' limit 1) k
         where p."status" not in ('withdrawn', 'rejected'))
      update "pre_registration" p set "child_key" = keyed."child_key" from keyed where keyed."id" = p."id" and keyed."n" = 1;`);
    this.addSql(`create unique index "pre_registration_one_request_per_child" on "pre_registration" ("child_key") where "status" not in ('withdrawn', 'rejected');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "pre_registration_one_request_per_child";`);
    this.addSql(`alter table "pre_registration" drop column "child_key", drop column "submission_hash";`);
    this.addSql(`drop table "campaign_window";`);
    this.addSql(`drop table "unlock_throttle";`);
  }
}
