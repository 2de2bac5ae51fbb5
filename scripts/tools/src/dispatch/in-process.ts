/**
 * The embedded column's event bus (docs/architecture.md#components): delivers CloudEvents to function handlers
 * called in-process, in place of Kafka + Knative Eventing, with the same delivery contract as the Kafka
 * dispatcher (delivery.ts: retry 5xx/408/429/timeouts/thrown errors with exponential backoff, never retry
 * other 4xx, dead letter after the last attempt or on a non-retryable answer).
 *
 * Each sink is a function module's `handle(context, body)`, called exactly as faas-js-runtime 4.0.1
 * calls it with the functions' runtime hooks installed: a context carrying `method`, `headers`
 * (lower-case, binary-mode `ce-*` attributes) and `body` (the raw request body as a Buffer), and the
 * same body as the second argument. The answer is mapped as the runtime maps it: `undefined` → 204, a
 * `{statusCode, body}` object → that status, a thrown error → `error.code` or 500.
 */
import {
  type AttemptResult,
  type DeliveryOutcome,
  type DeliveryPolicy,
  defaultDeliveryPolicy,
  deliver,
  isRetryable,
} from './delivery.ts';

/** A binary-mode CloudEvent HTTP request, as Knative delivers it. */
export interface CloudEventRequest {
  headers: Record<string, string>;
  body: Buffer;
}

/** The part of faas-js-runtime's Context the functions read. */
export interface InvocationContext {
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  query: Record<string, string>;
}

export type FunctionHandle = (context: InvocationContext, body?: unknown) => unknown;

export interface InProcessSink {
  name: string;
  handle: FunctionHandle;
  /** Which events this sink subscribes to (a Trigger's filter); default all. */
  accepts?: (request: CloudEventRequest) => boolean;
}

/** What is recorded when an event is dead-lettered (Knative's error extensions, plus the event). */
export interface DeadLetterRecord {
  time: string;
  sink: string;
  /** knativeerrorcode: the last HTTP status, absent for a transport error/timeout. */
  status: number | undefined;
  /** knativeerrordata: the last answer's body or the error message. */
  reason: string;
  attempts: number;
  headers: Record<string, string>;
  body: string;
}

export interface InProcessDispatcherOptions {
  sinks: InProcessSink[];
  policy?: DeliveryPolicy;
  /** The dead-letter sink; awaited before `dispatch` resolves. */
  deadLetter?: (record: DeadLetterRecord) => void | Promise<void>;
  onOutcome?: (sink: string, outcome: DeliveryOutcome) => void;
}

const bodyOf = (value: unknown): string => {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return JSON.stringify(value);
};

/** One attempt: calls the handler as faas-js-runtime would and maps its answer to an HTTP status. */
export async function invokeHandler(
  handle: FunctionHandle,
  request: CloudEventRequest,
  /** An abort signal (delivery.ts) or a timeout in ms. */
  limit?: AbortSignal | number,
): Promise<AttemptResult> {
  const context: InvocationContext = {
    method: 'POST',
    headers: { ...request.headers },
    body: request.body,
    query: {},
  };
  const call = (async (): Promise<AttemptResult> => {
    try {
      const answer = (await handle(context, request.body)) as
        | { statusCode?: number; body?: unknown }
        | undefined
        | null;
      if (answer === undefined || answer === null) return { status: 204, body: '' };
      if (typeof answer === 'object' && typeof answer.statusCode === 'number') {
        return { status: answer.statusCode, body: bodyOf(answer.body) };
      }
      return { status: 200, body: bodyOf(answer) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return {
        status: typeof code === 'number' && code >= 400 && code < 600 ? code : 500,
        body: error instanceof Error ? error.message : String(error),
      };
    }
  })();
  if (typeof limit === 'number') {
    // A plain timer cleared on the answer (cheap, unlike an AbortSignal.timeout that lives its full term).
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<AttemptResult>((resolve) => {
      timer = setTimeout(() => resolve({ error: new Error(`attempt timed out after ${limit} ms`) }), limit);
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }
  const signal = limit;
  if (!signal) return call;
  if (signal.aborted) return { error: new Error('timeout before the attempt') };
  return new Promise<AttemptResult>((resolve) => {
    const onAbort = () => resolve({ error: new Error('attempt timed out') });
    signal.addEventListener('abort', onAbort, { once: true });
    call.then((result) => {
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    });
  });
}

export interface SinkCounts {
  delivered: number;
  deadLettered: number;
  retries: number;
}

/** Delivers each event to every subscribed sink (in parallel), each with the Knative delivery contract. */
export class InProcessDispatcher {
  readonly counts: Record<string, SinkCounts> = {};
  private readonly policy: DeliveryPolicy;
  private inFlight = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly options: InProcessDispatcherOptions) {
    this.policy = options.policy ?? defaultDeliveryPolicy;
    for (const sink of options.sinks) this.counts[sink.name] = { delivered: 0, deadLettered: 0, retries: 0 };
  }

  /** Resolves once every subscribed sink has acknowledged the event or it is dead-lettered. */
  async dispatch(request: CloudEventRequest): Promise<Record<string, DeliveryOutcome>> {
    this.inFlight++;
    try {
      const outcomes: Record<string, DeliveryOutcome> = {};
      await Promise.all(
        this.options.sinks.map(async (sink) => {
          if (sink.accepts && !sink.accepts(request)) return;
          outcomes[sink.name] = await this.deliverTo(sink, request);
        }),
      );
      return outcomes;
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /** Delivers to one sink (a Trigger of its own). */
  async deliverTo(sink: InProcessSink, request: CloudEventRequest): Promise<DeliveryOutcome> {
    const counts = this.counts[sink.name] ?? { delivered: 0, deadLettered: 0, retries: 0 };
    this.counts[sink.name] = counts;
    const outcome = await this.deliverOnce(sink, request);
    counts.retries += outcome.attempts - 1;
    this.options.onOutcome?.(sink.name, outcome);
    if (outcome.delivered) {
      counts.delivered++;
      return outcome;
    }
    counts.deadLettered++;
    await this.options.deadLetter?.({
      time: new Date().toISOString(),
      sink: sink.name,
      status: outcome.status,
      reason: outcome.reason,
      attempts: outcome.attempts,
      headers: request.headers,
      body: request.body.toString('utf8'),
    });
    return outcome;
  }

  /**
   * The delivery schedule of delivery.ts, with the first attempt called inline: an in-process call needs
   * no per-attempt timer for the common case (`deliver` arms a 30 s AbortSignal.timeout per attempt that
   * outlives a fast answer; at thousands of events per second those timers dominated the backfill's GC).
   * A retryable first answer hands over to `deliver` for the remaining attempts, with the backoff
   * doubled so attempt n still waits backoffDelayMs × 2^n.
   */
  private async deliverOnce(sink: InProcessSink, request: CloudEventRequest): Promise<DeliveryOutcome> {
    const first = await invokeHandler(sink.handle, request, this.policy.timeoutMs);
    if (!('error' in first) && first.status >= 200 && first.status < 300) {
      return { delivered: true, status: first.status, attempts: 1 };
    }
    const policy = this.policy;
    if (!isRetryable(first) || policy.retry < 1) {
      return 'error' in first
        ? { delivered: false, status: undefined, reason: first.error.message, attempts: 1 }
        : { delivered: false, status: first.status, reason: first.body.slice(0, 1000), attempts: 1 };
    }
    await new Promise((ok) => setTimeout(ok, policy.backoffDelayMs * 2));
    const rest = await deliver((signal) => invokeHandler(sink.handle, request, signal), {
      retry: policy.retry - 1,
      backoffDelayMs: policy.backoffDelayMs * 2,
      timeoutMs: policy.timeoutMs,
    });
    return { ...rest, attempts: rest.attempts + 1 };
  }

  /** Resolves when no dispatch is in flight. */
  drain(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
