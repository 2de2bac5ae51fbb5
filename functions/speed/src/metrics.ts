import {
  Counter,
  durationBuckets,
  functionRegistry,
  Gauge,
  Histogram,
  sizeBuckets,
} from '@ula/core/http/metrics';

/** The speed function's Prometheus registry, served on the runtime's /metrics (installRuntimeHooks). */
export const speedRegistry = functionRegistry('speed');
const registers = [speedRegistry];

export const speedMetrics = {
  events: new Counter({
    name: 'ula_speed_events_total',
    help: 'Events handled, by outcome: on_time, late (a closed window still updated), too_late (some windows left to the batch layer), duplicate (redelivery spotted, nothing written), rejected (4xx), failed (503).',
    labelNames: ['outcome'] as const,
    registers,
  }),
  lateWindows: new Counter({
    name: 'ula_speed_late_events_total',
    help: 'Events that reached closed windows of a view: lateness=late (updated within the allowed lateness) or too_late (left to the batch layer).',
    labelNames: ['view', 'lateness'] as const,
    registers,
  }),
  rejected: new Counter({
    name: 'ula_speed_rejected_events_total',
    help: 'Invalid inputs answered with 4xx, by reason.',
    labelNames: ['reason'] as const,
    registers,
  }),
  facts: new Counter({
    name: 'ula_speed_facts_written_total',
    help: 'Fact rows written to the view store after coalescing, by view.',
    labelNames: ['view'] as const,
    registers,
  }),
  writeSeconds: new Histogram({
    name: 'ula_speed_write_seconds',
    help: 'Latency of one group-commit write (every view table of the batch, in parallel).',
    buckets: durationBuckets,
    registers,
  }),
  batchEvents: new Histogram({
    name: 'ula_speed_batch_events',
    help: 'Events per group-commit batch.',
    buckets: sizeBuckets,
    registers,
  }),
  batchFacts: new Histogram({
    name: 'ula_speed_batch_facts',
    help: 'Fact rows per group-commit batch, after coalescing.',
    buckets: sizeBuckets,
    registers,
  }),
  writeFailures: new Counter({
    name: 'ula_speed_write_failures_total',
    help: 'Group-commit writes that failed (every event in them was answered 503).',
    registers,
  }),
  newestEvent: new Gauge({
    name: 'ula_speed_newest_event_timestamp_seconds',
    help: 'Event time (Unix seconds) of the newest event whose facts are stored: time() minus it is how far the real-time views lag behind.',
    registers,
  }),
  lastApplied: new Gauge({
    name: 'ula_speed_last_applied_timestamp_seconds',
    help: 'When (Unix seconds) the last event was applied to the views.',
    registers,
  }),
  eventLag: new Histogram({
    name: 'ula_speed_event_lag_seconds',
    help: 'From event time to its facts being stored, per applied event (seconds).',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400],
    registers,
  }),
};

let newestEventMs = Number.NEGATIVE_INFINITY;

/** Freshness of the speed layer: an event's facts were stored at `appliedMs`. */
export function recordApplied(eventTimeMs: number, appliedMs: number): void {
  if (!Number.isFinite(eventTimeMs)) return;
  speedMetrics.eventLag.observe(Math.max(0, (appliedMs - eventTimeMs) / 1000));
  speedMetrics.lastApplied.set(appliedMs / 1000);
  if (eventTimeMs > newestEventMs) {
    newestEventMs = eventTimeMs;
    speedMetrics.newestEvent.set(eventTimeMs / 1000);
  }
}
