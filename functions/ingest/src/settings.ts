import { type PrivacyPolicy, privacyPolicy } from '@ula/core/privacy/personal';
import { ingest, readSettings, readTogether } from '@ula/core/settings';

/** Ingest's own settings (env; declared in @ula/core/settings), next to the shared `loadConfig`. */
export interface IngestSettings {
  /** Flush when this many events are pending (ULA_INGEST_MAX_EVENTS, default 5000). */
  maxEvents: number;
  /**
   * Under low load, a batch waits this long for more events (ULA_INGEST_LINGER_MS, default 3000), so live
   * traffic writes a file per few seconds and category, not per request; at saturation batches close as
   * soon as the senders wait (group-commit.ts). docs/ingest.md gives the measurements behind the default.
   */
  lingerMs: number;
  /** Flush when the oldest pending event is this old, even while a flush runs (ULA_INGEST_MAX_AGE_MS, default 4000). */
  maxAgeMs: number;
  /** Concurrent lake writes started by the quiet rule (ULA_INGEST_MAX_INFLIGHT, default 1). */
  maxInFlight: number;
  /** Quiet period that closes a batch (ULA_INGEST_IDLE_MS, default 2). */
  idleMs: number;
  /** Keep the runtime's CloudEvents SDK decoding (ULA_INGEST_SDK_DECODING=1; slower, for comparison). */
  sdkDecoding: boolean;
  /** Personal fields kept out of the lake (ULA_PII) and user ids pseudonymised (ULA_PSEUDONYMIZE): docs/privacy.md. */
  privacy: PrivacyPolicy;
}

/** Ingest's settings, checked (settings.ts declares them): InvalidSettings names every invalid variable. */
export function loadIngestSettings(env: NodeJS.ProcessEnv = process.env): IngestSettings {
  const [v, privacy] = readTogether(
    () =>
      readSettings(env, ingest, ({ lingerMs, maxAgeMs }) =>
        maxAgeMs !== undefined && maxAgeMs < lingerMs
          ? [`ULA_INGEST_MAX_AGE_MS (${maxAgeMs}) must be at least ULA_INGEST_LINGER_MS (${lingerMs})`]
          : [],
      ),
    () => privacyPolicy(env),
  );
  return { ...v, maxAgeMs: v.maxAgeMs ?? Math.max(4000, v.lingerMs), privacy };
}
