/**
 * The help centre's catalogue (table `help_section`), seeded from migrations/data/help/help.<lang>.json:
 * a section missing from the database is inserted; an existing one is left as staff edited it
 * (the files are the first text, the database the current one).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { HELP_SECTION_LIMITS } from '../../domain/help';
import { HELP_LANGUAGES, type HelpLanguage } from '../../entities/help';


const fileSchema = z.object({
  about: z.string().optional(),
  sections: z.array(z.object({
    anchor: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
    title: z.string().min(1).max(HELP_SECTION_LIMITS.title),
    body: z.string().min(1).max(HELP_SECTION_LIMITS.body),
  })).min(1),
});

export type HelpSeedSection = z.infer<typeof fileSchema>['sections'][number];

/** The sections of one language's file, in order (throws when the file is malformed). */
export function loadHelpFile(lang: HelpLanguage, dir = path.join(__dirname, '..', 'data', 'help')): HelpSeedSection[] {
  const parsed = fileSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, `help.${lang}.json`), 'utf8')));
  return parsed.sections;
}

/** Inserts the missing sections of both languages. @returns how many rows were inserted. */
export async function seedHelpCatalogue(em: EntityManager): Promise<{ inserted: number }> {
  let inserted = 0;
  for (const lang of HELP_LANGUAGES) {
    const sections = loadHelpFile(lang);
    for (const [i, s] of sections.entries()) {
      const rows = await em.getConnection().execute<unknown[]>(
        `insert into help_section (lang, anchor, position, title, body, updated_at) values (?, ?, ?, ?, ?, now())
         on conflict (lang, anchor) do nothing returning anchor`,
        [lang, s.anchor, (i + 1) * 10, s.title, s.body],
      );
      inserted += rows.length;
    }
  }
  return { inserted };
}
