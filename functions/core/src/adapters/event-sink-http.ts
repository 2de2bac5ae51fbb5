/**
 * Events as binary-mode CloudEvents POSTed to a URL per category: in the cluster a Knative KafkaSink
 * (`http://kafka-sink-ingress.knative-eventing.svc.cluster.local/<namespace>/<category>-sink`), which answers
 * 202 once the record is in its Kafka topic. 5xx, 429, 408, timeouts and connection errors are retried with
 * exponential back-off; after the last attempt, or at once for any other 4xx, the send fails loudly.
 *
 * One event is one request (a KafkaSink takes one CloudEvent per request), so the per-request cost is the
 * sink's cost: node:http on keep-alive sockets, not fetch, which took about half of the xapi function's CPU
 * under the closed-loop bench (scripts/bench/xapi.bench.ts).
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
  /** Events POSTed at once, and keep-alive sockets kept (default 64). */
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
  private readonly agents: { http: HttpAgent; https: HttpsAgent };

  constructor(private readonly options: HttpEventSinkOptions) {
    if (!options.urlTemplate.includes('{category}'))
      throw new Error(`event sink URL ${options.urlTemplate} has no {category}`);
    this.attempts = options.attempts ?? 5;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.backoffMs = options.backoffMs ?? 100;
    this.concurrency = options.concurrency ?? 64;
    const agentOptions = { keepAlive: true, maxSockets: this.concurrency };
    this.agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
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
    const body = Buffer.from(String(message.body));
    const headers = { ...(message.headers as Record<string, string>), 'content-length': String(body.length) };
    let last = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const status = await this.postOnce(url, headers, body);
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

  /** One POST; resolves with the status once the answer is read, rejects on a socket error or the timeout. */
  private postOnce(url: string, headers: Record<string, string>, body: Buffer): Promise<number> {
    const https = url.startsWith('https:');
    const request = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers,
          agent: https ? this.agents.https : this.agents.http,
          timeout: this.timeoutMs,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async health(): Promise<void> {}

  async close(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
