/** Ingest's Prometheus metrics (served on the runtime's /metrics, see core http/runtime.ts). */
import {
  Counter,
  durationBuckets,
  functionRegistry,
  Gauge,
  Histogram,
  type Registry,
  sizeBuckets,
} from '@ula/core/http/metrics';

export interface IngestMetrics {
  registry: Registry;
  accepted: Counter<'type'>;
  rejected: Counter<'reason' | 'type'>;
  flushEvents: Histogram;
  fileEvents: Histogram<'kind'>;
  flushSeconds: Histogram<'kind'>;
  storeErrors: Counter<'kind'>;
  filesWritten: Counter<'kind'>;
  bytesWritten: Counter<'kind'>;
  pending: Gauge;
}

/** `pending` reports events waiting for a flush when /metrics is scraped. */
export function ingestMetrics(pending: () => number = () => 0): IngestMetrics {
  const registry = functionRegistry('ingest');
  const registers = [registry];
  return {
    registry,
    accepted: new Counter({
      name: 'ula_ingest_events_accepted_total',
      help: 'Events written to the raw lake and acknowledged, by CloudEvent type',
      labelNames: ['type'],
      registers,
    }),
    rejected: new Counter({
      name: 'ula_ingest_events_rejected_total',
      help: 'Inputs answered 4xx and dead-lettered, by reason and CloudEvent type (empty if unknown)',
      labelNames: ['reason', 'type'],
      registers,
    }),
    flushEvents: new Histogram({
      name: 'ula_ingest_flush_events',
      help: 'Events per group-commit flush',
      buckets: sizeBuckets,
      registers,
    }),
    fileEvents: new Histogram({
      name: 'ula_ingest_file_events',
      help: 'Events (or dead letters) per written file',
      labelNames: ['kind'],
      buckets: sizeBuckets,
      registers,
    }),
    flushSeconds: new Histogram({
      name: 'ula_ingest_flush_duration_seconds',
      help: 'Duration of a flush (encode + durable write), by kind (raw, personal, dead_letter)',
      labelNames: ['kind'],
      buckets: durationBuckets,
      registers,
    }),
    storeErrors: new Counter({
      name: 'ula_ingest_store_errors_total',
      help: 'Failed lake (S3) writes, by kind (raw, personal, dead_letter)',
      labelNames: ['kind'],
      registers,
    }),
    filesWritten: new Counter({
      name: 'ula_ingest_files_written_total',
      help: 'Files written to the lake, by kind (raw: Parquet under raw/, dead_letter: NDJSON under dead-letter/)',
      labelNames: ['kind'],
      registers,
    }),
    bytesWritten: new Counter({
      name: 'ula_ingest_bytes_written_total',
      help: 'Bytes of the files written to the lake, by kind (raw, personal, dead_letter)',
      labelNames: ['kind'],
      registers,
    }),
    pending: new Gauge({
      name: 'ula_ingest_pending_events',
      help: 'Events and dead letters waiting for a flush',
      registers,
      collect(): void {
        this.set(pending());
      },
    }),
  };
}
