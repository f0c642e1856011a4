/**
 * Exports of a school's approved list for Massar: CSV (UTF-8 with BOM, so that Excel shows
 * Arabic, comma-separated, CRLF, RFC 4180 quoting) and XLSX (exceljs, right-to-left sheet). The
 * columns are documented in docs/massar-export-columns.md; the routes audit every export.
 */
import ExcelJS from 'exceljs';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ParentDetails } from '../../domain/types';
import { inList, SEAT_STATUSES } from './queue';

/** The export's columns, in order: `key` (CSV header, stable) and the Arabic / French titles (XLSX second header row is not used; titles are documented). */
export const EXPORT_COLUMNS = [
  'reference', 'massarCode', 'schoolCode', 'schoolYear', 'level',
  'lastNameAr', 'firstNameAr', 'lastNameLatin', 'firstNameLatin',
  'birthDate', 'birthDateHijri', 'birthPlace', 'birthCertificateNumber', 'birthCertificateDate',
  'fatherLineage', 'motherLineage',
  'guardianRole', 'guardianLastNameAr', 'guardianFirstNameAr', 'guardianCin', 'guardianPhone', 'guardianEmail', 'guardianAddress',
  'communeCode', 'residenceZoneCode', 'status', 'decidedAt',
] as const;
export type ExportColumn = (typeof EXPORT_COLUMNS)[number];
export type ExportRow = Record<ExportColumn, string>;

/**
 * The approved list (statuses approved, exportFailed, registered) of the given schools for a
 * school year (default: the current one), ordered by Arabic last name, first name, reference.
 */
export async function approvedList(em: EntityManager, schoolCodes: string[], schoolYear?: string): Promise<ExportRow[]> {
  if (!schoolCodes.length) return [];
  const l = inList(schoolCodes);
  const st = inList(SEAT_STATUSES);
  const rows = await em.getConnection().execute<Array<Record<string, unknown>>>(
    `select p.reference, p.massar_code, p.school_code, p.school_year, p.level, p.child_last_name_ar, p.child_first_name_ar,
            p.child_last_name_latin, p.child_first_name_latin, to_char(p.birth_date, 'YYYY-MM-DD') as birth_date, p.birth_date_hijri,
            p.birth_place, p.birth_certificate_number, to_char(p.birth_certificate_date, 'YYYY-MM-DD') as birth_certificate_date,
            p.father_lineage, p.mother_lineage, p.guardian_role, p.father, p.mother, p.tutor, p.commune_code, p.residence_zone_code,
            p.status, p.decided_at
       from pre_registration p
      where p.school_code in (${l.sql}) and p.status in (${st.sql})
        and p.school_year = coalesce(?, (select code from school_year where is_current limit 1))
      order by p.child_last_name_ar, p.child_first_name_ar, p.reference`,
    [...l.params, ...st.params, schoolYear ?? null],
  );
  return rows.map((r) => {
    const role = String(r.guardian_role) as 'father' | 'mother' | 'tutor';
    const g = ((role === 'tutor' ? r.tutor : r[role]) ?? {}) as Partial<ParentDetails>;
    const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));
    return {
      reference: s(r.reference), massarCode: s(r.massar_code), schoolCode: s(r.school_code), schoolYear: s(r.school_year), level: s(r.level),
      lastNameAr: s(r.child_last_name_ar), firstNameAr: s(r.child_first_name_ar), lastNameLatin: s(r.child_last_name_latin), firstNameLatin: s(r.child_first_name_latin),
      birthDate: s(r.birth_date), birthDateHijri: s(r.birth_date_hijri), birthPlace: s(r.birth_place),
      birthCertificateNumber: s(r.birth_certificate_number), birthCertificateDate: s(r.birth_certificate_date),
      fatherLineage: s(r.father_lineage), motherLineage: s(r.mother_lineage),
      guardianRole: role, guardianLastNameAr: s(g.lastNameAr), guardianFirstNameAr: s(g.firstNameAr), guardianCin: s(g.cin),
      guardianPhone: s(g.phone), guardianEmail: s(g.email), guardianAddress: s(g.address),
      communeCode: s(r.commune_code), residenceZoneCode: s(r.residence_zone_code), status: s(r.status),
      decidedAt: r.decided_at ? new Date(r.decided_at as string).toISOString() : '',
    };
  });
}

/**
 * Neutralises spreadsheet formulas (CSV injection): a value starting with `=`, `@`, a tab or a
 * carriage return, or with `+`/`-` not followed only by digits and spaces (a phone number stays
 * as it is), gets a leading apostrophe.
 */
export function neutralizeFormula(v: string): string {
  return /^[=@\t\r]/.test(v) || /^[+-](?![\d ]*$)/.test(v) ? `'${v}` : v;
}

/** One CSV field (RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled). */
function csvField(v: string): string {
  const x = neutralizeFormula(v);
  return /[",\r\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x;
}

/** The CSV file: BOM, header row of column keys, one row per child, CRLF line ends. */
export function toCsv(rows: ExportRow[]): Buffer {
  const lines = [EXPORT_COLUMNS.join(','), ...rows.map((r) => EXPORT_COLUMNS.map((c) => csvField(r[c])).join(','))];
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

/** The XLSX workbook: one sheet `approved` (right to left), header row of column keys, every cell text. */
export async function toXlsx(rows: ExportRow[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Tasjil';
  wb.created = new Date();
  const ws = wb.addWorksheet('approved', { views: [{ rightToLeft: true, state: 'frozen', ySplit: 1 }] });
  ws.columns = EXPORT_COLUMNS.map((c) => ({ header: c, key: c, width: Math.max(12, c.length + 2) }));
  ws.getRow(1).font = { bold: true };
  for (const r of rows) ws.addRow(EXPORT_COLUMNS.map((c) => neutralizeFormula(r[c])));
  return Buffer.from(await wb.xlsx.writeBuffer());
}
