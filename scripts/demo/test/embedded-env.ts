/** The environment without the service variables `npm test` exports, so a demo child runs on its embedded default. */
export function embeddedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of [
    'ULA_KAFKA_BROKERS',
    'ULA_S3_ENDPOINT',
    'ULA_CASSANDRA_CONTACT_POINTS',
    'ULA_TRINO_URL',
  ])
    delete env[name];
  return env;
}
