/**
 * Where the xapi function sends the catalogue events it derives from statements, so they reach ingest and
 * speed like any event: Kafka's category topics in the local stack (event-sink-kafka.ts), a Knative
 * KafkaSink per category in the cluster (event-sink-http.ts), the in-process dispatcher under `npm start`
 * (InProcessEventSink). `send` resolves only once every event is accepted; it never drops one silently.
 */
import type { LmsEvent } from '../events/envelope.ts';

export interface EventSink {
  /** Sends the events; resolves once each is durable where it went (acknowledged), rejects otherwise. */
  send(events: readonly LmsEvent[]): Promise<void>;
  /** Throws when the sink is unreachable (readiness). */
  health(): Promise<void>;
  close(): Promise<void>;
}

/** Embedded use: hands the events to a callback (the demo's in-process dispatcher); its failure fails the send. */
export class InProcessEventSink implements EventSink {
  constructor(private readonly deliver: (events: readonly LmsEvent[]) => Promise<void>) {}

  async send(events: readonly LmsEvent[]): Promise<void> {
    if (events.length > 0) await this.deliver(events);
  }

  async health(): Promise<void> {}

  async close(): Promise<void> {}
}
