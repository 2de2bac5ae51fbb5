// Writes functions/<name>/package-lock.json for each function folder, resolved from the registry as if the
// folder stood alone (the way the Node buildpack sees it: a lockfile makes it run `npm ci`). Run after
// changing a function's dependencies; scripts/test/function-folders.test.ts fails while a lockfile is stale.
// Usage: node scripts/toolchain.mjs node scripts/function-lockfiles.mjs [name...]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { functionNames } from './function-bundles.mjs';

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : functionNames;
for (const name of names) {
  const scratch = mkdtempSync(join(tmpdir(), `ula-lock-${name}-`));
  try {
    copyFileSync(`functions/${name}/package.json`, join(scratch, 'package.json'));
    const npm = spawnSync(
      'npm',
      ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'],
      {
        cwd: scratch,
        stdio: 'inherit',
      },
    );
    if (npm.status !== 0) throw new Error(`npm install --package-lock-only failed for ${name}`);
    copyFileSync(join(scratch, 'package-lock.json'), `functions/${name}/package-lock.json`);
    console.log(`wrote functions/${name}/package-lock.json`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
