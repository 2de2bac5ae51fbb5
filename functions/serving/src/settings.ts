/** The serving function's settings (env; declared in @ula/core/settings): the shared ones, health and the API's. */
import { type Config, loadConfig } from '@ula/core/config';
import type { HealthThresholds } from '@ula/core/serving/health';
import { health, readSettings, readTogether, serving } from '@ula/core/settings';

export interface ServingSettings {
  config: Config;
  thresholds: HealthThresholds;
  /** Bearer token every API call needs, when set (ULA_API_TOKEN). */
  apiToken: string | undefined;
  /** Browser origins allowed to call the API (ULA_CORS_ORIGINS). */
  corsOrigins: string[];
  /** API answers are cached this long (ULA_API_CACHE_MS; 0 disables). */
  apiCacheMs: number;
}

/** Every serving variable, checked at once: InvalidSettings names each invalid one and the form it expects. */
export function loadServingSettings(env: NodeJS.ProcessEnv = process.env): ServingSettings {
  const [config, thresholds, v] = readTogether(
    () => loadConfig(env),
    () => readSettings(env, health),
    () => readSettings(env, serving),
  );
  return { config, thresholds, ...v };
}
