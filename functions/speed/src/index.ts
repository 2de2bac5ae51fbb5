/**
 * The speed function: keeps the real-time views (views/speed-catalogue.ts) exact in the view store.
 * Each CloudEvent (binary or structured mode, as Knative delivers it) becomes fact rows in the event-time
 * windows it falls into; concurrent events are written together (group commit) and each is answered only
 * once its rows are stored. Answers: 200 `{status: on_time|late|too_late|duplicate, id, facts}`;
 * 4xx `{error, field, rule, message}` for bad input; 503 when the store fails, so Knative retries.
 *
 * faas-js-runtime calls `init()` before it listens, then `handle(context)` per request: `context.method`,
 * `context.headers` and `context.body` (a Buffer: the runtime hooks hand over the raw request) are all
 * this function reads. `shutdown()` flushes pending writes and closes the store.
 */
import { EventValidationError, openViewStore, speedTable, speedViews, type ViewStore } from '@ula/core';
import { rejection } from '@ula/core/http/errors';
import { installRuntimeHooks } from '@ula/core/http/runtime';
import type { Context } from 'faas-js-runtime';
import { log } from './log.ts';
import { speedRegistry } from './metrics.ts';
import { loadSpeedSettings } from './settings.ts';
import { SpeedHandler } from './speed-handler.ts';
import { SpeedWriter } from './speed-writer.ts';
import { StoreHealth } from './store-health.ts';

let store: ViewStore | undefined;
let handler: SpeedHandler | undefined;
let health: StoreHealth | undefined;
let uninstallHooks: (() => void) | undefined;

export async function init(): Promise<void> {
  const settings = loadSpeedSettings();
  uninstallHooks?.();
  uninstallHooks = installRuntimeHooks({
    registries: [speedRegistry],
    onRequestError: async (_request, error) =>
      rejection(
        new EventValidationError(
          error.statusCode === 413 ? 'too_large' : 'invalid_json',
          'body',
          error.message,
        ),
      ),
  });
  store = openViewStore(settings.config);
  health = new StoreHealth(store, log);
  await health.ensureTables(speedViews.map(speedTable));
  handler = new SpeedHandler(new SpeedWriter(store, settings), settings, log);
  const { config, ...tuning } = settings;
  log.info({ msg: 'speed function ready', store: config.cassandra ? 'cassandra' : 'sqlite', ...tuning });
}

export async function handle(context: Context) {
  if (!handler) throw Object.assign(new Error('speed function not initialised'), { code: 503 });
  return handler.handle(context);
}

export async function shutdown(): Promise<void> {
  await handler?.drain();
  await store?.close();
}

type Reply = { code(status: number): { send(body: string): unknown } };
export const readiness = async (_request: unknown, reply: Reply) =>
  (await health?.ok()) ? reply.code(200).send('OK') : reply.code(503).send('view store unavailable');
export const liveness = async (_request: unknown, reply: Reply) => reply.code(200).send('OK');
