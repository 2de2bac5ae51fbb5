// Bundles each function (with the shared @ula/core library inlined) into functions/<name>/build/index.js,
// so a function folder is self-contained when `func build` / `kn` builds its image.
// Usage: node scripts/build-functions.mjs [name...]   (default: all functions)
import { build } from 'esbuild';

const all = ['ingest', 'speed', 'batch', 'serving'];
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : all;
// Native or optional-native modules stay external; each function's package.json lists them.
const external = ['better-sqlite3', 'cassandra-driver', '@duckdb/node-api', 'playwright-core'];

await Promise.all(
  names.map((name) =>
    build({
      entryPoints: [`functions/${name}/src/index.ts`],
      outfile: `functions/${name}/build/index.js`,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: true,
      external,
      logLevel: 'warning',
      // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
    }),
  ),
);
console.log(`built ${names.join(', ')}`);
