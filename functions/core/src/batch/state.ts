/**
 * Batch state kept in the lake next to the raw data (object keys under `state/`):
 *
 * - `state/<view>/all/states.v8.gz`: the all-time partial states of a view (every computed day merged),
 *   with a header naming the version of each day it includes. A day's version is the fingerprint of its
 *   raw input files (keys, sizes, modification times), so an unchanged day is recognised without
 *   recomputing anything, and a crash between writes never double counts.
 * - `state/<view>/date=D/<version>.v8.gz`: the partial states of one day of an all-time view, kept for
 *   the days of the retention window only (what a late event can still change): recomputing such a day
 *   removes its old partial from the all-time states (invertible aggregates) and merges the new one.
 * - `state/<view>/date=D/day.v8.gz`: the latest partial of a day of a trailing-window daily view.
 * - `state/_jobs/<job>/date=D.json`: the day's manifest (input files read, when, by which run).
 * - `state/_retention/raw.json`: the raw lake's retention horizon (batch/retain.ts): raw partitions of UTC
 *   dates before `keepFrom` are (being) deleted, so the batch never recomputes a day that reads them.
 *
 * States are stored column-wise (`encodeAggregation`: typed arrays plus the key values and distinct
 * members they name, so merges stay exact across runs), serialized with V8's structured clone, gzip
 * (Huffman only). They can always be rebuilt by rerunning the history.
 */
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import type { ObjectStore } from '../adapters/object-store.ts';
import type { BatchViewDefinition } from '../views/define.ts';
import {
  type Aggregation,
  type Dictionary,
  decodeAggregation,
  type EncodedAggregation,
  encodeAggregation,
} from '../views/engine.ts';
import type { DayManifest, InputFingerprint } from './plan.ts';

export const statePrefix = 'state/';
export const dayPartialKey = (view: string, date: string, version: string) =>
  `${statePrefix}${view}/date=${date}/${version}.v8.gz`;
export const trailingPartialKey = (view: string, date: string) =>
  `${statePrefix}${view}/date=${date}/day.v8.gz`;
export const allTimeKey = (view: string) => `${statePrefix}${view}/all/states.v8.gz`;
export const manifestKey = (job: string, date: string) => `${statePrefix}_jobs/${job}/date=${date}.json`;
export const rawHorizonKey = `${statePrefix}_retention/raw.json`;

/** What the retention recorded before deleting raw partitions: the first UTC date it keeps. */
export interface RawHorizon {
  keepFrom: string;
  runId: string;
  updatedAt: number;
}

/** What the all-time states include: per day, the version merged, and which day partials are stored. */
export interface AllTimeHeader {
  included: Record<string, string>;
  stored: Record<string, string>;
  /** Per view over this one: its partial states over the settled rows dropped from this state. */
  settled?: Record<string, EncodedAggregation>;
}

/** The version of a day's partial: a fingerprint of its input files. */
export function inputsVersion(inputs: Record<string, InputFingerprint>): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(inputs).sort()) {
    const f = inputs[key]!;
    hash.update(`${key}\u0000${f.size}\u0000${f.lastModified}\n`);
  }
  return hash.digest('hex').slice(0, 24);
}

export function encodeStates(aggregation: Aggregation, header?: AllTimeHeader): Uint8Array {
  // Huffman coding only: the states are mostly small integers, where LZ77 matching cost 60 % more time
  // for 9 % smaller files.
  return gzipSync(serialize({ header, states: encodeAggregation(aggregation) }), {
    level: 1,
    strategy: constants.Z_HUFFMAN_ONLY,
  });
}

export function decodeStates(
  view: BatchViewDefinition<never>,
  bytes: Uint8Array,
  dictionary?: Dictionary,
): { aggregation: Aggregation; header: AllTimeHeader } {
  const { header, states } = deserialize(gunzipSync(bytes)) as {
    header?: AllTimeHeader;
    states: EncodedAggregation;
  };
  return {
    aggregation: decodeAggregation(view, states, dictionary),
    header: {
      included: header?.included ?? {},
      stored: header?.stored ?? {},
      settled: header?.settled ?? {},
    },
  };
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

export async function readRawHorizon(lake: ObjectStore): Promise<RawHorizon | undefined> {
  const bytes = await lake.get(rawHorizonKey);
  return bytes ? (JSON.parse(Buffer.from(bytes).toString('utf8')) as RawHorizon) : undefined;
}

export async function writeRawHorizon(lake: ObjectStore, horizon: RawHorizon): Promise<void> {
  await lake.put(rawHorizonKey, Buffer.from(JSON.stringify(horizon)), 'application/json');
}
