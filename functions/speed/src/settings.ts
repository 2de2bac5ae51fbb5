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
  /** Group commit: a batch is written once no event arrived for this long (and a write slot is free). */
  idleMs: number;
  /** Group commit: a batch is written at the latest when its oldest event is this old. */
  maxAgeMs: number;
  /** Group commit: a batch is written at once when it holds this many events. */
  maxBatchEvents: number;
  /** Group commit: writes the quiet rule starts at once (meanwhile the next batch grows). */
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
    idleMs: number(env, 'ULA_SPEED_IDLE_MS', 2),
    maxAgeMs: number(env, 'ULA_SPEED_MAX_AGE_MS', 50),
    maxBatchEvents: number(env, 'ULA_SPEED_MAX_BATCH_EVENTS', 2000),
    maxInFlight: number(env, 'ULA_SPEED_MAX_IN_FLIGHT', 2),
    recentIds: number(env, 'ULA_SPEED_RECENT_IDS', 100_000),
    writtenMembers: number(env, 'ULA_SPEED_WRITTEN_MEMBERS', 200_000),
  };
}
