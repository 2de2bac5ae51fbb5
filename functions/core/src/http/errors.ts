/**
 * The JSON error contract of every function: a 4xx/5xx answer carries `{error, field, rule, message}`.
 *
 * | status | error              | when                                                                  |
 * |--------|--------------------|-----------------------------------------------------------------------|
 * | 400    | not_a_cloudevent   | no `ce-id` header and not `application/cloudevents+json`; batch mode  |
 * | 400    | invalid_json       | body (binary data or structured envelope) is not JSON                 |
 * | 400    | invalid_attribute  | missing/invalid CloudEvent attribute (id, source, time, specversion…) |
 * | 400    | unknown_type       | `type` not in the event catalogue                                      |
 * | 405    | method_not_allowed | not a POST (nothing is dead-lettered)                                 |
 * | 413    | too_large          | body over the runtime's limit (`FUNC_BODY_LIMIT`, default 1 MiB)      |
 * | 422    | invalid_data       | `data` violates the event type's schema                               |
 * | 503    | unavailable        | the lake (or dead-letter store) could not be written: retry           |
 *
 * Knative retries 5xx, 429 and 408 and never other 4xx, so a rejected event is not redelivered; it is in
 * the dead-letter store instead.
 */
import type { EventValidationError, RejectionReason } from '../events/catalogue.ts';

export const statusOfReason: Record<RejectionReason, number> = {
  not_a_cloudevent: 400,
  invalid_json: 400,
  invalid_attribute: 400,
  unknown_type: 400,
  too_large: 413,
  invalid_data: 422,
};

export interface ErrorBody {
  error: string;
  field: string;
  rule: string;
  message: string;
}

/** What a function returns to faas-js-runtime for a JSON answer (`StructuredReturn`). */
export interface JsonResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: ErrorBody | Record<string, unknown>;
}

export const jsonResponse = (statusCode: number, body: JsonResponse['body']): JsonResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body,
});

export const rejection = (error: EventValidationError): JsonResponse =>
  jsonResponse(statusOfReason[error.reason], error.toJSON());

/** A transient failure (the lake is not writable): 503 so the sender (Knative) redelivers. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  /** faas-js-runtime answers a thrown error with status `err.code`. */
  readonly code = 503;
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }

  toJSON(): ErrorBody {
    return { error: 'unavailable', field: '', rule: 'retry later', message: this.message };
  }
}

export const unavailable = (error: UnavailableError): JsonResponse => jsonResponse(503, error.toJSON());

export const methodNotAllowed = (method: string): JsonResponse =>
  jsonResponse(405, {
    error: 'method_not_allowed',
    field: 'method',
    rule: 'must be POST',
    message: `method ${method} not allowed: POST a CloudEvent`,
  });
