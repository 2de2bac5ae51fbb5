/**
 * A no-op function for faas-js-runtime, the peer of the function benchmarks: the runtime's own ceiling,
 * either stock or with core's runtime hooks (which the real functions install).
 */
import { join } from 'node:path';
import { build } from 'esbuild';

export interface NoopOptions {
  /** Install core's runtime hooks in `init`, as ingest and speed do. */
  hooks: boolean;
  /** Answer 200 with a small JSON body (as speed does) instead of an empty 204 (as ingest does). */
  json: boolean;
}

/** Bundles the no-op into `dir` and returns the entry file to hand to faas-js-runtime. */
export async function noopFunction(root: string, dir: string, { hooks, json }: NoopOptions): Promise<string> {
  const out = join(dir, `noop-${hooks ? 'hooked' : 'stock'}-${json ? 'json' : 'empty'}.mjs`);
  const answer = json
    ? `{ statusCode: 200, headers: { 'content-type': 'application/json' }, body: { status: 'ok' } }`
    : 'undefined';
  await build({
    stdin: {
      contents: `${hooks ? `import { installRuntimeHooks } from './functions/core/src/http/runtime.ts';\nexport function init() { installRuntimeHooks(); }\n` : ''}export async function handle() { return ${answer}; }`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'warning',
  });
  return out;
}
