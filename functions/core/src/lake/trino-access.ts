/**
 * How the project's clients reach Trino: as a named user with a password over https (the local stack and the
 * cluster refuse anything else; trino/security/, docs/trino-security.md). One place builds the trino-client
 * connection, so every client trusts the same CA and sends the same credentials.
 *
 * - `trinoAccess(env)`: from ULA_TRINO_URL, ULA_TRINO_USER, ULA_TRINO_PASSWORD, ULA_TRINO_CA_FILE (settings.ts).
 * - `stackTrinoAccess(user)`: the local stack's credentials file of one user,
 *   `.stack/trino/credentials/<user>.env` (scripts/stack/trino.sh writes it at start); what tests and tools use
 *   when no password is in the environment.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

/** The folder of the local stack's state (scripts/stack/lib.sh: STACK_RUN, default <repo>/.stack). */
const stackRun = (env: NodeJS.ProcessEnv) =>
  env['STACK_RUN'] || fileURLToPath(new URL('../../../../.stack', import.meta.url));

/** `KEY=value` lines (what trino.sh writes; no quoting), as an environment. */
export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) vars[m[1]!] = m[2]!.trim();
  }
  return vars;
}

/**
 * The access of USER to the local stack's Trino, from its credentials file. With ULA_TRINO_PASSWORD set (a
 * test run against another Trino, e.g. the cluster's), the environment's access instead, whatever USER is.
 */
export function stackTrinoAccess(user = 'ula_admin', env: NodeJS.ProcessEnv = process.env): TrinoAccess {
  if (env['ULA_TRINO_PASSWORD']) return trinoAccess(env);
  const file = `${stackRun(env)}/trino/credentials/${user}.env`;
  if (!existsSync(file)) {
    throw new Error(
      `Trino credentials of ${user} not found (${file}): start the stack (npm run stack:up) or set ULA_TRINO_URL, ULA_TRINO_USER, ULA_TRINO_PASSWORD and ULA_TRINO_CA_FILE`,
    );
  }
  return trinoAccess(parseEnvFile(readFileSync(file, 'utf8')));
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
