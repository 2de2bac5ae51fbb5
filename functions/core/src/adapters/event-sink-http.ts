/**
 * Events as binary-mode CloudEvents POSTed to a URL per category: in the cluster a Knative KafkaSink
 * (`http://kafka-sink-ingress.knative-eventing.svc.cluster.local/<namespace>/<category>-sink`), which answers
 * 202 once the record is in its Kafka topic. 5xx, 429, 408, timeouts and connection errors are retried with
 * exponential back-off; after the last attempt, or at once for any other 4xx, the send fails loudly.
 *
 * One event is one request (a KafkaSink takes one CloudEvent per request), so the per-request cost is the
 * sink's cost: an undici Pool of keep-alive connections per origin. fetch took about half of the xapi
 * function's CPU under the closed-loop bench (scripts/bench/xapi.bench.ts); node:http's Agent about 50 µs
 * of client CPU per request, undici's request about 30.
 */
import { Pool } from 'undici';
import { toHttpBinary } from '../events/cloudevents.ts';
import type { Category, LmsEvent } from '../events/envelope.ts';
import type { EventSink } from './event-sink.ts';

export interface HttpEventSinkOptions {
  /** The target URL with `{category}` in it. */
  urlTemplate: string;
  /** Attempts per event (default 5: 0.1 + 0.2 + 0.4 + 0.8 s of back-off). */
  attempts?: number;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** First back-off (default 100 ms), doubled per retry. */
  backoffMs?: number;
  /** Events POSTed at once, and keep-alive connections per origin (default 64). */
  concurrency?: number;
}

/** A send that failed: which event, where, and the last answer. */
export class EventSinkError extends Error {
  override readonly name = 'EventSinkError';
}

const retryable = (status: number) => status >= 500 || status === 429 || status === 408;

export class HttpEventSink implements EventSink {
  private readonly attempts: number;
  private readonly timeoutMs: number;
  private readonly backoffMs: number;
  private readonly concurrency: number;
  /** Per category: the pool of its URL's origin and the request path. */
  private readonly targets = new Map<Category, { url: string; pool: Pool; path: string }>();
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: HttpEventSinkOptions) {
    if (!options.urlTemplate.includes('{category}'))
      throw new Error(`event sink URL ${options.urlTemplate} has no {category}`);
    this.attempts = options.attempts ?? 5;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.backoffMs = options.backoffMs ?? 100;
    this.concurrency = options.concurrency ?? 64;
  }

  urlOf(category: Category): string {
    return this.options.urlTemplate.replaceAll('{category}', category);
  }

  private targetOf(category: Category): { url: string; pool: Pool; path: string } {
    let target = this.targets.get(category);
    if (!target) {
      const url = this.urlOf(category);
      const { origin, pathname, search } = new URL(url);
      let pool = this.pools.get(origin);
      if (!pool) {
        pool = new Pool(origin, {
          connections: this.concurrency,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        });
        this.pools.set(origin, pool);
      }
      target = { url, pool, path: `${pathname}${search}` };
      this.targets.set(category, target);
    }
    return target;
  }

  async send(events: readonly LmsEvent[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < events.length) await this.post(events[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, events.length) }, worker));
  }

  private async post(event: LmsEvent): Promise<void> {
    const message = toHttpBinary(event);
    const { url, pool, path } = this.targetOf(event.category);
    const body = String(message.body);
    const headers = message.headers as Record<string, string>;
    let last = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const answer = await pool.request({ method: 'POST', path, headers, body });
        await answer.body.dump();
        const status = answer.statusCode;
        if (status >= 200 && status < 300) return;
        last = `HTTP ${status}`;
        if (!retryable(status)) break;
      } catch (error) {
        last = (error as Error).message;
      }
      if (attempt < this.attempts)
        await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
    }
    throw new EventSinkError(`event ${event.id} (${event.category}) not accepted by ${url}: ${last}`);
  }

  async health(): Promise<void> {}

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy()));
    this.pools.clear();
    this.targets.clear();
  }
}
