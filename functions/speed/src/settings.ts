import { type Config, loadConfig } from '@ula/core';

/** The speed function's configuration: the shared `ULA_*` variables plus its own `ULA_SPEED_*` ones. */
export interface SpeedSettings {
  config: Config;
  /** A window accepts events until its end + this (seconds on the function's clock). */
  allowedLatenessSeconds: number;
  /** Events stamped further ahead of the clock are rejected (4xx). */
  maxFutureSkewSeconds: number;
  /** Time-to-live of speed rows; the daily batch must cover a day before its rows expire. */
  ttlSeconds: number;
  /** Group commit: how long facts of concurrent requests gather before one write. */
  lingerMs: number;
  /** Group commit: a batch is written at once when it holds this many fact rows. */
  maxBatchFacts: number;
  /** Group commit: batches being written at once. */
  maxInFlight: number;
  /** Event ids remembered to spot redeliveries (0 disables). */
  recentIds: number;
  /** Distinct-count facts remembered as stored, not to rewrite them (0 disables). */
  writtenMembers: number;
}

const number = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
};

export function loadSpeedSettings(env: NodeJS.ProcessEnv = process.env): SpeedSettings {
  return {
    config: loadConfig(env),
    allowedLatenessSeconds: number(env, 'ULA_SPEED_ALLOWED_LATENESS_SECONDS', 600),
    maxFutureSkewSeconds: number(env, 'ULA_SPEED_MAX_FUTURE_SKEW_SECONDS', 60),
    ttlSeconds: number(env, 'ULA_SPEED_TTL_SECONDS', 259_200),
    lingerMs: number(env, 'ULA_SPEED_LINGER_MS', 50),
    maxBatchFacts: number(env, 'ULA_SPEED_MAX_BATCH_FACTS', 4000),
    maxInFlight: number(env, 'ULA_SPEED_MAX_IN_FLIGHT', 2),
    recentIds: number(env, 'ULA_SPEED_RECENT_IDS', 100_000),
    writtenMembers: number(env, 'ULA_SPEED_WRITTEN_MEMBERS', 200_000),
  };
}
