import { type Config, loadConfig } from '@ula/core';
import { type PrivacyPolicy, privacyPolicy } from '@ula/core/privacy/personal';
import { readSettings, readTogether, speed } from '@ula/core/settings';

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
  /** User ids pseudonymised like ingest does (ULA_PSEUDONYMIZE): docs/privacy.md. */
  privacy: PrivacyPolicy;
}

/** The speed settings, checked (settings.ts declares them): InvalidSettings names every invalid variable. */
export function loadSpeedSettings(env: NodeJS.ProcessEnv = process.env): SpeedSettings {
  const [config, v, privacy] = readTogether(
    () => loadConfig(env),
    () => readSettings(env, speed),
    () => privacyPolicy(env),
  );
  return { config, ...v, privacy };
}
