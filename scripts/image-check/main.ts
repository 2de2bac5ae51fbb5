/**
 * Builds and starts each function folder the way `func build` (Paketo Node.js buildpacks) makes its
 * image, without Docker, then exercises it against the real local stack:
 *
 * 1. the folder alone, copied to an empty directory (no workspace, no root node_modules);
 * 2. the buildpack's install: `npm ci` (a lockfile is present; `npm install` without one) with
 *    `NODE_ENV=development` and func.yaml's buildEnvs, the npm scripts of `BP_NODE_RUN_SCRIPTS`, then
 *    `npm prune --omit=dev` under `NODE_ENV=production` (the launch layer);
 * 3. the image's command: `scripts.start` run by `sh` with `NODE_ENV=production` and a container-like
 *    environment (only the settings the deployment gives it);
 * 4. liveness and readiness probed, one valid and one invalid request (ingest and speed: CloudEvents;
 *    serving: the API with and without its token; xapi: `<base>/about`, a valid statement 200, an invalid one
 *    400, no credentials 401, with the Kafka event sink); batch: run as JobSink runs it, from an event file
 *    (a valid request exits 0 and records its run, an invalid one exits 2).
 *
 * Usage (the local stack up, `npm run build` done): node scripts/toolchain.mjs tsx scripts/image-check/main.ts [name…]
 * Exit code 0 when every function passes; the first failure of each function is reported.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { toHttpBinary } from '../../functions/core/src/events/cloudevents.ts';
import type { LmsEvent } from '../../functions/core/src/events/envelope.ts';
import { cassandraClient, resetStorage, stackEnv } from '../e2e/stack-run.ts';
import { functionNames, nodeMajor } from '../function-bundles.mjs';
import { waitReady } from '../verify/local.ts';

interface FuncYaml {
  build?: { buildEnvs?: { name: string; value: string }[] };
  run?: { envs?: { name: string; value: string }[] };
  deploy?: { healthEndpoints?: { liveness?: string; readiness?: string } };
}
interface PackageJson {
  scripts?: Record<string, string>;
  engines?: { node?: string };
}

const run = { keyspace: 'ula_image_check', bucket: 'ula-image-check' };
const ports: Record<string, number> = { ingest: 18091, speed: 18092, serving: 18093, xapi: 18094 };
const apiToken = randomUUID();
/** The LRS's Basic credentials (as the Secret ula-xapi gives them in the cluster). */
const xapiCredential = { key: 'image-check', secret: randomUUID() };
const eventTime = '2026-11-02T01:07:05.000Z'; // 08:07 in the stack's Asia/Ho_Chi_Minh calendar
const eventDate = '2026-11-02';

class CheckFailed extends Error {}
const check = (ok: boolean, message: string): void => {
  if (!ok) throw new CheckFailed(message);
};

function say(name: string, message: string): void {
  console.log(`[${name.padEnd(7)}] ${message}`);
}

/** Runs a command to completion; rejects with its output's tail on a non-zero exit. */
function exec(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function step(name: string, what: string, action: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await action();
  say(name, `ok   ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

/**
 * What a build container gets from this machine: the toolchain's PATH (Node.js 24 first), npm's settings
 * (the headers native addons build against) and the network's (proxy, CA certificates); nothing else.
 */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: process.env['HOME'] };
  const machine =
    /^(npm_config_(nodedir|cache|registry)|NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR)|(https?|no)_proxy)$/i;
  for (const [key, value] of Object.entries(process.env)) if (machine.test(key)) env[key] = value;
  return env;
}

/** Steps 1 and 2: the folder alone in an empty directory, installed as the buildpack installs it. */
async function install(name: string, funcYaml: FuncYaml): Promise<string> {
  const source = join('functions', name);
  const app = mkdtempSync(join(tmpdir(), `ula-image-${name}-`));
  cpSync(source, app, { recursive: true, filter: (path) => !path.includes('/node_modules') });
  check(
    existsSync(join(app, 'build/index.js')),
    `${source}/build/index.js is missing: run \`npm run build\` first`,
  );
  const buildEnvs = Object.fromEntries((funcYaml.build?.buildEnvs ?? []).map((e) => [e.name, e.value]));
  const env = { ...baseEnv(), ...buildEnvs, NODE_ENV: 'development' };
  const lockfile = existsSync(join(app, 'package-lock.json'));
  const installArgs = lockfile ? ['ci'] : ['install'];
  await step(name, `npm ${installArgs[0]} in an empty directory (NODE_ENV=development)`, async () => {
    const { code, output } = await exec('npm', [...installArgs, '--no-audit', '--no-fund'], {
      cwd: app,
      env,
    });
    check(
      code === 0,
      `npm ${installArgs[0]} failed (exit ${code}):\n${output.trim().split('\n').slice(-12).join('\n')}`,
    );
  });
  for (const script of (buildEnvs['BP_NODE_RUN_SCRIPTS'] ?? '').split(',').filter(Boolean)) {
    await step(name, `npm run ${script}`, async () => {
      const { code, output } = await exec('npm', ['run', script], { cwd: app, env });
      check(code === 0, `npm run ${script} failed (exit ${code}):\n${output.slice(-2000)}`);
    });
  }
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as PackageJson;
  check(
    pkg.engines?.node === `${nodeMajor}.x`,
    `engines.node is ${pkg.engines?.node}: the buildpack would pick another Node.js than ${nodeMajor}`,
  );
  await step(name, 'npm prune --omit=dev (NODE_ENV=production)', async () => {
    const { code, output } = await exec('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund'], {
      cwd: app,
      env: { ...env, NODE_ENV: 'production' },
    });
    check(code === 0, `npm prune failed (exit ${code}):\n${output.slice(-2000)}`);
  });
  return app;
}

/** The settings the deployment gives a function: func.yaml's literal run envs, then the local stack's. */
function launchEnv(name: string, funcYaml: FuncYaml): NodeJS.ProcessEnv {
  const literal = (funcYaml.run?.envs ?? []).filter((e) => !e.value.includes('{{'));
  return {
    ...baseEnv(),
    NODE_ENV: 'production',
    ...Object.fromEntries(literal.map((e) => [e.name, e.value])),
    ...stackEnv(run),
    ULA_TRINO_URL: process.env['ULA_TRINO_URL'] ?? 'https://127.0.0.1:8443',
    ...(ports[name] === undefined ? {} : { FUNC_PORT: String(ports[name]) }),
    ...(name === 'serving' ? { ULA_API_TOKEN: apiToken } : {}),
    // The cluster's sink is a KafkaSink per category (HTTP); here the local stack's Kafka takes the events.
    ...(name === 'xapi'
      ? {
          ULA_XAPI_CREDENTIALS: `${xapiCredential.key}:${xapiCredential.secret}:statements/write`,
          ULA_XAPI_SINK: 'kafka',
        }
      : {}),
  };
}

/** Step 3 for a served function: the image's command, `sh -c "$(scripts.start)"`, as the buildpack launches it. */
function launch(app: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as PackageJson;
  const start = pkg.scripts?.['start'];
  check(
    start !== undefined,
    'package.json has no scripts.start: the buildpack would not know how to start it',
  );
  const child = spawn('sh', ['-c', start!], {
    cwd: app,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk).slice(-20_000)));
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  process.kill(-child.pid!, 'SIGTERM');
  const timeout = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
  const result = await exited;
  clearTimeout(timeout);
  return result;
}

/** Each health path in turn answers 200 (verify/local.ts's wait; its failure is this check's). */
async function waitHealthy(
  name: string,
  base: string,
  paths: string[],
  child: ChildProcess,
  output: () => string,
) {
  for (const path of paths) {
    await waitReady({ name, child, output }, base + path, 60_000).catch((error: Error) => {
      throw new CheckFailed(error.message);
    });
  }
}

const event = (data: Record<string, unknown>): LmsEvent => ({
  id: randomUUID(),
  category: 'auth',
  eventType: 'LOGIN',
  time: eventTime,
  // Deliberately loose: the invalid requests carry a missing or mistyped user_id.
  data: { role: 'student', session_id: randomUUID(), device: 'web', ...data } as unknown as LmsEvent['data'],
});

async function postEvent(base: string, lmsEvent: LmsEvent): Promise<{ status: number; body: unknown }> {
  const message = toHttpBinary(lmsEvent);
  const response = await fetch(base, {
    method: 'POST',
    headers: message.headers as Record<string, string>,
    body: String(message.body),
  });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

/** POSTs statements to the LRS at `base` (`auth` false: no credentials). */
async function postStatements(
  base: string,
  body: unknown,
  auth = true,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-experience-api-version': '1.0.3',
  };
  if (auth)
    headers['authorization'] =
      `Basic ${Buffer.from(`${xapiCredential.key}:${xapiCredential.secret}`).toString('base64')}`;
  const response = await fetch(`${base}/xapi/statements`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

const loginStatement = (withVerb: boolean): Record<string, unknown> => ({
  id: randomUUID(),
  actor: { objectType: 'Agent', account: { homePage: 'https://lms.example.edu', name: 'SVIMG0001' } },
  ...(withVerb ? { verb: { id: 'https://w3id.org/xapi/adl/verbs/logged-in' } } : {}),
  object: { objectType: 'Activity', id: 'https://lms.example.edu' },
  timestamp: eventTime,
});

/** Step 4 per function. */
const probes: Record<string, (base: string) => Promise<void>> = {
  async ingest(base) {
    const valid = await postEvent(base, event({ user_id: 'SVIMG0001' }));
    check(
      valid.status >= 200 && valid.status < 300,
      `a valid event got ${valid.status} ${JSON.stringify(valid.body)}`,
    );
    const invalid = await postEvent(base, event({ user_id: undefined }));
    check(
      invalid.status === 422 && (invalid.body as { field?: string })?.field === 'data.user_id',
      `an event without user_id got ${invalid.status} ${JSON.stringify(invalid.body)}, not 422 on data.user_id`,
    );
  },
  async speed(base) {
    const valid = await postEvent(base, event({ user_id: 'SVIMG0001' }));
    const status = (valid.body as { status?: string })?.status;
    check(
      valid.status === 200 && status !== undefined,
      `a valid event got ${valid.status} ${JSON.stringify(valid.body)}`,
    );
    const invalid = await postEvent(base, event({ user_id: 42 }));
    check(
      invalid.status === 422 && (invalid.body as { field?: string })?.field === 'data.user_id',
      `an event with a numeric user_id got ${invalid.status} ${JSON.stringify(invalid.body)}, not 422 on data.user_id`,
    );
  },
  async serving(base) {
    const authorised = await fetch(`${base}/api/v1/summary`, {
      headers: { authorization: `Bearer ${apiToken}` },
    });
    const summary = (await authorised.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    check(
      authorised.status === 200 && summary !== undefined,
      `GET /api/v1/summary with the token got ${authorised.status}`,
    );
    const anonymous = await fetch(`${base}/api/v1/summary`);
    check(anonymous.status === 401, `GET /api/v1/summary without the token got ${anonymous.status}, not 401`);
    const bad = await fetch(`${base}/api/v1/daily-active-users?from=yesterday`, {
      headers: { authorization: `Bearer ${apiToken}` },
    });
    check(bad.status === 400, `GET /api/v1/daily-active-users?from=yesterday got ${bad.status}, not 400`);
  },
  async xapi(base) {
    const about = await fetch(`${base}/xapi/about`, { headers: { 'x-experience-api-version': '1.0.3' } });
    const versions = ((await about.json().catch(() => ({}))) as { version?: string[] }).version;
    check(
      about.status === 200 && Array.isArray(versions) && versions.includes('1.0.3'),
      `GET /xapi/about got ${about.status} ${JSON.stringify(versions)}`,
    );
    const valid = loginStatement(true);
    const stored = await postStatements(base, valid);
    check(
      stored.status === 200 && JSON.stringify(stored.body) === JSON.stringify([valid['id']]),
      `a valid statement got ${stored.status} ${JSON.stringify(stored.body)}, not 200 [its id]`,
    );
    const invalid = await postStatements(base, loginStatement(false));
    check(
      invalid.status === 400 && /verb/.test(JSON.stringify(invalid.body)),
      `a statement without a verb got ${invalid.status} ${JSON.stringify(invalid.body)}, not 400 naming the verb`,
    );
    const anonymous = await postStatements(base, loginStatement(true), false);
    check(anonymous.status === 401, `a statement without credentials got ${anonymous.status}, not 401`);
  },
};

async function checkServed(name: string, app: string, funcYaml: FuncYaml): Promise<void> {
  const base = `http://127.0.0.1:${ports[name]}`;
  const health = funcYaml.deploy?.healthEndpoints;
  const paths = [health?.liveness ?? '/health/liveness', health?.readiness ?? '/health/readiness'];
  const { child, output } = launch(app, launchEnv(name, funcYaml));
  try {
    await step(name, `started by scripts.start; ${paths.join(' and ')} answer 200`, () =>
      waitHealthy(name, base, paths, child, output),
    );
    await step(name, 'one valid and one invalid request against the local stack', () => probes[name]!(base));
  } finally {
    const exit = await stop(child);
    say(name, `stopped by SIGTERM (exit ${exit})`);
  }
}

/** Batch as JobSink runs it: the event file in $K_EVENT_PATH, the image's command, the exit code. */
async function checkBatch(app: string, funcYaml: FuncYaml): Promise<void> {
  const eventDir = mkdtempSync(join(tmpdir(), 'ula-jobsink-event-'));
  const env = { ...launchEnv('batch', funcYaml), K_EVENT_PATH: eventDir };
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as PackageJson;
  const jobSinkEvent = (data: unknown) => ({
    specversion: '1.0',
    id: randomUUID(),
    source: 'ula/image-check',
    type: 'edu.lms.batch.request',
    datacontenttype: 'application/json',
    data,
  });
  try {
    const valid = jobSinkEvent({ job: 'auth', from: eventDate, to: eventDate });
    writeFileSync(join(eventDir, 'event'), JSON.stringify(valid));
    await step(
      'batch',
      `a valid JobSink event file: \`${pkg.scripts?.['start']}\` exits 0, run recorded`,
      async () => {
        const { code, output } = await exec('sh', ['-c', pkg.scripts!['start']!], { cwd: app, env });
        check(code === 0, `exit ${code}:\n${output.slice(-3000)}`);
        const client = cassandraClient(env as Record<string, string>);
        try {
          const rows = await client.execute(
            `SELECT job, status FROM ${run.keyspace}.batch_runs WHERE job = ? ALLOW FILTERING`,
            ['auth'],
            { prepare: true },
          );
          check(
            rows.rows.some((row) => row['status'] === 'succeeded'),
            `no succeeded auth row in ${run.keyspace}.batch_runs`,
          );
        } finally {
          await client.shutdown();
        }
      },
    );
    writeFileSync(
      join(eventDir, 'event'),
      JSON.stringify(jobSinkEvent({ job: 'no_such_view', from: eventDate })),
    );
    await step('batch', 'an invalid JobSink event file: exits 2 (invalid request)', async () => {
      const { code, output } = await exec('sh', ['-c', pkg.scripts!['start']!], { cwd: app, env });
      check(code === 2, `exit ${code}, not 2:\n${output.slice(-2000)}`);
    });
  } finally {
    rmSync(eventDir, { recursive: true, force: true });
  }
}

async function checkFunction(name: string): Promise<boolean> {
  const funcYaml = parseYaml(readFileSync(join('functions', name, 'func.yaml'), 'utf8')) as FuncYaml;
  let app: string | undefined;
  try {
    app = await install(name, funcYaml);
    if (name === 'batch') await checkBatch(app, funcYaml);
    else await checkServed(name, app, funcYaml);
    return true;
  } catch (error) {
    say(
      name,
      `FAIL ${error instanceof CheckFailed ? error.message : String((error as Error).stack ?? error)}`,
    );
    return false;
  } finally {
    if (app) rmSync(app, { recursive: true, force: true });
  }
}

const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : functionNames;
console.log(`image check on Node.js ${process.version}: ${names.join(', ')} (keyspace ${run.keyspace})`);
await resetStorage(stackEnv(run));
const t0 = performance.now();
// Two at a time: the installs compile better-sqlite3 (one core each); ingest goes with the first.
const results: Record<string, boolean> = {};
const queue = [...names];
await Promise.all(
  [0, 1].map(async () => {
    for (let name = queue.shift(); name; name = queue.shift()) results[name] = await checkFunction(name);
  }),
);
const failed = names.filter((n) => !results[n]);
console.log(
  `image check: ${names.length - failed.length}/${names.length} passed in ${((performance.now() - t0) / 1000).toFixed(0)} s` +
    (failed.length > 0 ? `; FAILED: ${failed.join(', ')}` : ''),
);
process.exit(failed.length > 0 ? 1 : 0);
