import { Migration } from '@mikro-orm/migrations';

/**
 * The directors' queue at scale (issue 4): a trigram GIN index on `search_text` so that infix and
 * token-prefix search (`like '%tok%'`, `~ '(^|[ ''-])tok'`) uses an index (falls back to a
 * `text_pattern_ops` btree — prefix search only — where the `pg_trgm` extension cannot be
 * created), indexes for the queue's scope + sort + filters and for the seats count, and an
 * append-only audit log (a trigger refuses UPDATE, DELETE and TRUNCATE on `audit_log`).
 */
export class Migration20261129131000_queue_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`do $$
begin
  begin
    create extension if not exists pg_trgm;
  exception when others then
    raise notice 'pg_trgm unavailable (%): prefix-only search index', sqlerrm;
  end;
  if exists (select 1 from pg_extension where extname = 'pg_trgm') then
    execute 'create index "pre_registration_search_text_trgm" on "pre_registration" using gin ("search_text" gin_trgm_ops)';
  else
    execute 'create index "pre_registration_search_text_trgm" on "pre_registration" ("search_text" text_pattern_ops)';
  end if;
end $$;`);
    this.addSql(`create index "pre_registration_school_submitted_index" on "pre_registration" ("school_code", "submitted_at" desc, "id");`);
    // Covering index: the queue's counts per filter read only the index (index-only scan).
    this.addSql(`create index "pre_registration_queue_counts_index" on "pre_registration" ("school_code", "submitted_at") include ("status", "age_check", "zone_check", "duplicate_check", "hijri_check");`);
    this.addSql(`create index "pre_registration_school_status_submitted_index" on "pre_registration" ("school_code", "status", "submitted_at" desc);`);
    this.addSql(`create index "pre_registration_seats_index" on "pre_registration" ("school_code", "school_year", "level", "status");`);
    this.addSql(`create index "pre_registration_submitted_index" on "pre_registration" ("submitted_at" desc, "id");`);
    this.addSql(`create index "audit_log_actor_id_index" on "audit_log" ("actor_id", "at");`);
    this.addSql(`create or replace function "audit_log_append_only"() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only (% refused)', tg_op;
end $$;`);
    this.addSql(`create trigger "audit_log_no_update_delete" before update or delete on "audit_log" for each row execute function "audit_log_append_only"();`);
    this.addSql(`create trigger "audit_log_no_truncate" before truncate on "audit_log" for each statement execute function "audit_log_append_only"();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "audit_log_no_truncate" on "audit_log";`);
    this.addSql(`drop trigger if exists "audit_log_no_update_delete" on "audit_log";`);
    this.addSql(`drop function if exists "audit_log_append_only"();`);
    this.addSql(`drop index if exists "audit_log_actor_id_index";`);
    this.addSql(`drop index if exists "pre_registration_submitted_index";`);
    this.addSql(`drop index if exists "pre_registration_seats_index";`);
    this.addSql(`drop index if exists "pre_registration_school_status_submitted_index";`);
    this.addSql(`drop index if exists "pre_registration_queue_counts_index";`);
    this.addSql(`drop index if exists "pre_registration_school_submitted_index";`);
    this.addSql(`drop index if exists "pre_registration_search_text_trgm";`);
  }
}
