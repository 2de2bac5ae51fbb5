import type { z } from 'zod';
import { assessmentEvents } from '../categories/assessment/events.ts';
import { authEvents } from '../categories/auth/events.ts';
import { courseEvents } from '../categories/course/events.ts';
import { notificationEvents } from '../categories/notification/events.ts';
import { profileEvents } from '../categories/profile/events.ts';
import { videoEvents } from '../categories/video/events.ts';
import { type EventTypeDefinition, uuidPattern } from './define.ts';
import {
  type BaseEventData,
  type Category,
  categories,
  cloudEventSource,
  type LmsEvent,
} from './envelope.ts';

/** Every event type of the platform, by category: the one place that defines them. */
export const eventsByCategory = {
  auth: authEvents,
  assessment: assessmentEvents,
  video: videoEvents,
  course: courseEvents,
  profile: profileEvents,
  notification: notificationEvents,
} as const satisfies Record<Category, Record<string, EventTypeDefinition>>;

export const eventCatalogue: readonly EventTypeDefinition[] = categories.flatMap((c) =>
  Object.values(eventsByCategory[c] as Record<string, EventTypeDefinition>),
);

const byCloudEventType = new Map(eventCatalogue.map((d) => [d.cloudEventType, d]));

/** Every data field some event type declares (`user_id` and `role` included). */
export const dataFields: readonly string[] = [
  ...new Set(eventCatalogue.flatMap((d) => Object.keys((d.schema as unknown as z.ZodObject).shape))),
];

export const definitionOf = (cloudEventType: string): EventTypeDefinition | undefined =>
  byCloudEventType.get(cloudEventType);

export type RejectionReason =
  | 'not_a_cloudevent'
  | 'invalid_json'
  | 'too_large'
  | 'invalid_attribute'
  | 'unknown_type'
  | 'invalid_data';

/** Why an input is not a valid LMS event: which field, which rule. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  constructor(
    readonly reason: RejectionReason,
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${reason}: ${field}: ${rule}`);
  }

  toJSON(): { error: RejectionReason; field: string; rule: string; message: string } {
    return { error: this.reason, field: this.field, rule: this.rule, message: this.message };
  }
}

/** The CloudEvent attributes and data an LMS event arrives with, before validation. */
export interface RawCloudEvent {
  id?: unknown;
  type?: unknown;
  source?: unknown;
  subject?: unknown;
  time?: unknown;
  specversion?: unknown;
  datacontenttype?: unknown;
  data?: unknown;
}

const rfc3339Pattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new EventValidationError('invalid_attribute', field, 'required non-empty string');
  }
  return value;
}

/** Validates a CloudEvent against the catalogue and returns the typed event (time normalised to UTC ms). */
export function validateEvent(raw: RawCloudEvent): LmsEvent {
  if (raw.specversion !== undefined && raw.specversion !== '1.0') {
    throw new EventValidationError('invalid_attribute', 'specversion', 'must be "1.0"');
  }
  const id = requireString(raw.id, 'id');
  if (!uuidPattern.test(id)) throw new EventValidationError('invalid_attribute', 'id', 'must be a UUID');
  const type = requireString(raw.type, 'type');
  const definition = byCloudEventType.get(type);
  if (!definition)
    throw new EventValidationError('unknown_type', 'type', `no event type "${type}" in the catalogue`);
  const source = requireString(raw.source, 'source');
  if (source !== cloudEventSource(definition.category)) {
    throw new EventValidationError(
      'invalid_attribute',
      'source',
      `must be "${cloudEventSource(definition.category)}"`,
    );
  }
  const time = requireString(raw.time, 'time');
  const millis = rfc3339Pattern.test(time) ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(millis))
    throw new EventValidationError('invalid_attribute', 'time', 'must be an RFC 3339 timestamp');
  if (raw.datacontenttype !== undefined && !String(raw.datacontenttype).startsWith('application/json')) {
    throw new EventValidationError('invalid_attribute', 'datacontenttype', 'must be application/json');
  }
  let data = raw.data;
  if (typeof data === 'string' || data instanceof Uint8Array) {
    try {
      data = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
    } catch {
      throw new EventValidationError('invalid_json', 'data', 'must be a JSON object');
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new EventValidationError('invalid_data', 'data', 'must be a JSON object');
  }
  const parsed = definition.schema.safeParse(data);
  if (!parsed.success) throw dataError(parsed.error);
  if (raw.subject !== undefined && raw.subject !== parsed.data.user_id) {
    throw new EventValidationError('invalid_attribute', 'subject', 'must equal data.user_id');
  }
  return {
    id,
    category: definition.category,
    eventType: definition.eventType,
    time: new Date(millis).toISOString(),
    data: parsed.data as BaseEventData,
  };
}

function dataError(error: z.ZodError): EventValidationError {
  const issue = error.issues[0];
  const path = issue && issue.path.length > 0 ? `data.${issue.path.join('.')}` : 'data';
  return new EventValidationError('invalid_data', path, issue?.message ?? 'invalid');
}
