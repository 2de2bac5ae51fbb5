/** Ingest's own settings (env), next to the shared `loadConfig`. */
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
}

const int = (value: string | undefined, fallback: number, min: number): number => {
  const n = value === undefined || value === '' ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`expected an integer >= ${min}, got "${value}"`);
  return n;
};

export function loadIngestSettings(env: NodeJS.ProcessEnv = process.env): IngestSettings {
  const lingerMs = int(env['ULA_INGEST_LINGER_MS'], 3000, 0);
  const maxAgeMs = int(env['ULA_INGEST_MAX_AGE_MS'], Math.max(4000, lingerMs), 0);
  if (maxAgeMs < lingerMs)
    throw new Error(
      `ULA_INGEST_MAX_AGE_MS (${maxAgeMs}) must be at least ULA_INGEST_LINGER_MS (${lingerMs})`,
    );
  return {
    maxEvents: int(env['ULA_INGEST_MAX_EVENTS'], 5000, 1),
    lingerMs,
    maxAgeMs,
    maxInFlight: int(env['ULA_INGEST_MAX_INFLIGHT'], 1, 1),
    idleMs: int(env['ULA_INGEST_IDLE_MS'], 2, 0),
    sdkDecoding: env['ULA_INGEST_SDK_DECODING'] === '1',
  };
}
