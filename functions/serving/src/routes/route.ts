import type { PersonalDirectory } from '@ula/core/privacy/directory';
import type { ServingReader } from '@ula/core/serving/reader';
import type { ApiScope } from '@ula/core/settings';
import { type ParamSpec, type Parsed, parseQuery } from '../params.ts';

/** What every route handler gets: the reader over the view store, and the clock. */
export interface Deps {
  reader: ServingReader;
  now(): number;
  /** The restricted personal-data table (ULA_PII=store); undefined: no personal data is kept. */
  personal?: PersonalDirectory | undefined;
}

export interface RouteInput {
  /** Path parameters, already checked against the id pattern. */
  path: Record<string, string>;
  query: Record<string, unknown>;
}

/** One API route: its OpenAPI description and how it answers (JSON; HttpError for 4xx). */
export interface Route {
  path: string;
  summary: string;
  tag: 'layers' | 'speed' | 'merged' | 'courses' | 'students' | 'views' | 'meta';
  /** The token scope a call needs when the API has tokens (ULA_API_TOKENS): `read` unless declared. */
  scope: ApiScope;
  params: Record<string, ParamSpec>;
  run(input: RouteInput, deps: Deps): Promise<unknown>;
}

/** Declares a route whose query is validated against `params` before the handler runs. */
export function route<P extends Record<string, ParamSpec>>(spec: {
  path: string;
  summary: string;
  tag: Route['tag'];
  /** Default `read`: analytics. `admin`: operations (state changes, internals); `privacy`: pseudonym resolution. */
  scope?: ApiScope;
  params: P;
  /** Further accepted parameter names (ids), e.g. a view's partition key columns. */
  extra?: (input: RouteInput) => string[];
  handler: (
    q: Parsed<P> & { extra: Record<string, string> },
    input: RouteInput,
    deps: Deps,
  ) => Promise<unknown>;
}): Route {
  return {
    path: spec.path,
    summary: spec.summary,
    tag: spec.tag,
    scope: spec.scope ?? 'read',
    params: spec.params,
    run: (input, deps) =>
      spec.handler(parseQuery(input.query, spec.params, spec.extra?.(input) ?? []), input, deps),
  };
}
