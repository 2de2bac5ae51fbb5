/**
 * The in-process dispatcher keeps Knative's delivery contract (delivery.ts) against the real ingest
 * handler: 5xx is retried with backoff until the lake is back, 4xx is dead-lettered at once (no retry),
 * an exhausted retry budget dead-letters with the last status; thrown errors and timeouts are retried.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDirStore } from '@ula/core/adapters/local-dir';
import { readDeadLetters } from '@ula/core/lake/dead-letter';
import { listRawPartitions, readRawEvents } from '@ula/core/lake/raw-lake';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ingest } from '../../../functions/ingest/src/ingest.ts';
import { ingestMetrics } from '../../../functions/ingest/src/metrics.ts';
import { loadIngestSettings } from '../../../functions/ingest/src/settings.ts';
import { binaryRequest, sampleEvent } from '../../../functions/ingest/test/events.ts';
import {
  type CloudEventRequest,
  type DeadLetterRecord,
  type FunctionHandle,
  InProcessDispatcher,
  invokeHandler,
} from '../src/dispatch/in-process.ts';

/** A lake whose next `failures` writes fail (connection refused). */
class FlakyStore extends LocalDirStore {
  failures = 0;
  override async put(key: string, body: Uint8Array): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('connect ECONNREFUSED');
    }
    return super.put(key, body);
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ula-in-process-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const policy = { retry: 4, backoffDelayMs: 5, timeoutMs: 2000 };

function ingestSink(store: FlakyStore) {
  // One event at a time here: no linger (the delivery contract is under test, not batching).
  const ingest = new Ingest(store, loadIngestSettings({ ULA_INGEST_LINGER_MS: '0' }), ingestMetrics());
  // As ingest's index.ts handle does (context.cloudevent unset: the raw body is the second argument).
  const handle: FunctionHandle = (context, body) =>
    ingest.handle({ method: context.method, headers: context.headers, body });
  return { ingest, handle };
}

const requestOf = (event = sampleEvent()): CloudEventRequest => {
  const r = binaryRequest(event);
  return { headers: r.headers, body: Buffer.from(r.body) };
};

describe('in-process dispatcher against the ingest handler', () => {
  it('retries 503 (lake down) with backoff until the event is durable, exactly once in the lake', async () => {
    const store = new FlakyStore(join(dir, 'retry'));
    const { ingest, handle } = ingestSink(store);
    const dead: DeadLetterRecord[] = [];
    const dispatcher = new InProcessDispatcher({
      sinks: [{ name: 'ingest', handle }],
      policy,
      deadLetter: (r) => {
        dead.push(r);
      },
    });
    const event = sampleEvent(1);
    store.failures = 2;
    const started = Date.now();
    const outcomes = await dispatcher.dispatch(requestOf(event));
    expect(outcomes['ingest']).toEqual({ delivered: true, status: 204, attempts: 3 });
    // Backoff: attempt 1 waits 5 × 2, attempt 2 waits 5 × 4 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect(dead).toEqual([]);
    expect(dispatcher.counts['ingest']).toEqual({ delivered: 1, deadLettered: 0, retries: 2 });
    const date = event.time.slice(0, 10);
    const files = await listRawPartitions(store, event.category, date, date);
    const ids = (await Promise.all(files.map((f) => readRawEvents(store, f.key)))).flat().map((e) => e.id);
    expect(ids).toEqual([event.id]);
    await ingest.close();
  });

  it('dead-letters a 4xx answer at once (no retry), with the status and the error body', async () => {
    const store = new FlakyStore(join(dir, 'reject'));
    const { ingest, handle } = ingestSink(store);
    const dead: DeadLetterRecord[] = [];
    const dispatcher = new InProcessDispatcher({
      sinks: [{ name: 'ingest', handle }],
      policy,
      deadLetter: (r) => {
        dead.push(r);
      },
    });
    const bad = requestOf(sampleEvent(2));
    bad.body = Buffer.from('{"user_id": 42'); // broken JSON
    const unknown = requestOf(sampleEvent(3));
    unknown.headers['ce-type'] = 'edu.lms.auth.nope';
    const [a, b] = await Promise.all([dispatcher.dispatch(bad), dispatcher.dispatch(unknown)]);
    expect(a['ingest']).toMatchObject({ delivered: false, status: 400, attempts: 1 });
    expect(b['ingest']).toMatchObject({ delivered: false, status: 400, attempts: 1 });
    expect(dead.map((d) => [d.sink, d.status, d.attempts])).toEqual([
      ['ingest', 400, 1],
      ['ingest', 400, 1],
    ]);
    expect(dead[0]!.reason).toContain('invalid_json');
    expect(dead[0]!.headers['ce-id']).toBe(bad.headers['ce-id']);
    expect(dead[0]!.body).toBe('{"user_id": 42');
    expect(dispatcher.counts['ingest']).toEqual({ delivered: 0, deadLettered: 2, retries: 0 });
    // ingest itself kept the rejected inputs in the lake's dead-letter store too.
    await ingest.close();
    expect((await readDeadLetters(store)).map((d) => d.event_id).sort()).toEqual(
      [bad.headers['ce-id'], unknown.headers['ce-id']].sort(),
    );
  });

  it('dead-letters with the last 5xx once the retry budget is spent', async () => {
    const store = new FlakyStore(join(dir, 'exhausted'));
    const { ingest, handle } = ingestSink(store);
    const dead: DeadLetterRecord[] = [];
    const dispatcher = new InProcessDispatcher({
      sinks: [{ name: 'ingest', handle }],
      policy: { ...policy, retry: 2 },
      deadLetter: (r) => {
        dead.push(r);
      },
    });
    store.failures = 1000;
    const outcomes = await dispatcher.dispatch(requestOf(sampleEvent(4)));
    expect(outcomes['ingest']).toMatchObject({ delivered: false, status: 503, attempts: 3 });
    expect(dead).toHaveLength(1);
    expect(dead[0]!.reason).toContain('unavailable');
    store.failures = 0;
    await ingest.close();
  });

  it('delivers to every subscribed sink; a failing sink does not affect the others', async () => {
    const seen: string[] = [];
    let calls = 0;
    const dispatcher = new InProcessDispatcher({
      sinks: [
        {
          name: 'ok',
          handle: (context) => {
            seen.push(context.headers['ce-id']!);
            return undefined;
          },
        },
        {
          name: 'throws-then-ok',
          handle: () => {
            calls++;
            if (calls === 1) throw Object.assign(new Error('busy'), { code: 429 });
            if (calls === 2) throw new Error('boom'); // → 500
            return { statusCode: 200, body: { ok: true } };
          },
        },
        { name: 'filtered', handle: () => ({ statusCode: 500, body: {} }), accepts: () => false },
      ],
      policy,
    });
    const request = requestOf(sampleEvent(5));
    const outcomes = await dispatcher.dispatch(request);
    expect(outcomes['ok']).toEqual({ delivered: true, status: 204, attempts: 1 });
    expect(outcomes['throws-then-ok']).toEqual({ delivered: true, status: 200, attempts: 3 });
    expect(outcomes['filtered']).toBeUndefined();
    expect(seen).toEqual([request.headers['ce-id']]);
  });

  it('maps answers as faas-js-runtime does and times out a hung handler (retryable)', async () => {
    const request = requestOf(sampleEvent(6));
    expect(await invokeHandler(() => undefined, request)).toEqual({ status: 204, body: '' });
    expect(await invokeHandler(() => ({ statusCode: 422, body: { error: 'x' } }), request)).toEqual({
      status: 422,
      body: '{"error":"x"}',
    });
    expect(await invokeHandler(() => Promise.reject(new Error('x')), request)).toMatchObject({ status: 500 });
    const hung = await invokeHandler(() => new Promise(() => {}), request, 20);
    expect('error' in hung && hung.error.message).toContain('timed out');
    let calls = 0;
    const dispatcher = new InProcessDispatcher({
      sinks: [{ name: 'slow', handle: () => (++calls === 1 ? new Promise(() => {}) : undefined) }],
      policy: { retry: 2, backoffDelayMs: 1, timeoutMs: 20 },
    });
    expect((await dispatcher.dispatch(request))['slow']).toEqual({
      delivered: true,
      status: 204,
      attempts: 2,
    });
  });
});
