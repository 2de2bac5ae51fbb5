/**
 * Layer health from real data: the speed layer by the age of its newest window holding facts, the batch
 * layer by the age of its watermark. Thresholds come from the environment (see `healthThresholds`).
 */
import { health, readSettings } from '../settings.ts';

export type LayerStatus = 'healthy' | 'stale' | 'down';

export interface HealthThresholds {
  /** Speed: newest window older than this (s) → stale; older than `speedDownSeconds` or none → down. */
  speedStaleSeconds: number;
  speedDownSeconds: number;
  /** Batch: watermark older than this (h) → stale; older than `batchDownHours` or none → down. */
  batchStaleHours: number;
  batchDownHours: number;
}

/**
 * Defaults: speed healthy under 5 min, stale to 15 min, down beyond (the older system's documented, never
 * implemented thresholds). Batch: a daily run leaves a watermark between ~1 h and ~25 h old, so stale
 * after 30 h (one run late), down after 54 h (two runs missed).
 */
export function healthThresholds(env: NodeJS.ProcessEnv = process.env): HealthThresholds {
  return readSettings(env, health);
}

/** Status of a layer from the age (ms) of its freshest evidence; undefined age (no data) → down. */
export function statusOf(ageMs: number | undefined, staleMs: number, downMs: number): LayerStatus {
  if (ageMs === undefined) return 'down';
  if (ageMs >= downMs) return 'down';
  if (ageMs >= staleMs) return 'stale';
  return 'healthy';
}

export const speedStatus = (ageMs: number | undefined, t: HealthThresholds) =>
  statusOf(ageMs, t.speedStaleSeconds * 1000, t.speedDownSeconds * 1000);

export const batchStatus = (ageMs: number | undefined, t: HealthThresholds) =>
  statusOf(ageMs, t.batchStaleHours * 3_600_000, t.batchDownHours * 3_600_000);

/** The worse of two statuses. */
export const worst = (a: LayerStatus, b: LayerStatus): LayerStatus =>
  a === 'down' || b === 'down' ? 'down' : a === 'stale' || b === 'stale' ? 'stale' : 'healthy';
