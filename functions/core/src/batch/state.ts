/**
 * Batch state kept in the lake next to the raw data (object keys under `state/`):
 *
 * - `state/<view>/date=D/<hash>.ndjson.gz`: the partial aggregate states of an all-time view for local
 *   day D (one line per grain: keys and states), named by the hash of its content.
 * - `state/<view>/all/partial.ndjson.gz`: the all-time states, i.e. every day's partial merged; its first
 *   line names the partial version of each day it includes, so a crash between writes never double counts.
 * - `state/_jobs/<job>/date=D.json`: the day's manifest (input files read, when, by which run).
 *
 * States are JSON-safe (distinct counts keep their members), so merges stay exact across runs.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ObjectStore } from '../adapters/object-store.ts';
import type { Row } from '../views/columns.ts';
import type { BatchViewDefinition } from '../views/define.ts';
import { type Aggregation, loadAggregation, saveAggregation } from '../views/engine.ts';
import type { DayManifest } from './plan.ts';

export const statePrefix = 'state/';
/** Day partials are content-addressed, so the all-time state can name exactly the versions it includes. */
export const dayPartialKey = (view: string, date: string, hash: string) =>
  `${statePrefix}${view}/date=${date}/${hash}.ndjson.gz`;
/** The latest partial of one day of a trailing-window daily view (rows of later dates merge several). */
export const trailingPartialKey = (view: string, date: string) =>
  `${statePrefix}${view}/date=${date}/day.ndjson.gz`;
export const allTimeKey = (view: string) => `${statePrefix}${view}/all/partial.ndjson.gz`;
export const manifestKey = (job: string, date: string) => `${statePrefix}_jobs/${job}/date=${date}.json`;

type Saved = { keys: Row; states: unknown[] };

/** The first line of an all-time state: which version (hash) of each day's partial it includes. */
export interface AllTimeHeader {
  included: Record<string, string>;
}

/** Canonical text of an aggregation's partial states (NDJSON, one grain per line, sorted). */
export function statesText(aggregation: Aggregation): string {
  const lines = saveAggregation(aggregation).map((g) => JSON.stringify([g.keys, g.states]));
  lines.sort();
  return lines.join('\n');
}

export const hashText = (text: string): string =>
  createHash('sha256').update(text).digest('hex').slice(0, 24);

export const gzipText = (text: string): Uint8Array => gzipSync(text, { level: 1 });

export function encodeAllTime(aggregation: Aggregation, header: AllTimeHeader): Uint8Array {
  return gzipText(`${JSON.stringify(header)}\n${statesText(aggregation)}`);
}

/** Decodes gzip NDJSON states; with `header`, the first line is the all-time header. */
export function decodeStates(
  view: BatchViewDefinition<never>,
  bytes: Uint8Array,
  header = false,
): { aggregation: Aggregation; header: AllTimeHeader } {
  const text = gunzipSync(bytes).toString('utf8');
  const saved: Saved[] = [];
  let parsedHeader: AllTimeHeader = { included: {} };
  let first = header;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    if (first) {
      parsedHeader = JSON.parse(line) as AllTimeHeader;
      first = false;
      continue;
    }
    const [keys, states] = JSON.parse(line) as [Row, unknown[]];
    saved.push({ keys, states });
  }
  return { aggregation: loadAggregation(view, saved), header: parsedHeader };
}

export async function readManifest(
  lake: ObjectStore,
  job: string,
  date: string,
): Promise<DayManifest | undefined> {
  const bytes = await lake.get(manifestKey(job, date));
  return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as DayManifest) : undefined;
}

export async function writeManifest(lake: ObjectStore, manifest: DayManifest): Promise<void> {
  await lake.put(
    manifestKey(manifest.job, manifest.date),
    Buffer.from(JSON.stringify(manifest)),
    'application/json',
  );
}
