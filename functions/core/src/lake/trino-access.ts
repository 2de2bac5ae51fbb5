/**
 * How the project's clients reach Trino: as a named user with a password over https (the local stack and the
 * cluster refuse anything else; trino/security/, docs/trino-security.md). One place builds the trino-client
 * connection, so every client trusts the same CA and sends the same credentials.
 *
 * - `trinoAccess(env)`: from ULA_TRINO_URL, ULA_TRINO_USER, ULA_TRINO_PASSWORD, ULA_TRINO_CA_FILE (settings.ts).
 * - the local stack's credentials files (`.stack/trino/credentials/<user>.env`): scripts/stack/trino-credentials.ts.
 */
import { readFileSync } from 'node:fs';
import { BasicAuth, type ConnectionOptions, Trino } from 'trino-client';
import { readSettings, shared, trinoViews } from '../settings.ts';

/** The local stack's Trino (scripts/stack/trino.sh). */
export const localTrinoUrl = 'https://127.0.0.1:8443';

export interface TrinoAccess {
  server: string;
  user: string;
  /** Sent as HTTP Basic; Trino accepts it over https only. */
  password?: string;
  /** PEM of the CA to trust instead of the system's (the stack's and the deploy's generated CA). */
  ca?: string;
}

/** The client settings of the environment (unset URL: the local stack's). */
export function trinoAccess(env: NodeJS.ProcessEnv = process.env): TrinoAccess {
  const s = readSettings(env, {
    url: shared.trinoUrl,
    user: trinoViews.user,
    password: trinoViews.password,
    caFile: trinoViews.caFile,
  });
  return {
    server: s.url ?? localTrinoUrl,
    user: s.user,
    ...(s.password ? { password: s.password } : {}),
    ...(s.caFile ? { ca: readFileSync(s.caFile, 'utf8') } : {}),
  };
}

/** A trino-client connection of ACCESS (catalog, schema and source as trino-client takes them). */
export function connectTrino(
  access: TrinoAccess,
  options: Pick<ConnectionOptions, 'catalog' | 'schema' | 'source'> = {},
): Trino {
  return Trino.create({
    ...options,
    server: access.server,
    auth: new BasicAuth(access.user, access.password),
    ...(access.ca ? { ssl: { ca: access.ca } } : {}),
  });
}
