/** The EventSink the settings choose (ULA_XAPI_SINK): Kafka (ULA_KAFKA_BROKERS) or HTTP (ULA_XAPI_SINK_URL). */
import type { EventSink } from './event-sink.ts';
import { HttpEventSink } from './event-sink-http.ts';
import { KafkaEventSink } from './event-sink-kafka.ts';

export type EventSinkChoice = { kind: 'kafka'; brokers: string[] } | { kind: 'http'; urlTemplate: string };

export function openEventSink(choice: EventSinkChoice): EventSink {
  return choice.kind === 'kafka'
    ? new KafkaEventSink({ brokers: choice.brokers })
    : new HttpEventSink({ urlTemplate: choice.urlTemplate });
}
