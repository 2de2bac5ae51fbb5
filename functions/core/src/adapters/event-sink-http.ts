/**
 * Events as binary-mode CloudEvents POSTed to a URL per category: in the cluster a Knative KafkaSink
 * (`http://kafka-sink-ingress.knative-eventing.svc.cluster.local/<namespace>/<category>-sink`), which answers
 * 202 once the record is in its Kafka topic. 5xx, 429, 408, timeouts and connection errors are retried with
 * exponential back-off; after the last attempt, or at once for any other 4xx, the send fails loudly.
 */
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
  /** Events POSTed at once (default 64). */
  concurrency?: number;
  fetch?: typeof globalThis.fetch;
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
  private readonly fetch: typeof globalThis.fetch;

  constructor(private readonly options: HttpEventSinkOptions) {
    if (!options.urlTemplate.includes('{category}'))
      throw new Error(`event sink URL ${options.urlTemplate} has no {category}`);
    this.attempts = options.attempts ?? 5;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.backoffMs = options.backoffMs ?? 100;
    this.concurrency = options.concurrency ?? 64;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  urlOf(category: Category): string {
    return this.options.urlTemplate.replaceAll('{category}', category);
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
    const url = this.urlOf(event.category);
    let last = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const answer = await this.fetch(url, {
          method: 'POST',
          headers: message.headers as Record<string, string>,
          body: String(message.body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await answer.arrayBuffer();
        if (answer.ok) return;
        last = `HTTP ${answer.status}`;
        if (!retryable(answer.status)) break;
      } catch (error) {
        last = (error as Error).message;
      }
      if (attempt < this.attempts)
        await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** (attempt - 1)));
    }
    throw new EventSinkError(`event ${event.id} (${event.category}) not accepted by ${url}: ${last}`);
  }

  async health(): Promise<void> {}

  async close(): Promise<void> {}
}
