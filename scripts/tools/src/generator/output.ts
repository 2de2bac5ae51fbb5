/**
 * What the generator emits: valid LMS events (possibly flagged as deliberate duplicates or late
 * arrivals) and, when fault injection is on, malformed records that every consumer must reject.
 */
import type { Category, LmsEvent } from '@ula/core/events/envelope';

/** The kinds of malformed input the generator can inject (each one must be rejected by validation). */
export const defects = ['bad_json', 'missing_field', 'mistyped_field', 'unknown_type', 'bad_time'] as const;
export type Defect = (typeof defects)[number];

/**
 * A malformed record in transport-neutral form: the CloudEvent attributes (as they would travel in
 * `ce-*`/`ce_*` headers) and the raw body. Sinks write it as-is to the category's topic/endpoint.
 */
export interface MalformedRecord {
  category: Category;
  key: string;
  /** CloudEvent attributes by name without prefix (`id`, `type`, `source`, `subject`, `time`, ...). */
  attributes: Record<string, string>;
  /** The data as it would be sent: JSON text, possibly broken on purpose. */
  body: string;
}

export interface GeneratedEvent {
  kind: 'event';
  event: LmsEvent;
  /** A re-emission of an event already emitted (same id): consumers must count it once. */
  duplicate?: true;
  /** Emitted after later events, its time lies in an earlier hour or day than the stream position. */
  late?: true;
}

export interface GeneratedMalformed {
  kind: 'malformed';
  record: MalformedRecord;
  defect: Defect;
}

export type GeneratedItem = GeneratedEvent | GeneratedMalformed;
