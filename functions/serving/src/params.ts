import { idPattern } from '@ula/core/events/define';
import { addDays, utcDate } from '@ula/core/views/time';
import { badRequest } from './http.ts';

/**
 * Query parameter validation: every endpoint declares its parameters; unknown ones, malformed dates and
 * ids, and out-of-range numbers are answered with 400 and a message naming the parameter.
 */
export type ParamSpec =
  | { kind: 'date'; doc: string }
  | { kind: 'id'; doc: string }
  | { kind: 'int'; min: number; max: number; default?: number; doc: string }
  | { kind: 'enum'; values: readonly string[]; doc: string }
  | { kind: 'page'; doc: string }
  | { kind: 'token'; doc: string };

export { idPattern };

const datePattern = /^\d{4}-\d{2}-\d{2}$/;

export function isDate(value: string): boolean {
  if (!datePattern.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && utcDate(ms) === value;
}

const single = (name: string, raw: unknown): string | undefined => {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw badRequest(`parameter ${name} is given more than once`);
  if (typeof raw !== 'string') throw badRequest(`parameter ${name} must be a plain value`);
  return raw;
};

export function checkId(name: string, value: string): string {
  if (!idPattern.test(value))
    throw badRequest(
      `${name} must be 1-64 characters of letters, digits, '_', '.', ':', '+', '@' or '-'; got ${JSON.stringify(value.slice(0, 80))}`,
    );
  return value;
}

/** Offset-based page tokens: opaque base64url of `{"o": offset}`. */
export const pageToken = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

function readPage(value: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.o < 10_000_000)
      return parsed.o;
  } catch {
    // fall through
  }
  throw badRequest('page must be a token returned as next_page by a previous answer');
}

export type Parsed<S extends Record<string, ParamSpec>> = {
  [K in keyof S]: S[K] extends { kind: 'int'; default: number }
    ? number
    : S[K] extends { kind: 'int' }
      ? number | undefined
      : S[K] extends { kind: 'page' }
        ? number
        : string | undefined;
};

/** Validates a query against the spec; `extra` accepts additional names (e.g. a view's key columns). */
export function parseQuery<S extends Record<string, ParamSpec>>(
  query: Record<string, unknown>,
  spec: S,
  extra: readonly string[] = [],
): Parsed<S> & { extra: Record<string, string> } {
  const out: Record<string, unknown> = {};
  const extraValues: Record<string, string> = {};
  for (const name of Object.keys(query)) {
    if (!(name in spec) && !extra.includes(name)) {
      const known = [...Object.keys(spec), ...extra];
      throw badRequest(
        `unknown parameter ${name}${known.length > 0 ? ` (accepted: ${known.join(', ')})` : ''}`,
      );
    }
  }
  for (const name of extra) {
    const v = single(name, query[name]);
    if (v !== undefined) extraValues[name] = checkId(name, v);
  }
  for (const [name, p] of Object.entries(spec)) {
    const raw = single(name, query[name]);
    switch (p.kind) {
      case 'date':
        if (raw !== undefined && !isDate(raw))
          throw badRequest(`${name} must be a date YYYY-MM-DD; got ${JSON.stringify(raw.slice(0, 40))}`);
        out[name] = raw;
        break;
      case 'id':
        out[name] = raw === undefined ? undefined : checkId(name, raw);
        break;
      case 'enum':
        if (raw !== undefined && !p.values.includes(raw))
          throw badRequest(`${name} must be one of ${p.values.join(', ')}`);
        out[name] = raw;
        break;
      case 'int': {
        if (raw === undefined) {
          out[name] = p.default;
          break;
        }
        const n = Number(raw);
        if (!/^-?\d+$/.test(raw) || n < p.min || n > p.max)
          throw badRequest(
            `${name} must be an integer from ${p.min} to ${p.max}; got ${JSON.stringify(raw.slice(0, 40))}`,
          );
        out[name] = n;
        break;
      }
      case 'page':
        out[name] = raw === undefined || raw === '' ? 0 : readPage(raw);
        break;
      case 'token':
        if (raw !== undefined && (raw.length > 1024 || !/^[A-Za-z0-9_-]*$/.test(raw)))
          throw badRequest(`${name} must be a token returned as next_cursor by a previous answer`);
        out[name] = raw === '' ? undefined : raw;
        break;
    }
  }
  return { ...(out as Parsed<S>), extra: extraValues };
}

/** A page of a list, with the token of the next one. */
export function paginate<T>(items: readonly T[], offset: number, limit: number) {
  const page = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? pageToken(offset + limit) : null;
  return { items: page, next_page: next, total: items.length };
}

/** A date range, defaulting to the last `days` days up to `today`, bounded to `maxDays`. */
export function dateRange(
  from: string | undefined,
  to: string | undefined,
  today: string,
  defaultDays: number,
  maxDays: number,
): { from: string; to: string } {
  const end = to ?? today;
  const start = from ?? addDays(end, -(defaultDays - 1));
  if (start > end) throw badRequest(`from (${start}) is after to (${end})`);
  const days = (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000 + 1;
  if (days > maxDays)
    throw badRequest(`the range from ${start} to ${end} spans ${days} days; at most ${maxDays} are allowed`);
  return { from: start, to: end };
}
