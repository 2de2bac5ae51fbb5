// What each function folder deploys: its esbuild bundle (functions/<name>/build/index.js, with @ula/core
// and every pure-JS dependency inlined) plus the packages the bundle still imports at run time, which the
// folder's package.json and package-lock.json list (the buildpack installs exactly those). One place for
// the bundle options: scripts/build-functions.mjs builds with them, scripts/function-lockfiles.mjs and
// scripts/test/function-folders.test.ts check the folders against them.
import { readFileSync } from 'node:fs';

export const functionNames = ['ingest', 'speed', 'batch', 'serving', 'xapi'];

/** Node.js of the functions and the toolchain: the major version of the repository's .node-version. */
export const nodeMajor = Number(
  readFileSync(new URL('../.node-version', import.meta.url), 'utf8')
    .trim()
    .split('.')[0],
);

/**
 * Native or optional-native modules stay out of the bundles; each function's package.json lists those it
 * imports. kafkajs too: only xapi's Kafka event sink imports it, and it stays a declared dependency of that
 * folder rather than tooling inlined into a bundle.
 */
export const externalPackages = [
  'better-sqlite3',
  'cassandra-driver',
  '@duckdb/node-api',
  'playwright-core',
  'kafkajs',
];

/**
 * Imports esbuild leaves in a bundle although nothing installs them: `require()` calls inside try/catch
 * that their package treats as optional (follow-redirects, via axios in trino-client, logs through `debug`
 * when present).
 */
export const optionalRequires = ['debug'];

/** @param {string} name @returns {import('esbuild').BuildOptions} */
export function bundleOptions(name) {
  return {
    entryPoints: [`functions/${name}/src/index.ts`],
    outfile: `functions/${name}/build/index.js`,
    bundle: true,
    platform: 'node',
    target: `node${nodeMajor}`,
    format: 'esm',
    sourcemap: true,
    external: externalPackages,
    logLevel: 'warning',
    // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  };
}
