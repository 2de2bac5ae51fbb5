/**
 * HTTP sink: POSTs each generated item to a URL as a binary-mode CloudEvent (`ce-*` headers, JSON
 * body), over keep-alive connections with bounded concurrency. 5xx, 429 and network errors are
 * retried with backoff (at-least-once); other 4xx are final (expected for malformed records).
 */

import { cloudEventSource, cloudEventType, type LmsEvent } from '@ula/core/events/envelope';
import { withTimeout } from '../dispatch/delivery.ts';
import { httpPoster, type Post } from '../dispatch/http-post.ts';
import type { GeneratedItem, MalformedRecord } from '../generator/output.ts';

export interface HttpSinkOptions {
  url: string;
  /** Requests in flight at once (default 64), also the number of kept-alive sockets. */
  concurrency?: number;
  /** Attempts per item on 5xx/429/network errors (default 5). */
  attempts?: number;
  timeoutMs?: number;
  /** The request of an item (default: the binary-mode CloudEvent, or the malformed record as-is). */
  encode?: (item: GeneratedItem) => { headers: Record<string, string>; body: string };
}

export interface HttpSinkCounts {
  /** 2xx answers to valid events. */
  accepted: number;
  /** 4xx answers to malformed records (the expected outcome). */
  rejectedMalformed: number;
  /** 4xx answers to valid events (a bug somewhere), with the last body seen. */
  rejectedValid: number;
  /** Malformed records that were accepted (a validation gap). */
  acceptedMalformed: number;
  /** Gave up after retries. */
  failed: number;
  retries: number;
}

/** The headers and body of an event in HTTP binary mode (same as `toHttpBinary`, without the SDK). */
export function httpBinaryOf(event: LmsEvent): { headers: Record<string, string>; body: string } {
  return {
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': event.id,
      'ce-type': cloudEventType(event.category, event.eventType),
      'ce-source': cloudEventSource(event.category),
      'ce-subject': event.data.user_id,
      'ce-time': event.time,
    },
    body: JSON.stringify(event.data),
  };
}

export function httpBinaryOfMalformed(record: MalformedRecord): {
  headers: Record<string, string>;
  body: string;
} {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(record.attributes)) {
    if (name !== 'datacontenttype') headers[`ce-${name}`] = value;
  }
  return { headers, body: record.body };
}

export class HttpSink {
  readonly counts: HttpSinkCounts = {
    accepted: 0,
    rejectedMalformed: 0,
    rejectedValid: 0,
    acceptedMalformed: 0,
    failed: 0,
    retries: 0,
  };
  lastRejection: string | undefined;
  private readonly poster: { post: Post; close: () => void };
  private readonly concurrency: number;
  private readonly attempts: number;
  private readonly timeoutMs: number;
  private readonly encode:
    | ((item: GeneratedItem) => { headers: Record<string, string>; body: string })
    | undefined;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(options: HttpSinkOptions) {
    this.concurrency = options.concurrency ?? 64;
    this.attempts = options.attempts ?? 5;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.encode = options.encode;
    this.poster = httpPoster(options.url, this.concurrency);
  }

  /** Sends one item; resolves when a slot is free (not when the answer arrives). */
  async write(item: GeneratedItem): Promise<void> {
    while (this.inFlight >= this.concurrency) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.inFlight++;
    const malformed = item.kind === 'malformed';
    const request = this.encode
      ? this.encode(item)
      : malformed
        ? httpBinaryOfMalformed(item.record)
        : httpBinaryOf(item.event);
    const done = this.deliver(request, malformed).finally(() => {
      this.inFlight--;
      this.pending.delete(done);
      this.waiters.shift()?.();
    });
    this.pending.add(done);
  }

  /** Waits for every request in flight. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.flush();
    this.poster.close();
  }

  private async deliver(request: { headers: Record<string, string>; body: string }, malformed: boolean) {
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let text = '';
      try {
        ({ status, text } = await this.post(request));
      } catch (error) {
        text = (error as Error).message;
      }
      if (status >= 200 && status < 300) {
        if (malformed) this.counts.acceptedMalformed++;
        else this.counts.accepted++;
        return;
      }
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        if (malformed) this.counts.rejectedMalformed++;
        else {
          this.counts.rejectedValid++;
          this.lastRejection = `${status} ${text.slice(0, 300)}`;
        }
        return;
      }
      if (attempt >= this.attempts) {
        this.counts.failed++;
        this.lastRejection = `${status || 'network error'} ${text.slice(0, 300)}`;
        return;
      }
      this.counts.retries++;
      await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
    }
  }

  /** One attempt, ended after `timeoutMs`. */
  private async post(request: {
    headers: Record<string, string>;
    body: string;
  }): Promise<{ status: number; text: string }> {
    const body = Buffer.from(request.body, 'utf8');
    const answer = await withTimeout(this.timeoutMs, (signal) =>
      this.poster.post(request.headers, body, signal),
    );
    if ('error' in answer) throw answer.error;
    return { status: answer.status, text: answer.body };
  }
}
