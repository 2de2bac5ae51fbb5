/**
 * Hash routes: a URL for every page, course, student and filter, e.g. #/students?q=S12&order=desc,
 * #/courses/CS101?sort=risk, #/risk?course=CS101&level=high. Cursor pages keep the cursors that led to the
 * page in `at` (dot-separated; cursors are base64url), so Previous and a shared link both work.
 */
export interface Route {
  page: string;
  /** Path parts after the page, decoded (e.g. a student id). */
  parts: string[];
  params: URLSearchParams;
}

/** The route of a location hash ("#/students/S001?x=1"); pure, so it is unit-tested under Node. */
export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = 'overview', ...parts] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page, parts, params: new URLSearchParams(search) };
}

/** The hash URL of a page with its parts and the non-empty params. */
export function link(
  parts: readonly string[],
  params: Record<string, string | null | undefined> = {},
): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') search.set(k, v);
  const s = search.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${s ? `?${s}` : ''}`;
}

/** The route's params with some replaced (null removes one). */
export function withParams(route: Route, changes: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(route.params.entries());
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Cursor stack of a paged list: the cursors of the pages before the current one, then its own. */
export const cursorsOf = (route: Route): string[] =>
  (route.params.get('at') ?? '').split('.').filter(Boolean);
