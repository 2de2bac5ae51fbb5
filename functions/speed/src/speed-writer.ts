import {
  coalesceFacts,
  GroupCommit,
  type Outcome,
  type SpeedViewDefinition,
  speedTable,
  type TableDefinition,
  type ViewFacts,
  type ViewStore,
  WrittenMembers,
} from '@ula/core';
import { type FactSink, factSink } from './fact-sink.ts';
import { speedMetrics } from './metrics.ts';

export interface SpeedWriterOptions {
  ttlSeconds: number;
  idleMs: number;
  maxAgeMs: number;
  maxBatchEvents: number;
  maxInFlight: number;
  /** Distinct-count facts remembered as stored, not to write them again (0 disables). */
  writtenMembers: number;
}

const stored: Outcome<void> = { ok: true, value: undefined };

/**
 * Writes the fact rows of concurrent events as one group commit (core's `GroupCommit`, shared with
 * ingest: a batch closes when arrivals pause for `idleMs` and a write slot is free, so waiting senders are
 * never held for a fixed linger; under continuous arrivals the age bound closes it). A batch is coalesced
 * (same primary key written once, distinct members already stored skipped) and written as one write per
 * view table, all tables in parallel (see fact-sink.ts). `write` resolves only when the batch holding the
 * event's facts is stored, and rejects when that write failed.
 */
export class SpeedWriter {
  private readonly commit: GroupCommit<readonly ViewFacts[]>;
  private readonly tables = new Map<SpeedViewDefinition, TableDefinition>();
  private readonly sink: FactSink;
  private readonly written: WrittenMembers;

  constructor(store: ViewStore, options: SpeedWriterOptions) {
    this.sink = factSink(store, options.ttlSeconds);
    this.written = new WrittenMembers(options.writtenMembers);
    this.commit = new GroupCommit({
      flush: (batch) => this.flush(batch),
      idleMs: options.idleMs,
      maxAgeMs: options.maxAgeMs,
      maxItems: options.maxBatchEvents,
      maxInFlight: options.maxInFlight,
    });
  }

  /** Stores one event's facts (with those of the events gathered alongside it). */
  write(writes: readonly ViewFacts[]): Promise<void> {
    return this.commit.submit(writes);
  }

  drain(): Promise<void> {
    return this.commit.drain();
  }

  /** Writes a batch whole: every event of it succeeds or fails together. */
  private async flush(batch: (readonly ViewFacts[])[]): Promise<Outcome<void>[]> {
    const merged = this.written.unwritten(coalesceFacts(batch));
    speedMetrics.batchEvents.observe(batch.length);
    speedMetrics.batchFacts.observe(merged.reduce((n, w) => n + w.rows.length, 0));
    const stop = speedMetrics.writeSeconds.startTimer();
    try {
      await Promise.all(merged.map(({ view, rows }) => this.sink(this.tableOf(view), rows)));
    } catch (error) {
      speedMetrics.writeFailures.inc();
      throw error;
    } finally {
      stop();
    }
    this.written.remember(merged);
    for (const { view, rows } of merged) speedMetrics.facts.inc({ view: view.name }, rows.length);
    return batch.map(() => stored);
  }

  private tableOf(view: SpeedViewDefinition): TableDefinition {
    let table = this.tables.get(view);
    if (!table) {
      table = speedTable(view);
      this.tables.set(view, table);
    }
    return table;
  }
}
