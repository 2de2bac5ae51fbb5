/**
 * Hooks into faas-js-runtime 4.0.1 (Fastify 4; the same code as 3.0.2, re-read on the upgrade) so that every function:
 *
 * 1. decodes CloudEvents itself (cloudevents.ts). The runtime's preHandler calls the CloudEvents SDK's
 *    `HTTP.isEvent(request)` and then `HTTP.toEvent(request)` — each a full parse — then `validate()`.
 *    The SDK's JSON parser builds two `ValidationError`s (TypeErrors, with stack traces) *eagerly* as
 *    arguments to `isDefinedOrThrow`/`isStringOrObjectOrThrow` on every call, valid or not, so a valid
 *    event pays for four error objects; that is about a quarter of a no-op function's CPU. Worse, for a
 *    binary event with a missing attribute `validate()` throws and the runtime answers **500** (so Knative
 *    would redeliver a poison event forever), and it calls the hook's `done` twice. With the hooks the
 *    request's `isCloudEvent()` answers false, so the runtime hands the function the raw request.
 * 2. gets `application/json` bodies as a Buffer (Fastify's JSON parser is removed; the runtime's catch-all
 *    buffer parser takes over), so malformed JSON reaches the function (and the dead-letter store)
 *    instead of being answered by Fastify with its own 400 body, and JSON is parsed once.
 * 3. answers errors raised before the function runs (body over `FUNC_BODY_LIMIT` → 413, bad
 *    content-length → 400) through `onRequestError`, so they follow the JSON error contract too.
 * 4. serves the function's own prom-client registries on the runtime's `/metrics` (the runtime serves
 *    only a private registry of its own, not prom-client's default one).
 *
 * The hook is Fastify's public `fastify.initialization` diagnostics channel, published synchronously
 * when the runtime constructs its server; install it in the function's `init()` (which the runtime calls
 * before creating the server). Nothing in node_modules is modified.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readSettings, runtime } from '../settings.ts';
import type { FunctionRequest } from './cloudevents.ts';
import type { JsonResponse } from './errors.ts';

interface MetricsSource {
  metrics(): Promise<string>;
}

export interface RuntimeHookOptions {
  /**
   * Leave body parsing and CloudEvents decoding to the runtime (Fastify's JSON parser, the SDK): the stock
   * behaviour, kept to measure it. Default false.
   */
  sdkDecoding?: boolean;
  /** Answer for a request the runtime rejects before the function runs (4xx from Fastify). */
  onRequestError?: (
    request: FunctionRequest & { url: string },
    error: FastifyLikeError,
  ) => Promise<JsonResponse>;
  /** Registries whose metrics are appended to the runtime's `/metrics`. */
  registries?: MetricsSource[];
  /** Path of the runtime's metrics endpoint (env METRICS_URL, default /metrics). */
  metricsPath?: string;
  /** Path of the function itself (default '/'). */
  functionPath?: string;
}

export interface FastifyLikeError extends Error {
  statusCode?: number;
  code?: string;
}

/* Minimal structural types of the parts of Fastify 4 used here. */
interface FRequest {
  url: string;
  method: string;
  headers: FunctionRequest['headers'];
  body?: unknown;
  isCloudEvent?: () => boolean;
}
interface FReply {
  code(status: number): FReply;
  headers(values: Record<string, string>): FReply;
  send(payload?: unknown): FReply;
}
interface FInstance {
  removeContentTypeParser(type: string): void;
  addHook(name: 'onRequest', fn: (req: FRequest, reply: FReply, done: () => void) => void): void;
  addHook(
    name: 'onSend',
    fn: (req: FRequest, reply: FReply, payload: unknown, done: (err: null, value: unknown) => void) => void,
  ): void;
  setErrorHandler(fn: (error: FastifyLikeError, req: FRequest, reply: FReply) => unknown): void;
}

const channel = 'fastify.initialization';
const notACloudEvent = (): boolean => false;

/** The runtime's variables this module reads (METRICS_URL) or relies on (FUNC_BODY_LIMIT), checked. */
export const loadRuntimeSettings = (env: NodeJS.ProcessEnv = process.env) => readSettings(env, runtime);

/** Installs the hooks for the next Fastify servers created in this process; returns an uninstaller. */
export function installRuntimeHooks(options: RuntimeHookOptions = {}): () => void {
  const metricsPath = options.metricsPath ?? loadRuntimeSettings().metricsPath;
  const functionPath = options.functionPath ?? '/';
  const listener = (message: unknown): void => {
    const fastify = (message as { fastify: FInstance }).fastify;
    if (!options.sdkDecoding) {
      fastify.removeContentTypeParser('application/json');
      fastify.addHook('onRequest', (req, _reply, done) => {
        req.isCloudEvent = notACloudEvent;
        done();
      });
    }
    const registries = options.registries ?? [];
    if (registries.length > 0) {
      const isMetrics = (req: FRequest): boolean =>
        req.method === 'GET' && req.url.split('?')[0] === metricsPath;
      // Collected before the runtime's handler runs; appended synchronously in onSend (an async onSend
      // makes Fastify send twice, because the runtime's async metrics handler does not `return reply`).
      fastify.addHook('onRequest', (req, _reply, done) => {
        if (!isMetrics(req)) return done();
        Promise.all(registries.map((r) => r.metrics())).then(
          (texts) => {
            (req as FRequest & { functionMetrics?: string }).functionMetrics = texts.join('\n');
            done();
          },
          () => done(),
        );
      });
      fastify.addHook('onSend', (req, _reply, payload, done) => {
        const extra = (req as FRequest & { functionMetrics?: string }).functionMetrics;
        if (extra === undefined || typeof payload !== 'string') return done(null, payload);
        done(null, `${payload.trimEnd()}\n${extra}`);
      });
    }
    const onRequestError = options.onRequestError;
    fastify.setErrorHandler(async (error, req, reply) => {
      const status = error.statusCode ?? 500;
      if (onRequestError && status >= 400 && status < 500 && req.url.split('?')[0] === functionPath) {
        const answer = await onRequestError(
          { url: req.url, method: req.method, headers: req.headers, body: req.body },
          error,
        );
        return reply.code(answer.statusCode).headers(answer.headers).send(answer.body);
      }
      return reply.code(status).send(error);
    });
  };
  subscribe(channel, listener);
  return () => unsubscribe(channel, listener);
}
