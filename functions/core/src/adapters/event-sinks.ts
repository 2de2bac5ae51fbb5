/** The EventSink the settings choose (ULA_XAPI_SINK): Kafka (ULA_KAFKA_*) or HTTP (ULA_XAPI_SINK_URL). */
import type { KafkaConnection } from '../config.ts';
import type { EventSink } from './event-sink.ts';
import { HttpEventSink } from './event-sink-http.ts';
import { KafkaEventSink } from './event-sink-kafka.ts';

export type EventSinkChoice =
  | { kind: 'kafka'; connection: KafkaConnection }
  | { kind: 'http'; urlTemplate: string };

export function openEventSink(choice: EventSinkChoice): EventSink {
  return choice.kind === 'kafka'
    ? new KafkaEventSink({ connection: choice.connection })
    : new HttpEventSink({ urlTemplate: choice.urlTemplate });
}
