/**
 * Decodes a CloudEvent (HTTP binary or structured mode) from the raw request a function receives from
 * faas-js-runtime: headers plus body as Buffer, string or already-parsed object. Every failure is an
 * `EventValidationError` naming the field and rule, so it maps onto the JSON error contract (errors.ts).
 *
 * Functions decode themselves (instead of the runtime's `context.cloudevent`) because the runtime answers
 * some bad inputs on its own (500 for a missing attribute, 406 for a bad specversion) and its SDK is slow
 * on valid events; see runtime.ts.
 */
import { EventValidationError, type RawCloudEvent } from '../events/catalogue.ts';

export interface FunctionRequest {
  method?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

const ceJson = 'application/cloudevents+json';
const ceBatch = 'application/cloudevents-batch';

const header = (headers: FunctionRequest['headers'], name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** The body as text (for decoding and for the dead-letter record). */
export function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return JSON.stringify(body);
}

/** The CloudEvent attributes and data of a request, not yet validated against the catalogue. */
export function decodeCloudEvent(request: FunctionRequest): RawCloudEvent {
  const { headers } = request;
  const contentType = (header(headers, 'content-type') ?? '').toLowerCase();
  if (contentType.startsWith(ceBatch)) {
    throw new EventValidationError('not_a_cloudevent', 'content-type', 'batch mode is not supported');
  }
  if (contentType.startsWith(ceJson)) return decodeStructured(request.body);
  if (header(headers, 'ce-id') === undefined) {
    throw new EventValidationError(
      'not_a_cloudevent',
      'ce-id',
      'binary mode needs ce-* headers; structured mode needs content-type application/cloudevents+json',
    );
  }
  const raw: Record<string, unknown> = {};
  for (const name in headers) {
    if (name.length > 3 && name.startsWith('ce-')) raw[name.slice(3)] = header(headers, name);
  }
  if (contentType !== '') raw['datacontenttype'] = header(headers, 'content-type');
  const body = request.body;
  if (
    body === undefined ||
    body === null ||
    (body instanceof Uint8Array && body.byteLength === 0) ||
    body === ''
  ) {
    throw new EventValidationError('invalid_data', 'data', 'required: the request body is empty');
  }
  raw['data'] = typeof body === 'string' || body instanceof Uint8Array ? parseJson(body, 'data') : body;
  return raw as RawCloudEvent;
}

function decodeStructured(body: unknown): RawCloudEvent {
  const envelope = typeof body === 'string' || body instanceof Uint8Array ? parseJson(body, 'body') : body;
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw new EventValidationError('invalid_json', 'body', 'structured mode needs a JSON object');
  }
  const raw = { ...(envelope as Record<string, unknown>) };
  if (raw['data'] === undefined && typeof raw['data_base64'] === 'string') {
    raw['data'] = parseJson(Buffer.from(raw['data_base64'], 'base64'), 'data_base64');
  }
  return raw as RawCloudEvent;
}

function parseJson(body: string | Uint8Array, field: string): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : bodyText(body));
  } catch {
    throw new EventValidationError('invalid_json', field, 'must be valid JSON');
  }
}

/** Request headers as a flat string record (for dead-letter records). */
export function flatHeaders(headers: FunctionRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const v = header(headers, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}
