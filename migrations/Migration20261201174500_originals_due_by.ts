import { Migration } from '@mikro-orm/migrations';

/**
 * The last day an approved child's guardian brings the originals to the school (a date of the
 * school year, seeded from school-years.json; null = not set, the messages then give no date).
 */
export class Migration20261201174500_originals_due_by extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "school_year" add column "originals_due_by" date null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "school_year" drop column "originals_due_by";`);
  }
}
