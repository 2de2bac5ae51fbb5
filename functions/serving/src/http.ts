/** The serving function's request/response shapes and its JSON error contract `{error, message}`. */
export interface ApiRequest {
  method: string;
  /** Path without the query string, e.g. `/api/v1/courses/C1`. */
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** An error that maps to an HTTP status; `code` is what faas-js-runtime reads for the status. */
export class HttpError extends Error {
  readonly code: number;
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
    this.code = statusCode;
  }
}

export const badRequest = (message: string) => new HttpError(400, 'bad_request', message);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);

export const json = (
  statusCode: number,
  value: unknown,
  headers: Record<string, string> = {},
): ApiResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(value),
});

export const header = (req: Pick<ApiRequest, 'headers'>, name: string): string | undefined => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};
