/**
 * A small RFC 4180 CSV reader (comma separator, `"` quoting with `""` escapes, CRLF or LF line
 * ends, fields spanning several lines inside quotes), used for the HCP reference files and the
 * school-map import. No dependency.
 */

/** One data record of a CSV file, keyed by the header's column names. */
export interface CsvRecord {
  /** 1-based physical line of the file where the record starts (the header is line 1). */
  line: number;
  /** Column name → raw field text (not trimmed). Missing trailing fields are `''`. */
  values: Record<string, string>;
  /** Number of fields actually present on the record (to detect too many / too few). */
  fieldCount: number;
}

/** A structural problem in the CSV text (unterminated quote, stray quote…), with its line. */
export interface CsvSyntaxError {
  line: number;
  message: string;
}

/** Result of `parseCsv`: the header, the data records, and syntax errors (empty when well-formed). */
export interface CsvParseResult {
  header: string[];
  records: CsvRecord[];
  errors: CsvSyntaxError[];
}

/**
 * Splits CSV text into rows of fields. A leading UTF-8 BOM is ignored; completely empty lines
 * are skipped. Returns each row with the 1-based line number where it starts.
 */
export function parseCsvRows(text: string): { rows: Array<{ line: number; fields: string[] }>; errors: CsvSyntaxError[] } {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: Array<{ line: number; fields: string[] }> = [];
  const errors: CsvSyntaxError[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let inQuotes = false;
  let quotedField = false; // the current field started with a quote
  let afterQuote = false; // a closing quote was read; only a separator or line end may follow
  let rowHasContent = false;
  const endField = (): void => {
    fields.push(field);
    field = '';
    quotedField = false;
    afterQuote = false;
  };
  const endRow = (): void => {
    endField();
    if (rowHasContent || fields.length > 1 || fields[0] !== '') rows.push({ line: rowLine, fields });
    fields = [];
    rowHasContent = false;
  };
  for (let i = 0; i < src.length; i += 1) {
    const c = src[i];
    if (inQuotes) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          inQuotes = false;
          afterQuote = true;
        }
      } else {
        if (c === '\n') line += 1;
        field += c;
      }
      continue;
    }
    if (c === ',') {
      rowHasContent = true;
      endField();
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && src[i + 1] === '\n') i += 1;
      endRow();
      line += 1;
      rowLine = line;
    } else if (c === '"') {
      if (field === '' && !quotedField && !afterQuote) {
        inQuotes = true;
        quotedField = true;
        rowHasContent = true;
      } else {
        errors.push({ line, message: 'unexpected double quote inside an unquoted field (quote the whole field and double the quote: "")' });
        field += c;
      }
    } else {
      if (afterQuote) {
        errors.push({ line, message: 'characters after a closing quote (a quoted field must end at a comma or line end)' });
        afterQuote = false;
      }
      field += c;
      rowHasContent = true;
    }
  }
  if (inQuotes) errors.push({ line: rowLine, message: 'unterminated quoted field (a closing double quote is missing)' });
  if (field !== '' || fields.length > 0 || quotedField) endRow();
  return { rows, errors };
}

/**
 * Parses CSV text with a header row into records keyed by column name. Header names are trimmed
 * and lower-cased. Duplicate or empty header names are reported as errors on line 1.
 */
export function parseCsv(text: string): CsvParseResult {
  const { rows, errors } = parseCsvRows(text);
  if (rows.length === 0) return { header: [], records: [], errors: [...errors, { line: 1, message: 'the file is empty (a header row is required)' }] };
  const header = rows[0].fields.map((h) => h.trim().toLowerCase());
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') errors.push({ line: rows[0].line, message: `header column ${i + 1} has no name` });
    else if (seen.has(h)) errors.push({ line: rows[0].line, message: `header column "${h}" appears twice` });
    seen.add(h);
  });
  const records = rows.slice(1).map((r) => {
    const values: Record<string, string> = {};
    header.forEach((h, i) => {
      values[h] = r.fields[i] ?? '';
    });
    return { line: r.line, values, fieldCount: r.fields.length };
  });
  return { header, records, errors };
}
