/**
 * CSV for spreadsheets that may open it (RFC 4180 quoting, CRLF line ends), safe from formula
 * injection: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
 * spreadsheet programs as a formula (or the start of one), so such a cell gets a leading
 * apostrophe, which they show as text. Audit records carry what clients sent (a failed login's
 * name, a User-Agent), so any cell may be hostile.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
