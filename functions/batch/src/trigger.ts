/**
 * Local stand-in for Knative Eventing's JobSink (the batch row of the README's component table):
 *
 * - `POST /jobs/batch` with a batch-request CloudEvent (structured `application/cloudevents+json` or
 *   binary `ce-*` headers; data `{job, from, to}` for a view job, `all`, or `compact`, the lake's
 *   compaction) → 400 when invalid; else 202 with `Location: /jobs/batch/<run id>`. The run id
 *   is derived from the event's source and id, so the same event never starts a second run (JobSink
 *   semantics). Runs execute one at a time as child processes: `node functions/batch/build/index.js`
 *   with the event written to `<tmp>/event` and `K_EVENT_PATH` pointing there.
 * - `GET /jobs/batch/<run id>` → the run's status from `batch_runs` (falling back to the child's exit
 *   status): 202 running or queued, 200 succeeded, 400 failed, 404 unknown; JSON body.
 * - `GET /health` → 200.
 *
 * Start: `npm run trigger -w functions/batch` (port ULA_BATCH_TRIGGER_PORT, default 8084).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ViewStore } from '@ula/core/adapters/view-store';
import { openViewStore } from '@ula/core/adapters/view-stores';
import {
  describeRequest,
  InvalidBatchRequest,
  parseBatchRequestEvent,
  runIdOf,
} from '@ula/core/batch/request';
import { batchRuns } from '@ula/core/views/system-tables';
import { loadTriggerSettings } from './settings.ts';

const here = dirname(fileURLToPath(import.meta.url));
const functionDir = resolve(here, '..');
const maxBody = 1 << 20;

type RunState =
  | { status: 'queued' }
  | { status: 'running'; child: ChildProcess }
  | { status: 'exited'; code: number | null; stderr: string };

export interface TriggerOptions {
  port?: number;
  host?: string;
  views: ViewStore;
  /** The job command (argv); default: node build/index.js, or src/index.ts through tsx before a build. */
  command?: readonly string[];
  env?: NodeJS.ProcessEnv;
  log?: (entry: Record<string, unknown>) => void;
}

export function defaultJobCommand(): string[] {
  const built = join(functionDir, 'build', 'index.js');
  if (existsSync(built)) return [process.execPath, built];
  return [process.execPath, '--import', 'tsx', join(functionDir, 'src', 'index.ts')];
}

export class BatchTrigger {
  private readonly runs = new Map<string, RunState & { request: unknown }>();
  private readonly queue: { runId: string; event: unknown }[] = [];
  private active = false;
  readonly server: Server;
  private readonly command: readonly string[];
  private readonly log: (entry: Record<string, unknown>) => void;

  constructor(private readonly options: TriggerOptions) {
    this.command = options.command ?? defaultJobCommand();
    this.log =
      options.log ??
      ((entry) =>
        process.stdout.write(
          `${JSON.stringify({ time: new Date().toISOString(), service: 'batch-trigger', ...entry })}\n`,
        ));
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error) => {
        this.log({ level: 'error', event: 'request_failed', error: (error as Error).message });
        send(res, 500, { error: (error as Error).message });
      });
    });
  }

  listen(): Promise<number> {
    return new Promise((ok) => {
      this.server.listen(this.options.port ?? 8084, this.options.host ?? '127.0.0.1', () => {
        const address = this.server.address();
        ok(typeof address === 'object' && address ? address.port : (this.options.port ?? 8084));
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((ok) => this.server.close(() => ok()));
    for (const run of this.runs.values()) if (run.status === 'running') run.child.kill('SIGTERM');
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { status: 'ok' });
    if (url.pathname === '/jobs/batch' || url.pathname === '/jobs/batch/') {
      if (req.method !== 'POST') return send(res, 405, { error: 'POST a batch-request CloudEvent' });
      return this.accept(req, res);
    }
    const match = /^\/jobs\/batch\/([A-Za-z0-9._-]+)$/.exec(url.pathname);
    if (match && req.method === 'GET') return this.status(match[1]!, res);
    return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
  }

  private async accept(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let event: Record<string, unknown>;
    try {
      event = await readCloudEvent(req);
      const { event: parsed, request } = parseBatchRequestEvent(event);
      const runId = runIdOf(parsed.source, parsed.id);
      const location = `/jobs/batch/${runId}`;
      res.setHeader('Location', location);
      const known = this.runs.get(runId) ?? (await this.recorded(runId));
      if (known) {
        this.log({ event: 'batch_request_duplicate', runId });
        return send(res, 202, { runId, location, status: 'accepted', duplicate: true });
      }
      // An erasure's user id stays in the event only: logs and the status page show the request without it.
      this.runs.set(runId, { status: 'queued', request: describeRequest(request) });
      this.queue.push({ runId, event: { ...parsed, datacontenttype: 'application/json' } });
      this.log({ event: 'batch_request_accepted', runId, request: describeRequest(request) });
      send(res, 202, { runId, location, status: 'accepted' });
      this.pump();
    } catch (error) {
      if (error instanceof InvalidBatchRequest || error instanceof SyntaxError) {
        return send(res, 400, { error: error.message });
      }
      throw error;
    }
  }

  /** A run recorded by an earlier trigger process (the same event posted again after a restart). */
  private async recorded(runId: string): Promise<boolean> {
    try {
      const [row] = await this.options.views.readPartition(batchRuns, { run_id: runId });
      return row !== undefined;
    } catch {
      return false;
    }
  }

  private pump(): void {
    if (this.active) return;
    const next = this.queue.shift();
    if (!next) return;
    this.active = true;
    this.start(next.runId, next.event)
      .catch((error) => {
        this.runs.set(next.runId, {
          status: 'exited',
          code: null,
          stderr: (error as Error).message,
          request: this.runs.get(next.runId)?.request,
        });
      })
      .finally(() => {
        this.active = false;
        this.pump();
      });
  }

  private async start(runId: string, event: unknown): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'ula-jobsink-'));
    await writeFile(join(dir, 'event'), JSON.stringify(event));
    const [command, ...args] = this.command;
    const child = spawn(command!, args, {
      env: { ...process.env, ...this.options.env, K_EVENT_PATH: dir, ULA_BATCH_RUN_ID: runId },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const request = this.runs.get(runId)?.request;
    this.runs.set(runId, { status: 'running', child, request });
    this.log({ event: 'batch_job_started', runId, pid: child.pid });
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
      process.stderr.write(chunk);
    });
    const code = await new Promise<number | null>((ok) => {
      child.on('error', (error) => {
        stderr += error.message;
        ok(null);
      });
      child.on('close', (exitCode) => ok(exitCode));
    });
    this.runs.set(runId, { status: 'exited', code, stderr, request });
    this.log({ event: 'batch_job_exited', runId, code });
    await rm(dir, { recursive: true, force: true });
  }

  private async status(runId: string, res: ServerResponse): Promise<void> {
    const local = this.runs.get(runId);
    let row: Record<string, unknown> | undefined;
    try {
      [row] = await this.options.views.readPartition(batchRuns, { run_id: runId });
    } catch (error) {
      this.log({ level: 'warn', event: 'status_store_unreachable', runId, error: (error as Error).message });
    }
    const exited = local?.status === 'exited' ? local : undefined;
    let status: string;
    if (exited && exited.code !== 0) status = 'failed';
    else if (row) status = String(row['status']);
    else if (exited) status = exited.code === 0 ? 'succeeded' : 'failed';
    else if (local) status = local.status;
    else return send(res, 404, { runId, error: 'unknown run' });
    // A run still marked running in the table whose process is gone failed without recording it.
    if (status === 'running' && exited) status = exited.code === 0 ? 'succeeded' : 'failed';
    const error =
      status !== 'failed'
        ? undefined
        : typeof row?.['error'] === 'string'
          ? row['error']
          : exited
            ? lastLine(exited.stderr)
            : undefined;
    const body = {
      runId,
      status,
      ...(row ? { run: row } : {}),
      ...(exited && exited.code !== 0 ? { exitCode: exited.code } : {}),
      ...(error !== undefined ? { error } : {}),
    };
    const code = status === 'succeeded' ? 200 : status === 'failed' ? 400 : 202;
    send(res, code, body);
  }
}

const lastLine = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .at(-1) ?? '';

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new InvalidBatchRequest('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A CloudEvent from an HTTP request in structured or binary content mode. */
async function readCloudEvent(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req);
  const contentType = String(req.headers['content-type'] ?? '');
  if (contentType.startsWith('application/cloudevents+json')) {
    try {
      return JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new InvalidBatchRequest('body is not a JSON CloudEvent');
    }
  }
  if (req.headers['ce-specversion'] === undefined) {
    throw new InvalidBatchRequest(
      'not a CloudEvent: use Content-Type application/cloudevents+json (structured) or ce-* headers (binary)',
    );
  }
  const event: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('ce-') && typeof value === 'string') event[name.slice(3)] = value;
  }
  if (body.length > 0) {
    try {
      event['data'] = JSON.parse(body);
    } catch {
      throw new InvalidBatchRequest('binary CloudEvent data is not JSON');
    }
  }
  return event;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { config, port, host } = loadTriggerSettings();
  const trigger = new BatchTrigger({ port, host, views: openViewStore(config) });
  const bound = await trigger.listen();
  process.stdout.write(
    `${JSON.stringify({ service: 'batch-trigger', event: 'listening', host, port: bound })}\n`,
  );
  const stop = () => {
    trigger.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
