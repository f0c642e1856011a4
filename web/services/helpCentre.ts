/**
 * The help centre (/help): its sections are data — table `help_section`, one catalogue per
 * language, seeded from migrations/data/help/ and edited by administrators and supervisors on
 * /staff/help-centre without a deploy (audited `help.section.edit`). The parts that come from the
 * campaign's data are computed here: the age rule and tolerance band of each level and the
 * campaign dates of the current school year (tables `age_rule`, `campaign_window`), and the green
 * number.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { GREEN_NUMBER, HELP_SECTION_LIMITS } from '../../domain/help';
import type { Language } from '../../domain/types';
import { HELP_LANGUAGES, HelpSection, type StaffUser } from '../../entities';
import { recordAudit } from './audit';
import { displayDate } from './campaign';
import { currentSchoolYear } from './schoolMap';

export { HELP_SECTION_LIMITS };

/** One block of a section's body: a paragraph or a list. */
export type HelpBlock = { paragraph: string } | { items: string[] };

/** Plain text → blocks: paragraphs separated by blank lines; consecutive "- " lines form a list. */
export function helpBlocks(body: string): HelpBlock[] {
  const blocks: HelpBlock[] = [];
  for (const chunk of body.replace(/\r\n?/g, '\n').split(/\n\s*\n/)) {
    const lines = chunk.split('\n').map((l) => l.trim()).filter(Boolean);
    let para: string[] = [];
    let items: string[] = [];
    const flush = () => {
      if (para.length) blocks.push({ paragraph: para.join(' ') });
      if (items.length) blocks.push({ items });
      para = [];
      items = [];
    };
    for (const line of lines) {
      if (/^[-•]\s+/.test(line)) {
        if (para.length) { blocks.push({ paragraph: para.join(' ') }); para = []; }
        items.push(line.replace(/^[-•]\s+/, ''));
      } else {
        if (items.length) { blocks.push({ items }); items = []; }
        para.push(line);
      }
    }
    flush();
  }
  return blocks;
}

/** The age rule of one level of the current campaign (dates as DD/MM/YYYY). */
export interface AgeRuleView {
  level: string;
  eligibleBornOnOrBefore: string;
  eligibleBornOnOrAfter: string | null;
  toleranceFrom: string | null;
  toleranceTo: string | null;
}

/** The help centre in one language: its sections in order and the campaign's data. */
export interface HelpCentre {
  sections: Array<{ anchor: string; title: string; blocks: HelpBlock[] }>;
  schoolYear: string | null;
  ageRules: AgeRuleView[];
  windows: Array<{ level: string; opensOn: string; closesOn: string }>;
  greenNumber: typeof GREEN_NUMBER;
}

/** Reads the help centre of `lang` (sections from the database, age rules and dates of the current school year). */
export async function helpCentre(em: EntityManager, lang: Language): Promise<HelpCentre> {
  const sections = await em.find(HelpSection, { lang }, { orderBy: { position: 'asc', anchor: 'asc' } });
  const year = await currentSchoolYear(em);
  const conn = em.getConnection();
  const rules = year ? await conn.execute<Array<Record<string, string | null>>>(
    `select level, to_char(eligible_born_on_or_before, 'YYYY-MM-DD') as before, to_char(eligible_born_on_or_after, 'YYYY-MM-DD') as after,
            to_char(tolerance_born_from, 'YYYY-MM-DD') as tol_from, to_char(tolerance_born_to, 'YYYY-MM-DD') as tol_to
       from age_rule where school_year_code = ? order by case level when 'preschool' then 0 else 1 end, level`, [year.code]) : [];
  const windows = year ? await conn.execute<Array<Record<string, string>>>(
    `select level, to_char(opens_on, 'YYYY-MM-DD') as opens_on, to_char(closes_on, 'YYYY-MM-DD') as closes_on
       from campaign_window where school_year_code = ? order by case level when 'preschool' then 0 else 1 end, level`, [year.code]) : [];
  const d = (x: string | null) => (x ? displayDate(x) : null);
  return {
    sections: sections.map((s) => ({ anchor: s.anchor, title: s.title, blocks: helpBlocks(s.body) })),
    schoolYear: year?.code ?? null,
    ageRules: rules.map((r) => ({
      level: String(r.level), eligibleBornOnOrBefore: d(r.before)!, eligibleBornOnOrAfter: d(r.after), toleranceFrom: d(r.tol_from), toleranceTo: d(r.tol_to),
    })),
    windows: windows.map((w) => ({ level: w.level, opensOn: displayDate(w.opens_on), closesOn: displayDate(w.closes_on) })),
    greenNumber: GREEN_NUMBER,
  };
}

/** Every section of both languages, for the staff editor. */
export async function helpSections(em: EntityManager): Promise<HelpSection[]> {
  return em.find(HelpSection, {}, { orderBy: { position: 'asc', anchor: 'asc', lang: 'asc' } });
}

/** Who may edit the help centre: administrators and supervisors (not directors). */
export function canEditHelp(user: Pick<StaffUser, 'role'>): boolean {
  return user.role === 'administrator' || user.role === 'academySupervisor' || user.role === 'provincialSupervisor';
}

const text = (max: number) => z.string().transform((s) => s.replace(/\r\n?/g, '\n').trim()).pipe(z.string().min(1, 'required').max(max, 'tooLong'));
const sectionEdit = z.object({ title: text(HELP_SECTION_LIMITS.title), body: text(HELP_SECTION_LIMITS.body) });

/** What an edit gave: saved, or the fields' catalogue codes (`help.edit.required`, `help.edit.titleTooLong`, `help.edit.bodyTooLong`). */
export type SectionEditResult = { ok: true } | { ok: false; notFound?: true; errors: Record<string, string> };

/**
 * Saves a section's title and body (limits: 160 and 6,000 characters, not empty), audited as
 * `help.section.edit` with the language, the anchor and the lengths before and after.
 */
export async function editHelpSection(
  em: EntityManager, user: StaffUser, lang: string, anchor: string, raw: { title?: unknown; body?: unknown }, ip?: string,
): Promise<SectionEditResult> {
  if (!canEditHelp(user) || !(HELP_LANGUAGES as readonly string[]).includes(lang)) return { ok: false, notFound: true, errors: {} };
  const section = await em.findOne(HelpSection, { lang: lang as Language, anchor });
  if (!section) return { ok: false, notFound: true, errors: {} };
  const parsed = sectionEdit.safeParse({ title: typeof raw.title === 'string' ? raw.title : '', body: typeof raw.body === 'string' ? raw.body : '' });
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) errors[String(issue.path[0])] ??= issue.message === 'tooLong' ? `help.edit.${String(issue.path[0])}TooLong` : 'help.edit.required';
    return { ok: false, errors };
  }
  const before = { title: section.title.length, body: section.body.length };
  section.title = parsed.data.title;
  section.body = parsed.data.body;
  section.updatedAt = new Date();
  section.updatedBy = user.id;
  await em.flush();
  await recordAudit(em, { user, action: 'help.section.edit', ip, details: { lang, anchor, before, after: { title: section.title.length, body: section.body.length } } });
  return { ok: true };
}
