/**
 * xapi: a Knative function (faas-js-runtime) serving the statements resource of an LRS, so an LMS (Open edX,
 * Moodle, anything that speaks xAPI or cmi5) pointed at `<base>` gets its activity into the pipeline: every
 * statement stored redacted in the lake, its catalogue events sent to the category topics. See docs/xapi.md
 * and lrs.ts.
 *
 * The runtime calls `init()` before it listens; the LRS's paths reach `Lrs.handle` through routes.ts (the
 * runtime itself routes only `/`, which `handle` answers), `readiness`/`liveness` for probes, `shutdown()`
 * on SIGTERM/SIGINT.
 */
import type { EventSink } from '@ula/core/adapters/event-sink';
import { openEventSink } from '@ula/core/adapters/event-sinks';
import { lakeStore } from '@ula/core/adapters/object-stores';
import type { ViewStore } from '@ula/core/adapters/view-store';
import { openViewStore } from '@ula/core/adapters/view-stores';
import { installRuntimeHooks } from '@ula/core/http/runtime';
import { StatementMapper } from '@ula/core/xapi/mapping';
import type { Context } from 'faas-js-runtime';
import { Lrs } from './lrs.ts';
import { xapiMetrics } from './metrics.ts';
import { ViewStoreRegistry } from './registry.ts';
import { installLrsRoutes } from './routes.ts';
import { loadXapiSettings } from './settings.ts';

let lrs: Lrs | undefined;
let store: ViewStore | undefined;
let uninstall: (() => void)[] = [];

export async function init(): Promise<void> {
  await initWith();
}

/**
 * `init` with parts replaced: `sink` instead of the one ULA_XAPI_SINK chooses (the benchmark measures the
 * function's own cost with an in-process sink; the settings are still read and checked).
 */
export async function initWith(parts: { sink?: EventSink } = {}): Promise<void> {
  const settings = loadXapiSettings();
  const metrics = xapiMetrics();
  store = openViewStore(settings.config);
  const registry = new ViewStoreRegistry(store);
  await registry.ensureTable();
  const service = new Lrs({
    lake: lakeStore(settings.config),
    sink: parts.sink ?? openEventSink(settings.sink),
    registry,
    mapper: new StatementMapper(settings.mapping),
    metrics,
    credentials: settings.credentials,
    homePage: settings.mapping.homePage,
    pseudonymize: settings.pseudonymize,
    groupCommit: settings.groupCommit,
  });
  lrs = service;
  for (const undo of uninstall) undo();
  uninstall = [
    installRuntimeHooks({ registries: [metrics.registry] }),
    installLrsRoutes(() => lrs, settings.maxBodyBytes),
  ];
}

/** What the runtime routes to `/` (not an LRS path): answered by the LRS too (404 naming its paths). */
export async function handle(context: Context, body?: unknown) {
  if (!lrs) throw Object.assign(new Error('xapi not initialised'), { code: 503 });
  return lrs.handle({
    method: context.method,
    path: '/',
    query: (context.query ?? {}) as Record<string, unknown>,
    headers: context.headers,
    body,
  });
}

export async function shutdown(): Promise<void> {
  await lrs?.close();
  await store?.close();
}

interface Reply {
  code(status: number): Reply;
  send(body: string): void;
}

export async function readiness(_request: unknown, reply: Reply): Promise<void> {
  try {
    if (!lrs) throw new Error('not initialised');
    await lrs.health();
    reply.code(200).send('OK');
  } catch (error) {
    reply.code(503).send(`not ready: ${(error as Error).message}`);
  }
}

export function liveness(_request: unknown, reply: Reply): void {
  reply.code(200).send('OK');
}
