// Bundles each function (with the shared @ula/core library inlined) into functions/<name>/build/index.js,
// so a function folder is self-contained when `func build` / `kn` builds its image (scripts/function-bundles.mjs).
// Usage: node scripts/build-functions.mjs [name...]   (default: all functions)
import { build } from 'esbuild';
import { bundleOptions, functionNames } from './function-bundles.mjs';

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : functionNames;
await Promise.all(names.map((name) => build(bundleOptions(name))));
console.log(`built ${names.join(', ')}`);
