import { Migration } from '@mikro-orm/migrations';

/**
 * Intake outbox: a submission through a public door is accepted once its row is committed with
 * `workflow_start_requested_at` set; the intake starter (web/services/intakeStarter.ts) starts its
 * workflow and clears it. Null — every other row (earlier requests, rows written by imports or
 * tests) — means nothing to start. The partial index holds only the backlog.
 */
export class Migration20261201143000_intake_outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "pre_registration" add column "workflow_start_requested_at" timestamptz null;`);
    this.addSql(`create index "pre_registration_workflow_start_requested_index" on "pre_registration" ("workflow_start_requested_at") where "workflow_start_requested_at" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "pre_registration_workflow_start_requested_index";`);
    this.addSql(`alter table "pre_registration" drop column "workflow_start_requested_at";`);
  }
}
