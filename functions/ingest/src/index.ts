/**
 * ingest: a Knative function (faas-js-runtime, CloudEvents over HTTP) that writes every valid LMS event
 * durably to the raw Parquet lake and every invalid input to the dead-letter store. See docs/ingest.md.
 *
 * The runtime calls `init()` before it listens, `handle(context, body)` per request (context: method,
 * headers, body — CloudEvents are decoded by core's http/cloudevents.ts, see http/runtime.ts for why),
 * `readiness`/`liveness` for probes and `shutdown()` on SIGTERM/SIGINT.
 */
import { lakeStore } from '@ula/core/adapters/object-stores';
import { loadConfig } from '@ula/core/config';
import { installRuntimeHooks } from '@ula/core/http/runtime';
import type { Context } from 'faas-js-runtime';
import { Ingest } from './ingest.ts';
import { ingestMetrics } from './metrics.ts';
import { loadIngestSettings } from './settings.ts';

let ingest: Ingest | undefined;
let uninstall: (() => void) | undefined;

export function init(): void {
  const settings = loadIngestSettings();
  const metrics = ingestMetrics(() => ingest?.pending ?? 0);
  const service = new Ingest(lakeStore(loadConfig()), settings, metrics);
  ingest = service;
  uninstall?.();
  uninstall = installRuntimeHooks({
    sdkDecoding: settings.sdkDecoding,
    registries: [service.metrics.registry],
    onRequestError: (request, error) => service.handleRequestError(request, error),
  });
}

export async function handle(context: Context, body?: unknown) {
  if (!ingest) throw Object.assign(new Error('ingest not initialised'), { code: 503 });
  // With sdkDecoding the runtime has already parsed the event: hand over its attributes and data.
  const payload = context.cloudevent ? { ...context.cloudevent } : body;
  const headers = context.cloudevent
    ? { ...context.headers, 'content-type': 'application/cloudevents+json' }
    : context.headers;
  return ingest.handle({ method: context.method, headers, body: payload });
}

export async function shutdown(): Promise<void> {
  await ingest?.close();
}

interface Reply {
  code(status: number): Reply;
  send(body: string): void;
}

export async function readiness(_request: unknown, reply: Reply): Promise<void> {
  try {
    if (!ingest) throw new Error('not initialised');
    await ingest.health();
    reply.code(200).send('OK');
  } catch (error) {
    reply.code(503).send(`lake not reachable: ${(error as Error).message}`);
  }
}

export function liveness(_request: unknown, reply: Reply): void {
  reply.code(200).send('OK');
}
