// Installs the npm dependencies on first use (fresh clone), so `npm start` and `npm test` work directly.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('node_modules/.package-lock.json') || !existsSync('node_modules/better-sqlite3/build')) {
  console.log('installing dependencies (first run)…');
  execSync('npm install --no-audit --no-fund', { stdio: 'inherit' });
  execSync('npm rebuild better-sqlite3 esbuild', { stdio: 'inherit' });
}
