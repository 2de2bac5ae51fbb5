/** The serving function's settings (env; declared in @ula/core/settings): the shared ones, health and the API's. */
import { type Config, loadConfig } from '@ula/core/config';
import type { HealthThresholds } from '@ula/core/serving/health';
import { type ApiToken, health, privacy, readSettings, readTogether, serving } from '@ula/core/settings';

export interface ServingSettings {
  config: Config;
  thresholds: HealthThresholds;
  /** The bearer tokens the API accepts (ULA_API_TOKENS, plus ULA_API_TOKEN as read+admin); empty: the API is open. */
  apiTokens: ApiToken[];
  /** Browser origins allowed to call the API (ULA_CORS_ORIGINS). */
  corsOrigins: string[];
  /** API answers are cached this long (ULA_API_CACHE_MS; 0 disables). */
  apiCacheMs: number;
  /** `store`: the restricted personal-data table exists and the `privacy` route reads it (ULA_PII). */
  pii: 'drop' | 'store';
}

/** Every serving variable, checked at once: InvalidSettings names each invalid one and the form it expects. */
export function loadServingSettings(env: NodeJS.ProcessEnv = process.env): ServingSettings {
  const [config, thresholds, { pii }, v] = readTogether(
    () => loadConfig(env),
    () => readSettings(env, health),
    () => readSettings(env, { pii: privacy.pii }),
    () =>
      readSettings(env, serving, (values) =>
        values.apiToken !== undefined && values.apiTokens?.some((t) => t.token === values.apiToken)
          ? [
              'ULA_API_TOKEN is also a token of ULA_API_TOKENS: give each token one name and one set of scopes',
            ]
          : [],
      ),
  );
  const { apiTokens, apiToken, ...rest } = v;
  // ULA_API_TOKEN stays the single all-routes token it was (read + admin), so tools and deploys that set it
  // keep working; resolving pseudonyms (`privacy`) is granted only by name, in ULA_API_TOKENS.
  const legacy: ApiToken[] =
    apiToken !== undefined ? [{ name: 'ULA_API_TOKEN', token: apiToken, scopes: ['read', 'admin'] }] : [];
  return { config, thresholds, apiTokens: [...(apiTokens ?? []), ...legacy], pii, ...rest };
}
