/**
 * The campaign window: parents submit (and edit) a request of a school year and level only while
 * its window is open — from `opensOn` to the end of `closesOn`, civil days in Africa/Casablanca
 * (table `campaign_window`, seeded from migrations/data/school-years.json). Both doors refuse
 * outside it with the dates in the message. `now` comes from the caller (the app's clock), so
 * tests set the time instead of changing the data.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { todayInCasablanca } from '../../domain/dates';
import type { FieldError } from '../../domain/submission';
import type { Level } from '../../domain/types';
import { CampaignWindow } from '../../entities';

/** A window's inclusive dates (YYYY-MM-DD). */
export interface Window { opensOn: string; closesOn: string }

/** The window of a school year and level, or null when none is defined (an unknown year). */
export async function campaignWindow(em: EntityManager, schoolYear: string, level: Level): Promise<Window | null> {
  if (!/^\d{4}-\d{4}$/.test(schoolYear)) return null;
  const w = await em.findOne(CampaignWindow, { schoolYear, level });
  return w ? { opensOn: w.opensOn, closesOn: w.closesOn } : null;
}

/** `2027-06-30` → `30/06/2027` (as on Moroccan forms, in both languages). */
export function displayDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

/**
 * The refusal of a submission or an edit at `now` (on field `schoolYear`, catalogue keys
 * `validation.campaignNotOpen` / `validation.campaignClosed` with the year and both dates), or null
 * when the window is open. A day is open until 23:59:59.999 Casablanca time.
 */
export function windowError(w: Window, schoolYear: string, now: Date): FieldError | null {
  const today = todayInCasablanca(now);
  if (today >= w.opensOn && today <= w.closesOn) return null;
  return {
    field: 'schoolYear', code: today < w.opensOn ? 'validation.campaignNotOpen' : 'validation.campaignClosed',
    params: { schoolYear, opensOn: displayDate(w.opensOn), closesOn: displayDate(w.closesOn) },
  };
}
