/** The xapi function's Prometheus metrics (served on the runtime's /metrics, see core http/runtime.ts). */
import {
  Counter,
  durationBuckets,
  functionRegistry,
  Histogram,
  type Registry,
  sizeBuckets,
} from '@ula/core/http/metrics';

export type StatementOutcome = 'mapped' | 'unmapped' | 'duplicate' | 'conflict' | 'invalid';

export interface XapiMetrics {
  registry: Registry;
  statements: Counter<'outcome'>;
  unmapped: Counter<'verb' | 'activity_type'>;
  events: Counter<'type'>;
  requests: Counter<'method' | 'status'>;
  flushStatements: Histogram;
  flushSeconds: Histogram<'step'>;
  /** Counts an unmapped statement under its verb and activity type, or under `other` past the label cap. */
  countUnmapped(verb: string, activityType: string): void;
}

/** Distinct (verb, activity type) label pairs kept before the rest are counted as `other` (bounded series). */
export const maxUnmappedLabelPairs = 200;

export function xapiMetrics(): XapiMetrics {
  const registry = functionRegistry('xapi');
  const registers = [registry];
  const unmapped = new Counter({
    name: 'ula_xapi_unmapped_total',
    help: `Stored statements no mapping rule turned into events, by verb and activity type (at most ${maxUnmappedLabelPairs} pairs, then other)`,
    labelNames: ['verb', 'activity_type'],
    registers,
  });
  const seen = new Set<string>();
  return {
    registry,
    statements: new Counter({
      name: 'ula_xapi_statements_total',
      help: 'Statements by outcome: mapped, unmapped (stored, no event), duplicate (id stored before, same content), conflict (409), invalid (400)',
      labelNames: ['outcome'],
      registers,
    }),
    unmapped,
    events: new Counter({
      name: 'ula_xapi_events_total',
      help: 'Catalogue events derived from statements and accepted by the event sink, by event type',
      labelNames: ['type'],
      registers,
    }),
    requests: new Counter({
      name: 'ula_xapi_requests_total',
      help: 'Requests by method and answer status',
      labelNames: ['method', 'status'],
      registers,
    }),
    flushStatements: new Histogram({
      name: 'ula_xapi_flush_statements',
      help: 'New statements stored per group-commit flush',
      buckets: sizeBuckets,
      registers,
    }),
    flushSeconds: new Histogram({
      name: 'ula_xapi_flush_duration_seconds',
      help: 'Duration of a flush step: registry lookup, lake write, sink send, registry record, and the whole flush',
      labelNames: ['step'],
      buckets: durationBuckets,
      registers,
    }),
    countUnmapped(verb: string, activityType: string): void {
      const pair = `${verb} ${activityType}`;
      if (!seen.has(pair) && seen.size >= maxUnmappedLabelPairs) {
        unmapped.inc({ verb: 'other', activity_type: 'other' });
        return;
      }
      seen.add(pair);
      unmapped.inc({ verb, activity_type: activityType });
    },
  };
}
