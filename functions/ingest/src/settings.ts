/** Ingest's own settings (env), next to the shared `loadConfig`. */
export interface IngestSettings {
  /** Flush when this many events are pending (ULA_INGEST_MAX_EVENTS, default 5000). */
  maxEvents: number;
  /** Flush when the oldest pending event is this old (ULA_INGEST_MAX_AGE_MS, default 1000). */
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
  return {
    maxEvents: int(env['ULA_INGEST_MAX_EVENTS'], 5000, 1),
    maxAgeMs: int(env['ULA_INGEST_MAX_AGE_MS'], 1000, 0),
    maxInFlight: int(env['ULA_INGEST_MAX_INFLIGHT'], 1, 1),
    idleMs: int(env['ULA_INGEST_IDLE_MS'], 2, 0),
    sdkDecoding: env['ULA_INGEST_SDK_DECODING'] === '1',
  };
}
