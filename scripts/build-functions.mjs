// Bundles each function (with the shared @ula/core library inlined) into functions/<name>/build/index.js,
// so a function folder is self-contained when `func build` / `kn` builds its image (scripts/function-bundles.mjs).
// Usage: node scripts/build-functions.mjs [name...]   (default: all functions)
import { build } from 'esbuild';
import { writeDashboardAssets } from '../functions/serving/scripts/embed-dashboard.mjs';
import { bundleOptions, functionNames } from './function-bundles.mjs';

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : functionNames;
// The serving function embeds the dashboard: bundle its TypeScript and Chart.js into the assets first.
if (names.includes('serving')) await writeDashboardAssets();
await Promise.all(names.map((name) => build(bundleOptions(name))));
console.log(`built ${names.join(', ')}`);
