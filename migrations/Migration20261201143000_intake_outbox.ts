import { Migration } from '@mikro-orm/migrations';

/**
 * Intake outbox: a submission is accepted once its row is committed; its workflow is started
 * after, by the intake starter (web/services/intakeStarter.ts), which takes the rows whose
 * `workflow_started_at` is null (partial index: only the backlog is indexed). Rows stored before
 * this migration had their workflow started at submission.
 */
export class Migration20261201143000_intake_outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "pre_registration" add column "workflow_started_at" timestamptz null;`);
    this.addSql(`update "pre_registration" set "workflow_started_at" = "submitted_at";`);
    this.addSql(`create index "pre_registration_workflow_pending_index" on "pre_registration" ("submitted_at") where "workflow_started_at" is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "pre_registration_workflow_pending_index";`);
    this.addSql(`alter table "pre_registration" drop column "workflow_started_at";`);
  }
}
