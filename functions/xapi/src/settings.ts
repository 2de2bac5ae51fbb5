import type { EventSinkChoice } from '@ula/core/adapters/event-sinks';
import { type Config, loadConfig } from '@ula/core/config';
import type { Role } from '@ula/core/events/envelope';
import { type Pseudonymize, userIdPseudonymizer } from '@ula/core/privacy/pseudonym';
import { InvalidSettings, readSettings, readTogether, type XapiCredential, xapi } from '@ula/core/settings';

/** The xapi function's settings (env; declared in @ula/core/settings `xapi`), next to the shared `Config`. */
export interface XapiSettings {
  config: Config;
  /** `undefined`: no authentication (ULA_XAPI_AUTH=none, local development only). */
  credentials: XapiCredential[] | undefined;
  maxBodyBytes: number;
  sink: EventSinkChoice;
  mapping: { homePage: string; defaultRole: Role };
  groupCommit: { maxRequests: number; lingerMs: number; maxAgeMs: number };
  /** `ULA_PSEUDONYMIZE=hmac`: stored statements carry pseudonyms (docs/privacy.md); undefined: off. */
  pseudonymize: Pseudonymize | undefined;
}

/**
 * Reads and checks the settings; InvalidSettings names every problem. Basic auth without credentials, and a
 * sink choice without its target, stop the start: an open LRS or events with nowhere to go are never a default.
 */
export function loadXapiSettings(env: NodeJS.ProcessEnv = process.env): XapiSettings {
  const [config, v, pseudonymize] = readTogether(
    () => loadConfig(env),
    () => readSettings(env, xapi),
    () => userIdPseudonymizer(env),
  );
  // Rules across variables, once each value is valid.
  const problems: string[] = [];
  if (v.auth === 'basic' && v.credentials === undefined)
    problems.push(
      'ULA_XAPI_CREDENTIALS is unset: set it (key:secret:statements/write) or ULA_XAPI_AUTH=none for local development',
    );
  if (v.sink === undefined)
    problems.push('ULA_XAPI_SINK is unset: kafka (with ULA_KAFKA_BROKERS) or http (with ULA_XAPI_SINK_URL)');
  if (v.sink === 'http' && v.sinkUrl === undefined)
    problems.push('ULA_XAPI_SINK=http needs ULA_XAPI_SINK_URL (a URL with {category})');
  if (v.sink === 'kafka' && !config.kafka)
    problems.push('ULA_XAPI_SINK=kafka needs ULA_KAFKA_BROKERS (host:port,…)');
  if (problems.length > 0) throw new InvalidSettings(problems);
  const sink: EventSinkChoice =
    v.sink === 'http'
      ? { kind: 'http', urlTemplate: v.sinkUrl! }
      : { kind: 'kafka', connection: config.kafka! };
  return {
    config,
    credentials: v.auth === 'none' ? undefined : v.credentials,
    maxBodyBytes: v.maxBodyBytes,
    sink,
    mapping: { homePage: v.homePage, defaultRole: v.defaultRole },
    pseudonymize,
    groupCommit: {
      maxRequests: v.maxRequests,
      lingerMs: v.lingerMs,
      maxAgeMs: Math.max(v.maxAgeMs, v.lingerMs),
    },
  };
}
