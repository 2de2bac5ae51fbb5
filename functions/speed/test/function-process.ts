/**
 * Runs the built speed function under faas-js-runtime as a child process (as `npm start` does), on a
 * free loopback port, for integration tests and the benchmark.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** `npm run build -w functions/speed` (esbuild bundle, about a second). */
export function buildFunction(name = 'speed'): void {
  execFileSync('node', ['scripts/build-functions.mjs', name], { cwd: root, stdio: 'pipe' });
}

export interface RunningFunction {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts `functions/<name>/build/index.js` (or `entry`) under faas-js-runtime; resolves once ready. */
export async function startFunction(
  env: Record<string, string>,
  options: { name?: string; entry?: string; readyPath?: string; timeoutMs?: number } = {},
): Promise<RunningFunction> {
  const name = options.name ?? 'speed';
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules/faas-js-runtime/bin/cli.js'), options.entry ?? './build/index.js'],
    {
      cwd: join(root, 'functions', name),
      env: { ...process.env, FUNC_LOG_LEVEL: 'warn', ...env, FUNC_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output = (output + d).slice(-200_000);
  });
  child.stderr?.on('data', (d) => {
    output = (output + d).slice(-200_000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`function exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}${options.readyPath ?? '/health/readiness'}`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`function not ready in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    process: child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
