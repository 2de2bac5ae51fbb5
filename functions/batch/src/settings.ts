/** The batch job's and the batch trigger's settings (env; declared in @ula/core/settings), next to `loadConfig`. */
import type { RiskThresholds } from '@ula/core/categories/student-course/risk';
import { type Config, loadConfig } from '@ula/core/config';
import { batch, readSettings, readTogether, risk, trigger } from '@ula/core/settings';

export interface BatchSettings {
  config: Config;
  /** Folder of the JobSink event file (K_EVENT_PATH). */
  eventPath: string;
  /** The run id the trigger chose (ULA_BATCH_RUN_ID), if any. */
  runId: string | undefined;
  lookbackDays: number;
  /** Partial states kept for this many days before the last computed (default 2 × lookbackDays). */
  stateRetentionDays: number;
  graceMinutes: number;
  writeAttempts: number;
  compactionLatenessMinutes: number;
  /** `retain`: days of raw partitions kept (0: forever). */
  retentionRawDays: number;
  /** `retain`: days of personal-table and dead-letter partitions kept (0: forever). */
  retentionPiiDays: number;
  /** Pushgateway for the run's metrics (ULA_PUSHGATEWAY_URL), if any. */
  pushgatewayUrl: string | undefined;
  /** Thresholds of the at-risk rules (ULA_RISK_*). */
  risk: RiskThresholds;
}

/** Every batch variable, checked at once: InvalidSettings names each invalid one and the form it expects. */
export function loadBatchSettings(env: NodeJS.ProcessEnv = process.env): BatchSettings {
  const [config, v, thresholds] = readTogether(
    () => loadConfig(env),
    () => readSettings(env, batch, retentionProblems),
    () => readSettings(env, risk),
  );
  return {
    ...v,
    config,
    stateRetentionDays: v.stateRetentionDays ?? 2 * v.lookbackDays,
    risk: thresholds,
  };
}

/**
 * Raw files must outlive the batch's look-back: a day is computed (late events included) before retention
 * removes its files, else its events would never reach the views.
 */
function retentionProblems(v: { retentionRawDays: number; lookbackDays: number }): string[] {
  if (v.retentionRawDays === 0 || v.retentionRawDays > v.lookbackDays + 1) return [];
  return [
    `ULA_RETENTION_RAW_DAYS=${v.retentionRawDays}: must be 0 (keep forever) or more than ULA_BATCH_LOOKBACK_DAYS + 1 (${v.lookbackDays + 1}), so every day is computed before its raw files are deleted`,
  ];
}

export interface TriggerSettings {
  config: Config;
  port: number;
  host: string;
}

export function loadTriggerSettings(env: NodeJS.ProcessEnv = process.env): TriggerSettings {
  const [config, v] = readTogether(
    () => loadConfig(env),
    () => readSettings(env, trigger),
  );
  return { config, ...v };
}
