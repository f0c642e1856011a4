/**
 * Batch upsert helper for the seeders and the school-map import: multi-row
 * `insert … on conflict … do update` statements run on a (transactional) MikroORM
 * EntityManager, reporting how many rows were created, changed and left unchanged.
 */
import type { EntityManager } from '@mikro-orm/postgresql';

/** A value bound to a statement parameter (dates are `YYYY-MM-DD` strings). */
export type SqlValue = string | number | boolean | null;

/** Rows created, changed (at least one column differed) and unchanged by an upsert. */
export interface UpsertCounts {
  created: number;
  updated: number;
  unchanged: number;
}

/** PostgreSQL accepts at most 65,535 bound parameters per statement; stay well below. */
const MAX_PARAMS = 30_000;

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Inserts `rows` into `table`, or updates the existing row with the same `conflict` key when at
 * least one of `update` columns differs (`is distinct from`), in batches of ≤ 30,000 parameters.
 * Runs on `em`, so inside `em.transactional(…)` it is part of that transaction.
 * @param columns column names (snake_case, as in the migration), in the order of each row's values.
 * @param conflict columns of the primary key or unique constraint to upsert on.
 * @param update columns overwritten on conflict; `[]` means insert-if-missing (`do nothing`).
 * @returns counts of created, updated and unchanged rows.
 */
export async function upsertRows(
  em: EntityManager,
  table: string,
  columns: string[],
  rows: SqlValue[][],
  conflict: string[],
  update: string[] = columns.filter((c) => !conflict.includes(c)),
): Promise<UpsertCounts> {
  const counts: UpsertCounts = { created: 0, updated: 0, unchanged: 0 };
  if (rows.length === 0) return counts;
  const perBatch = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const t = ident(table);
  const cols = columns.map(ident).join(', ');
  const onConflict =
    update.length === 0
      ? `on conflict (${conflict.map(ident).join(', ')}) do nothing`
      : `on conflict (${conflict.map(ident).join(', ')}) do update set ${update.map((c) => `${ident(c)} = excluded.${ident(c)}`).join(', ')}` +
        ` where (${update.map((c) => `${t}.${ident(c)}`).join(', ')}) is distinct from (${update.map((c) => `excluded.${ident(c)}`).join(', ')})`;
  for (let start = 0; start < rows.length; start += perBatch) {
    const batch = rows.slice(start, start + perBatch);
    const placeholders = batch.map((r) => {
      if (r.length !== columns.length) throw new Error(`upsertRows(${table}): a row has ${r.length} values for ${columns.length} columns`);
      return `(${r.map(() => '?').join(', ')})`;
    });
    const sql = `insert into ${t} (${cols}) values ${placeholders.join(', ')} ${onConflict} returning (xmax = 0) as inserted`;
    const result = await em.execute<Array<{ inserted: boolean }>>(sql, batch.flat(), 'all');
    const created = result.filter((r) => r.inserted).length;
    counts.created += created;
    counts.updated += result.length - created;
    counts.unchanged += batch.length - result.length;
  }
  return counts;
}

/** `select count(*)` of a table as a number. */
export async function countRows(em: EntityManager, table: string, where = 'true', params: SqlValue[] = []): Promise<number> {
  const rows = await em.execute<Array<{ n: string | number }>>(`select count(*) as n from ${ident(table)} where ${where}`, params, 'all');
  return Number(rows[0]?.n ?? 0);
}
