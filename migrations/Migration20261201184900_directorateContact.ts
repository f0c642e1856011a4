import { Migration } from '@mikro-orm/migrations';

/**
 * A provincial directorate's contact for parents (issue 15): address in both languages and phone,
 * shown when a commune has no online school map. Null until known (seeded for the demo map's
 * directorates).
 */
export class Migration20261201184900_directorateContact extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "provincial_directorate" add column "address_ar" varchar(300) null, add column "address_fr" varchar(300) null, add column "phone" varchar(20) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "provincial_directorate" drop column "address_ar", drop column "address_fr", drop column "phone";`);
  }
}
