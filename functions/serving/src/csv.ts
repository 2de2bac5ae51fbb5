/**
 * CSV downloads of any list answer (`format=csv` or `Accept: text/csv`): the rows of the answer's first
 * array of objects (`items`, `days`, `levels`…), one column per field in order of first appearance,
 * RFC 4180 quoting, and text that a spreadsheet would run as a formula (=, +, -, @, tab, CR) prefixed with '.
 */
import type { ApiRequest } from './http.ts';
import { header } from './http.ts';

type Cell = string | number | boolean | null | undefined;

/** Whether the request asks for CSV: `format=csv`, or an Accept header naming text/csv before JSON. */
export function wantsCsv(req: Pick<ApiRequest, 'query' | 'headers'>): boolean {
  if (req.query['format'] === 'csv') return true;
  const accept = header(req, 'accept') ?? '';
  return /(^|,)\s*text\/csv\b/i.test(accept) && !/application\/json/i.test(accept.split('text/csv')[0]!);
}

const formulaStart = /^[=+\-@\t\r]/;

/** One field: numbers as they are, text guarded against formulas, quoted when it holds , " CR or LF. */
export function csvField(value: Cell | object): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (formulaStart.test(text) && !/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The rows a JSON answer lists: its first property holding an array of objects (or the answer itself). */
export function rowsOfAnswer(answer: unknown): Record<string, unknown>[] {
  const isRows = (v: unknown): v is Record<string, unknown>[] =>
    Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
  if (isRows(answer)) return answer;
  if (typeof answer === 'object' && answer !== null)
    for (const value of Object.values(answer)) if (isRows(value)) return value;
  throw new Error('this answer holds no list of rows to download as CSV');
}

/** CSV text (CRLF line ends, header row first) of some rows. */
export function toCsv(rows: readonly Record<string, unknown>[]): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows)
    for (const name of Object.keys(row))
      if (!seen.has(name)) {
        seen.add(name);
        columns.push(name);
      }
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c] as Cell | object)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
