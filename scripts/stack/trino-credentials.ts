/**
 * The local stack's Trino credentials, as a user finds them: scripts/stack/trino.sh writes one file per user of
 * trino/security/group.txt, `.stack/trino/credentials/<user>.env` (ULA_TRINO_URL, _USER, _PASSWORD, _CA_FILE;
 * `set -a; . FILE` in a shell). Tests and tools take their Trino access from here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type TrinoAccess, trinoAccess } from '../../functions/core/src/lake/trino-access.ts';

/** The folder of the local stack's state (scripts/stack/lib.sh: STACK_RUN, default <repo>/.stack). */
const stackRun = (env: NodeJS.ProcessEnv) =>
  env['STACK_RUN'] || fileURLToPath(new URL('../../.stack', import.meta.url));

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
