import { CloudEvent, HTTP, Kafka, type KafkaMessage, type Message } from 'cloudevents';
import { type RawCloudEvent, validateEvent } from './catalogue.ts';
import { type BaseEventData, cloudEventSource, cloudEventType, type LmsEvent, topicOf } from './envelope.ts';

/** The CloudEvent of an LMS event (attributes: docs/architecture.md#events). */
export function toCloudEvent(event: LmsEvent): CloudEvent<BaseEventData> {
  return new CloudEvent<BaseEventData>(
    {
      specversion: '1.0',
      id: event.id,
      type: cloudEventType(event.category, event.eventType),
      source: cloudEventSource(event.category),
      subject: event.data.user_id,
      time: event.time,
      datacontenttype: 'application/json',
      data: event.data,
    },
    false,
  );
}

/** HTTP binary mode: attributes in `ce-*` headers, data as the JSON body. */
export const toHttpBinary = (event: LmsEvent): Message => HTTP.binary(toCloudEvent(event));
/** HTTP structured mode: the whole event as `application/cloudevents+json`. */
export const toHttpStructured = (event: LmsEvent): Message => HTTP.structured(toCloudEvent(event));

/** A Kafka record in binary mode: `ce_*` headers, JSON value, key = user id. */
export interface LmsKafkaRecord {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
  timestamp: string;
}

export function toKafkaRecord(event: LmsEvent): LmsKafkaRecord {
  const message = Kafka.binary(toCloudEvent(event)) as KafkaMessage<string | BaseEventData>;
  const headers: Record<string, string> = {};
  // The SDK lists unset optional attributes too (value undefined): leave them out, not as "undefined".
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined && value !== null) headers[name] = String(value);
  }
  const value = typeof message.value === 'string' ? message.value : JSON.stringify(message.value);
  return {
    topic: topicOf(event.category),
    key: event.data.user_id,
    value,
    headers,
    timestamp: String(Date.parse(event.time)),
  };
}

/** Reads an LMS event from a Kafka record in binary mode (validates it against the catalogue). */
export function fromKafkaRecord(record: {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers: Record<string, string | Buffer | undefined>;
}): LmsEvent {
  const raw: RawCloudEvent = { data: record.value === null ? undefined : record.value.toString() };
  for (const [name, value] of Object.entries(record.headers)) {
    if (name.startsWith('ce_') && value !== undefined)
      (raw as Record<string, unknown>)[name.slice(3)] = value.toString();
  }
  const contentType = record.headers['content-type'];
  if (contentType !== undefined) raw.datacontenttype = contentType.toString();
  return validateEvent(raw);
}
