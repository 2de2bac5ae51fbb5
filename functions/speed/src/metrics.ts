import { Counter, durationBuckets, functionRegistry, Histogram, sizeBuckets } from '@ula/core/http/metrics';

/** The speed function's Prometheus registry, served on the runtime's /metrics (installRuntimeHooks). */
export const speedRegistry = functionRegistry('speed');
const registers = [speedRegistry];

export const speedMetrics = {
  events: new Counter({
    name: 'speed_events_total',
    help: 'Events handled, by outcome: on_time, late (a closed window still updated), too_late (some windows left to the batch layer), duplicate (redelivery spotted, nothing written), rejected (4xx), failed (503).',
    labelNames: ['outcome'] as const,
    registers,
  }),
  lateWindows: new Counter({
    name: 'speed_late_events_total',
    help: 'Events that reached closed windows of a view: lateness=late (updated within the allowed lateness) or too_late (left to the batch layer).',
    labelNames: ['view', 'lateness'] as const,
    registers,
  }),
  rejected: new Counter({
    name: 'speed_rejected_events_total',
    help: 'Invalid inputs answered with 4xx, by reason.',
    labelNames: ['reason'] as const,
    registers,
  }),
  facts: new Counter({
    name: 'speed_facts_written_total',
    help: 'Fact rows written to the view store after coalescing, by view.',
    labelNames: ['view'] as const,
    registers,
  }),
  writeSeconds: new Histogram({
    name: 'speed_write_seconds',
    help: 'Latency of one group-commit write (every view table of the batch, in parallel).',
    buckets: durationBuckets,
    registers,
  }),
  batchEvents: new Histogram({
    name: 'speed_batch_events',
    help: 'Events per group-commit batch.',
    buckets: sizeBuckets,
    registers,
  }),
  batchFacts: new Histogram({
    name: 'speed_batch_facts',
    help: 'Fact rows per group-commit batch, after coalescing.',
    buckets: sizeBuckets,
    registers,
  }),
  writeFailures: new Counter({
    name: 'speed_write_failures_total',
    help: 'Group-commit writes that failed (every event in them was answered 503).',
    registers,
  }),
};
